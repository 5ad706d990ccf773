"""The MediaMTX backend: its config written from the fleet, the binary run as a child, every camera
published by ONE PyAV publisher process (``fake_cameras.publisher``), health read from the control
API (``/v3/paths/list``, paginated) and the Prometheus metrics.

The binary comes from ``$MEDIAMTX_BIN``, then ``mediamtx`` on PATH, then a cached copy of the pinned
official release; fetching that release is opt-in (``TILIKBENCH_MEDIAMTX_DOWNLOAD=1``) and the archive
is checked against the pinned SHA-256 before anything is extracted.
"""
from __future__ import annotations

import hashlib
import io
import json
import logging
import os
import platform
import re
import shutil
import subprocess
import sys
import tarfile
import time
import urllib.request
from pathlib import Path

import yaml

from common.atomic import write_bytes_atomic, write_text_atomic
from common.errors import InputError, ResourceError, UnavailableError
from common.netguard import check_port_free
from common.procs import OwnedProcess
from fake_cameras.backends.base import CAMERA_STATES, MediaBackend, ServedCamera, fetch_paths

log = logging.getLogger(__name__)

MEDIAMTX_VERSION = "v1.12.2"
RELEASE_URL = "https://github.com/bluenviron/mediamtx/releases/download/{v}/mediamtx_{v}_{arch}.tar.gz"
# SHA-256 of the release archives, as listed in the release's checksums file.
RELEASE_SHA256 = {
    "linux_amd64": "f0ec6e21c3cde41d02f186f58636f0ea8ee67c9d44dacf5b9391e85600f56e74",
    "linux_arm64": "35803953e27a7b242efb1f25b4d48e3cc24999bcb43f6895383a85d6f8000651",
}
DOWNLOAD_ENV = "TILIKBENCH_MEDIAMTX_DOWNLOAD"


def release_arch() -> str:
    machine = platform.machine().lower()
    return {"x86_64": "linux_amd64", "amd64": "linux_amd64", "aarch64": "linux_arm64",
            "arm64": "linux_arm64"}.get(machine, f"linux_{machine}")


def resolve_binary(cache_dir: Path = Path("cache"), env: dict | None = None) -> Path:
    """Where the MediaMTX binary is: $MEDIAMTX_BIN, PATH, the cached pinned release, or (opt-in) a download."""
    env = os.environ if env is None else env
    explicit = env.get("MEDIAMTX_BIN")
    if explicit:
        path = Path(explicit)
        if not path.is_file() or not os.access(path, os.X_OK):
            raise InputError("not an executable file", where=f"MEDIAMTX_BIN={explicit}")
        return path
    found = shutil.which("mediamtx", path=env.get("PATH", ""))
    if found:
        return Path(found)
    cached = Path(cache_dir) / "mediamtx" / MEDIAMTX_VERSION / "mediamtx"
    if cached.is_file():
        return cached
    if env.get(DOWNLOAD_ENV) == "1":
        return download_release(cached.parent)
    raise UnavailableError(
        f"MediaMTX binary not found: set MEDIAMTX_BIN to its path, put `mediamtx` on PATH, or set "
        f"{DOWNLOAD_ENV}=1 on a connected machine to fetch the pinned release {MEDIAMTX_VERSION} "
        "(checksum verified); or use `backend: embedded`", where="cameras.backend")


def download_release(dest: Path, opener=urllib.request.urlopen) -> Path:
    arch = release_arch()
    if arch not in RELEASE_SHA256:
        raise UnavailableError(f"no pinned MediaMTX release for {arch}", where="cameras.backend")
    url = RELEASE_URL.format(v=MEDIAMTX_VERSION, arch=arch)
    try:
        with opener(url, timeout=60) as r:
            blob = r.read()
    except OSError as e:
        raise UnavailableError(f"cannot download MediaMTX {MEDIAMTX_VERSION}: {e}", where=url) from None
    return install_archive(blob, RELEASE_SHA256[arch], dest, where=url)


def install_archive(blob: bytes, sha256: str, dest: Path, where: str) -> Path:
    """Verify ``blob`` against ``sha256``, then extract its ``mediamtx`` binary into ``dest`` atomically."""
    digest = hashlib.sha256(blob).hexdigest()
    if digest != sha256:
        raise UnavailableError(f"checksum mismatch: got {digest}, pinned {sha256}; not using it", where=where)
    dest.mkdir(parents=True, exist_ok=True)
    with tarfile.open(fileobj=io.BytesIO(blob), mode="r:gz") as tar:
        member = tar.getmember("mediamtx")
        data = tar.extractfile(member).read()
    return write_bytes_atomic(dest / "mediamtx", data, mode=0o755)


def make_config(host: str, ports: dict[str, int], cameras: list[ServedCamera]) -> dict:
    """mediamtx.yml for a fleet: RTSP, HLS, control API and metrics on ``host``, one path per camera."""
    rtp = ports.get("rtp", 8000)
    return {
        "logLevel": "warn",
        "logDestinations": ["stdout"],
        "api": True, "apiAddress": f"{host}:{ports['api']}",
        "metrics": True, "metricsAddress": f"{host}:{ports['metrics']}",
        "pprof": False, "playback": False,
        "rtsp": True, "rtspTransports": ["tcp", "udp"], "rtspEncryption": "no",
        "rtspAddress": f"{host}:{ports['rtsp']}",
        "rtpAddress": f"{host}:{rtp}", "rtcpAddress": f"{host}:{rtp + 1}",
        "rtmp": False, "webrtc": False, "srt": False,
        "hls": True, "hlsAddress": f"{host}:{ports['hls']}", "hlsVariant": "mpegts",
        "paths": {c.id: {"source": "publisher"} for c in cameras},
    }


_METRIC = re.compile(r'^(?P<name>[a-z_]+)\{(?P<labels>[^}]*)\}\s+(?P<value>[-+0-9.eE]+)\s*$')
_LABEL = re.compile(r'(\w+)="((?:[^"\\]|\\.)*)"')


def parse_metrics(text: str) -> dict[str, dict]:
    """Per-path figures from MediaMTX's Prometheus text: ready, bytes received/sent, readers.

    Also ``"_rtsp_sessions"``: RTSP sessions by state (read / publish / idle).
    """
    paths: dict[str, dict] = {}
    sessions: dict[str, int] = {}
    for line in text.splitlines():
        m = _METRIC.match(line.strip())
        if not m:
            continue
        labels = dict(_LABEL.findall(m["labels"]))
        value = float(m["value"])
        name = m["name"]
        if name.startswith("paths") and "name" in labels:
            p = paths.setdefault(labels["name"], {"ready": False, "bytes_received": 0, "bytes_sent": 0,
                                                  "readers": 0})
            if name == "paths":
                p["ready"] = labels.get("state") == "ready" and value > 0
            elif name in ("paths_bytes_received", "paths_inbound_bytes"):
                p["bytes_received"] = int(value)
            elif name in ("paths_bytes_sent", "paths_outbound_bytes"):
                p["bytes_sent"] = int(value)
            elif name == "paths_readers":
                p["readers"] += int(value)
        elif name == "rtsp_sessions" and "state" in labels:
            sessions[labels["state"]] = sessions.get(labels["state"], 0) + int(value)
    if sessions:
        paths["_rtsp_sessions"] = sessions
    return paths


class MediaMTXBackend(MediaBackend):
    name = "mediamtx"

    def __init__(self, *, cache_dir: Path = Path("cache"), **kw):
        super().__init__(**kw)
        self.cache_dir = Path(cache_dir)
        self.server: OwnedProcess | None = None
        self.publisher: OwnedProcess | None = None

    def preflight(self) -> Path:
        binary = resolve_binary(self.cache_dir)
        for key in ("rtsp", "api", "hls", "metrics"):
            check_port_free(self.host, self.ports[key], f"MediaMTX {key}")
        return binary

    def start(self, cameras: list[ServedCamera], timeout: float = 30.0) -> None:
        binary = self.preflight()
        self.work_dir.mkdir(parents=True, exist_ok=True)
        cfg_path = self.work_dir / "mediamtx.yml"
        write_text_atomic(cfg_path, yaml.safe_dump(make_config(self.host, self.ports, cameras), sort_keys=False))
        pub_path = self.work_dir / "publisher.json"
        write_text_atomic(pub_path, json.dumps({
            "url_base": f"rtsp://{self.host}:{self.ports['rtsp']}", "transport": "tcp",
            "cameras": [{"id": c.id, "clip": str(c.clip), "fps": c.fps, "online": c.online} for c in cameras]}))
        try:
            with open(self.work_dir / "mediamtx.log", "wb") as logf:
                self.server = self.procs.start("mediamtx", [str(binary), str(cfg_path)], stdout=logf,
                                               stderr=subprocess.STDOUT)
            self._wait(lambda: self.paths() is not None, timeout, "MediaMTX control API")
            with open(self.work_dir / "publisher.log", "wb") as logf:
                self.publisher = self.procs.start(
                    "publisher", [sys.executable, "-m", "fake_cameras.publisher", str(pub_path)],
                    stdin=subprocess.PIPE, stdout=logf, stderr=subprocess.STDOUT,
                    cwd=Path(__file__).resolve().parents[2])
            want = {c.id for c in cameras if c.online}
            self._wait(lambda: want <= {p["name"] for p in self.paths() if p.get("ready")}, timeout,
                       "every online camera published")
        except BaseException:
            self.stop()
            raise

    def _wait(self, predicate, timeout: float, what: str) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for proc in (self.server, self.publisher):
                if proc is not None and not proc.alive():
                    raise ResourceError(f"{proc.name} exited with code {proc.popen.returncode} "
                                        f"(see {self.work_dir}/{proc.name}.log)", where=what)
            try:
                if predicate():
                    return
            except ResourceError:
                pass
            time.sleep(0.2)
        raise ResourceError(f"not ready after {timeout:.0f}s", where=what)

    def stop(self) -> None:
        for attr in ("publisher", "server"):
            proc = getattr(self, attr)
            setattr(self, attr, None)
            if proc is not None:
                self.procs.stop(proc)

    def running(self) -> bool:
        return all(p is not None and p.alive() for p in (self.server, self.publisher))

    def set_state(self, camera_id: str, state: str, factor: float = 1.0) -> None:
        if state not in CAMERA_STATES:
            raise ValueError(f"state must be one of {CAMERA_STATES}")
        if self.publisher is None or not self.publisher.alive():
            raise ResourceError("publisher is not running", where=self.api_url)
        stdin = self.publisher.popen.stdin
        stdin.write((json.dumps({"camera": camera_id, "state": state, "factor": factor}) + "\n").encode())
        stdin.flush()

    def paths(self, items_per_page: int = 500) -> list[dict]:
        return fetch_paths(self.api_url, items_per_page)

    def metrics(self) -> dict[str, dict]:
        url = f"http://{self.host}:{self.ports['metrics']}/metrics"
        try:
            with urllib.request.urlopen(url, timeout=5) as r:
                return parse_metrics(r.read().decode())
        except OSError as e:
            raise ResourceError(f"metrics did not answer: {e}", where=url) from None

