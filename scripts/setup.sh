#!/usr/bin/env bash
# Idempotent set-up: Debian packages, the venv, the pinned Python packages, the project itself.
# A second run with nothing missing takes a few seconds (it only checks).
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(
  ffmpeg                                   # encoding footage once per camera profile; ffprobe in tests
  python3-gi gir1.2-gst-rtsp-server-1.0    # the embedded RTSP server (runs under /usr/bin/python3)
  gstreamer1.0-plugins-base gstreamer1.0-plugins-good gstreamer1.0-plugins-bad
  gstreamer1.0-tools
  rtsp-server-perl                         # relay of the camera bench's baseline (one ffmpeg per camera)
  libgl1 libglib2.0-0                      # opencv-python's runtime libraries
  postgresql                               # the event store's PostgreSQL tests (started by the tests)
  chromium fonts-dejavu-core               # the report's PDF and its render test (headless)
  poppler-utils                            # pdftoppm/pdfinfo to check the PDF report
  procps curl                              # kill and curl: the external-system tests' reload and API commands
)
PYTHON=${PYTHON:-python3}
VENV=.venv
STAMP=$VENV/.tilikbench-installed

missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if ((${#missing[@]})); then
  echo "setup: installing Debian packages: ${missing[*]}"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO=sudo
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

if [ ! -x "$VENV/bin/python" ]; then
  echo "setup: creating $VENV with $($PYTHON --version)"
  "$PYTHON" -m venv "$VENV"
fi

want=$(cat requirements.txt pyproject.toml | sha256sum | cut -d' ' -f1)
if [ "$(cat "$STAMP" 2>/dev/null)" != "$want" ]; then
  echo "setup: installing Python packages (first time: a few minutes, torch is large)"
  "$VENV/bin/python" -m pip install -q --upgrade pip
  "$VENV/bin/python" -m pip install -q -r requirements.txt
  "$VENV/bin/python" -m pip install -q --no-deps --no-build-isolation -e .
  echo "$want" > "$STAMP"
fi

# hls.js for the portal's player page: from the npm registry into vendor/npm (git-ignored), pinned;
# the portal serves it (analytics/portal/player.py), no page loads it from anywhere else.
HLSJS_VERSION=1.7.4
# npm comes with the machine's Node.js where there is one (a nodesource nodejs package provides it and
# conflicts with Debian's npm package); Debian's nodejs + npm only where there is no npm at all.
if ! command -v npm >/dev/null; then
  echo "setup: installing Debian's nodejs and npm (no npm on this machine)"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO=sudo
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends nodejs npm
fi
if [ "$(node -p 'require("./vendor/npm/node_modules/hls.js/package.json").version' 2>/dev/null)" != "$HLSJS_VERSION" ]; then
  echo "setup: installing hls.js $HLSJS_VERSION from the npm registry"
  npm install --prefix vendor/npm --no-save --no-audit --no-fund --loglevel=error "hls.js@$HLSJS_VERSION"
fi

# The GStreamer server runs under Debian's Python, where gi lives; check it once here so that a broken
# install is named now rather than at the first `cameras up`.
/usr/bin/python3 -c 'import gi; gi.require_version("GstRtspServer", "1.0"); from gi.repository import GstRtspServer' \
  || { echo "setup: GStreamer RTSP server bindings do not import under /usr/bin/python3" >&2; exit 3; }
echo "setup: ready"
