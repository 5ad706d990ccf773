"""Shared pieces of the fleet tests: scenario dicts on free ports, process checks, an OpenCV reader."""
from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import cv2
import psutil
import yaml

from common.netguard import free_port

REPO = Path(__file__).resolve().parents[2]
CACHE = REPO / "cache"          # footage is cached by content hash: shared across runs
# OpenCV opens captures one at a time (a global lock around the demuxer's open); a short probe keeps
# 20 opens from queueing behind ~3 s of stream analysis each. Resolution still comes from the stream.
os.environ.setdefault("OPENCV_FFMPEG_CAPTURE_OPTIONS", "rtsp_transport;tcp|analyzeduration;200000|probesize;32768")


def fleet_dict(classes: list[dict], impairments: list[dict] | None = None, **kw) -> dict:
    return {"backend": "embedded", "host": "127.0.0.1", "rtsp_port": free_port(), "api_port": free_port(),
            "classes": classes, "impairments": impairments or [], **kw}


def rt_class(count: int, name: str = "rt", variants: int = 2, duration_s: float = 10) -> dict:
    return {"name": name, "count": count, "group": "CCTV RT", "kecamatan": ["Tembalang", "Candisari"],
            "profile": "rt-360p10", "footage": {"variants": variants, "scene": {"duration_s": duration_s}}}


def write_scenario(path: Path, cameras: dict, name: str = "t") -> Path:
    path.write_text(yaml.safe_dump({"schema_version": 1, "name": name, "seed": 1, "cameras": cameras}))
    return path


def alive(records: list[tuple[int, float]]) -> list[int]:
    """PIDs among (pid, create_time) records that still run as the same process (zombies count as gone)."""
    out = []
    for pid, ctime in records:
        try:
            p = psutil.Process(pid)
            if abs(p.create_time() - ctime) < 0.01 and p.status() != psutil.STATUS_ZOMBIE:
                out.append(pid)
        except psutil.Error:
            pass
    return out


def records_of(pids: list[int]) -> list[tuple[int, float]]:
    return [(pid, psutil.Process(pid).create_time()) for pid in pids]


def tree(pid: int) -> list[int]:
    p = psutil.Process(pid)
    return [pid] + [c.pid for c in p.children(recursive=True)]


def read_with_opencv(url: str, seconds: float, skip_s: float = 1.5) -> dict:
    """Decode ``url`` with OpenCV for ``seconds`` after the first frame.

    Frames that arrive in the first ``skip_s`` seconds are left out of the rate: FFmpeg hands over the
    frames it buffered while probing the stream in one burst.
    """
    cap = cv2.VideoCapture(url, cv2.CAP_FFMPEG)
    try:
        ok, frame = cap.read()
        if not ok:
            return {"ok": False, "frames": 0}
        shape = frame.shape
        t0 = time.monotonic()
        times, n = [], 1
        while time.monotonic() - t0 < seconds:
            ok, frame = cap.read()
            if not ok:
                break
            n += 1
            now = time.monotonic()
            if now - t0 >= skip_s:
                times.append(now)
                shape = frame.shape
        rate = (len(times) - 1) / (times[-1] - times[0]) if len(times) > 2 else 0.0
        return {"ok": True, "frames": n, "shape": shape, "fps": rate, "read_s": time.monotonic() - t0}
    finally:
        cap.release()


def read_all_with_opencv(urls: list[str], seconds: float) -> dict[str, dict]:
    out: dict[str, dict] = {}

    def work(u: str) -> None:
        out[u] = read_with_opencv(u, seconds)

    threads = [threading.Thread(target=work, args=(u,), daemon=True) for u in urls]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=seconds + 40)
    return out
