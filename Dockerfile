# The tilikbench image: the same install as `make setup` (scripts/setup.sh's Debian packages, the venv
# from requirements.txt, the project itself), for the camera fleet's and Locust's pods
# (`tilikbench deploy kubernetes`, docs/scale-out.md).
#
#   docker build -t tilikbench:latest .
#
# The footage cache is not in the image: it is mounted. Each fleet pod generates its shard's clips on
# its first start into its own volume at /var/cache/tilikbench (a volumeClaimTemplate of the
# StatefulSet), which keeps them across restarts.
FROM debian:12-slim

# Keep this list equal to APT_PACKAGES in scripts/setup.sh, minus what only the tests and the report
# need there (postgresql, chromium, fonts, poppler-utils, rtsp-server-perl).
RUN apt-get update -q \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
      python3 python3-venv ca-certificates \
      ffmpeg \
      python3-gi gir1.2-gst-rtsp-server-1.0 \
      gstreamer1.0-plugins-base gstreamer1.0-plugins-good gstreamer1.0-plugins-bad gstreamer1.0-tools \
      libgl1 libglib2.0-0 \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /opt/tilikbench
ENV VIRTUAL_ENV=/opt/tilikbench/.venv \
    PATH=/opt/tilikbench/.venv/bin:$PATH \
    YOLO_OFFLINE=1 \
    YOLO_CONFIG_DIR=/tmp/ultralytics-config \
    PYTHONUNBUFFERED=1

COPY requirements.txt pyproject.toml README.md ./
RUN python3 -m venv .venv \
 && .venv/bin/python -m pip install -q --no-cache-dir --upgrade pip \
 && .venv/bin/python -m pip install -q --no-cache-dir -r requirements.txt

COPY common common
COPY fake_cameras fake_cameras
COPY analytics analytics
COPY simulator simulator
COPY benchmarks benchmarks
COPY scenarios scenarios
COPY models models
RUN .venv/bin/python -m pip install -q --no-cache-dir --no-deps --no-build-isolation -e . \
 && /usr/bin/python3 -c 'import gi; gi.require_version("GstRtspServer", "1.0"); from gi.repository import GstRtspServer'

# RTSP, the fleet's control API, Locust's web API and its master port
EXPOSE 8554 9997 8089 5557
CMD ["tilikbench", "--help"]
