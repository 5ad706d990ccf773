"""The embedded backend: ``fake_cameras/gst_rtsp_server.py`` run under Debian's /usr/bin/python3.

One process serves every camera from memory (no re-encoding, no publisher processes) and answers
the control API's ``/v3/paths/list`` itself.
"""
from __future__ import annotations

import json
import logging
import os
import subprocess
import time
from pathlib import Path

from common.atomic import write_text_atomic
from common.errors import InputError, ResourceError, UnavailableError
from common.netguard import check_port_free
from common.procs import OwnedProcess
from fake_cameras.backends.base import CAMERA_STATES, MediaBackend, ServedCamera, get_json

log = logging.getLogger(__name__)

SYSTEM_PYTHON = os.environ.get("TILIKBENCH_GST_PYTHON", "/usr/bin/python3")
SERVER_SCRIPT = Path(__file__).resolve().parent.parent / "gst_rtsp_server.py"
# "appsrc": every access unit pushed from Python (all impairments); "loop": the clip loops inside
# GStreamer, no Python per packet (dense farms; online/offline only). See fake_cameras/gst_loop_media.py.
SERVING = ("appsrc", "loop")


def check_gstreamer(python: str = SYSTEM_PYTHON) -> None:
    """Raise UnavailableError unless ``python`` imports GStreamer's RTSP server bindings."""
    probe = ('import gi; gi.require_version("GstRtspServer", "1.0"); '
             'from gi.repository import GstRtspServer')
    try:
        out = subprocess.run([python, "-c", probe], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as e:
        raise UnavailableError(f"cannot run {python}: {e}", where=python) from None
    if out.returncode != 0:
        raise UnavailableError(
            "GStreamer RTSP server bindings do not import (install python3-gi gir1.2-gst-rtsp-server-1.0; "
            f"`make setup` does): {out.stderr.strip().splitlines()[-1:]}", where=python)


class EmbeddedBackend(MediaBackend):
    name = "embedded"

    def __init__(self, *, max_threads: int = 64, serving: str = "appsrc", **kw):
        super().__init__(**kw)
        if serving not in SERVING:
            raise ValueError(f"serving must be one of {SERVING}, got {serving!r}")
        self.max_threads = max_threads
        self.serving = serving
        self.proc: OwnedProcess | None = None
        self.cameras: list[ServedCamera] = []
        self.sites: list[dict] = []     # NVR sites (fake_cameras/gst_nvr.py); set before start

    def preflight(self) -> None:
        check_port_free(self.host, self.ports["rtsp"], "RTSP server")
        check_port_free(self.host, self.ports["api"], "control API")
        check_gstreamer()

    def start(self, cameras: list[ServedCamera], timeout: float = 30.0) -> None:
        self.preflight()
        self.cameras = list(cameras)
        self.work_dir.mkdir(parents=True, exist_ok=True)
        cfg_path = self.work_dir / "embedded-server.json"
        write_text_atomic(cfg_path, json.dumps({       # 0600: the NVR sites' passwords are in it
            "host": self.host, "rtsp_port": self.ports["rtsp"], "api_port": self.ports["api"],
            "max_threads": self.max_threads, "serving": self.serving, "work_dir": str(self.work_dir),
            "cameras": [{"id": c.id, "clip": str(c.clip), "codec": c.codec, "fps": c.fps} for c in cameras],
            "offline": [c.id for c in cameras if not c.online],
            "sites": self.sites,
        }), mode=0o600)
        log_path = self.work_dir / "embedded-server.log"
        with open(log_path, "wb") as logf:
            self.proc = self.procs.start("gst-rtsp-server", [SYSTEM_PYTHON, str(SERVER_SCRIPT), str(cfg_path)],
                                         stdout=logf, stderr=subprocess.STDOUT)
        try:
            self._wait_ready(log_path, timeout)
        except BaseException:
            self.stop()
            raise

    def _wait_ready(self, log_path: Path, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.proc.alive():
                text = log_path.read_text(errors="replace")
                for line in text.splitlines():
                    if line.startswith("FOOTAGE-ERROR "):
                        raise InputError(line.split(" ", 1)[1], where="footage")
                    if line.startswith("PORT-ERROR "):
                        raise ResourceError(line.split(" ", 1)[1], where=f"{self.host}:{self.ports['rtsp']}")
                raise ResourceError(f"embedded RTSP server exited with code {self.proc.popen.returncode}: "
                                    f"{text.strip()[-800:]}", where=str(log_path))
            if "READY" in log_path.read_text(errors="replace"):
                try:
                    get_json(f"{self.api_url}/v3/paths/list?itemsPerPage=1", timeout=2)
                    return
                except ResourceError:
                    pass
            time.sleep(0.1)
        raise ResourceError(f"embedded RTSP server not ready after {timeout:.0f}s", where=str(log_path))

    def stop(self) -> None:
        if self.proc is None:
            return
        proc, self.proc = self.proc, None
        self.procs.stop(proc)

    def running(self) -> bool:
        return self.proc is not None and self.proc.alive()

    def set_state(self, camera_id: str, state: str, factor: float = 1.0) -> None:
        if state not in CAMERA_STATES:
            raise ValueError(f"state must be one of {CAMERA_STATES}")
        get_json(f"{self.api_url}/v1/impair/{camera_id}", data={"state": state, "factor": factor})

    def set_site_state(self, site_id: str, state: str, factor: float = 0.0) -> None:
        """An NVR site's fault state: online | reboot | loss (``factor``: share of RTP packets dropped)."""
        get_json(f"{self.api_url}/v1/site/{site_id}", data={"state": state, "factor": factor})

    def site_status(self) -> list[dict]:
        return get_json(f"{self.api_url}/v1/sites").get("items") or []

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc else None
