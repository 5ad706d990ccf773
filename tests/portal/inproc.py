"""The portal application in the test process (Starlette's TestClient, no sockets), for tests of
what the application itself answers; tests of the HTTP server's own limits use ``PortalServer``."""
from __future__ import annotations

import subprocess
import warnings
from pathlib import Path

from analytics.portal.app import create_app
from analytics.portal.config import PortalConfig
from analytics.portal.serve import hashed_config

OPERATOR = ("op-sec", "operator-secret-9")
RT_HEAD = ("rt-sec", "rthead-secret-9")


def records(n: int = 3, url: str = "rtsp://127.0.0.1:9/none") -> list[dict]:
    """Catalogue records of cameras nobody serves (an RTSP port that refuses connections)."""
    return [{"id": f"cam-{i:04d}", "url": url, "group": ("ATCS", "CCTV RT", "Private")[i % 3],
             "camera_class": "cam", "kecamatan": "Candisari"} for i in range(1, n + 1)]


def config(tmp: Path, **kw) -> PortalConfig:
    base = dict(state_dir=str(tmp / "state"), events_dsn=None, login_attempts=1000, login_attempts_per_ip=100_000,
                hls_segment_s=1.0, hls_start_timeout_s=10.0, snapshot_timeout_s=2.0,
                users=[{"username": OPERATOR[0], "role": "operator", "password": OPERATOR[1]},
                       {"username": RT_HEAD[0], "role": "rt_head", "password": RT_HEAD[1], "kecamatan": ["Candisari"]}])
    base.update(kw)
    return hashed_config(PortalConfig.model_validate(base))


def client(cfg: PortalConfig, recs: list[dict] | None = None):
    """A TestClient of the portal app (use as a context manager: it runs the app's lifespan)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from starlette.testclient import TestClient
    return TestClient(create_app(cfg, recs if recs is not None else records()), raise_server_exceptions=False)


def login(c, user: str, password: str) -> str:
    r = c.post("/api/login", json={"username": user, "password": password})
    assert r.status_code == 200, r.text
    return r.json()["token"]


def tiny_clip(path: Path, seconds: float = 2.0) -> Path:
    """A small H.264 MPEG-TS test pattern (keyframe every 10 frames), made with ffmpeg."""
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", "-f", "lavfi", "-i",
                    f"testsrc=size=160x120:rate=10:duration={seconds}", "-c:v", "libx264", "-g", "10",
                    "-pix_fmt", "yuv420p", str(path)], check=True, timeout=60)
    return path
