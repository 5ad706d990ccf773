"""Cached latest-frame JPEG snapshots: one keyframe decoded per grab, at most one grab per camera every
``refresh_s`` (stale-while-refresh: an old snapshot is served at once while a new one is grabbed).

A grab decodes one keyframe with ffmpeg (``-skip_frame nokey -frames:v 1``), from the newest HLS
segment when a packager already runs for the camera (local file, no second RTSP session), else from
the camera's RTSP. Cached files live under ``state_dir/snap`` so every worker shares them. A failed grab (camera
offline) is remembered for ``refresh_s`` too, so an unreachable camera costs one ffmpeg per period,
not one per request.
"""
from __future__ import annotations

import asyncio
import logging
import os
import time
from pathlib import Path
from typing import Callable

from analytics.portal.hls import input_args
from common.atomic import write_bytes_atomic

log = logging.getLogger(__name__)


def grab_args(source: str) -> list[str]:
    """ffmpeg's command for one keyframe of an RTSP URL or a local media file (``input_args`` refuses
    anything else with ValueError)."""
    args = ["ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error"]
    if source.startswith("rtsp://"):
        args += ["-analyzeduration", "500000", "-probesize", "200000"]  # ~1 s, not 3-6 s
    return args + ["-skip_frame", "nokey", *input_args(source), "-map", "0:v:0", "-frames:v", "1",
                   "-f", "image2pipe", "-c:v", "mjpeg", "-q:v", "5", "pipe:1"]


async def grab_jpeg(source: str, timeout_s: float) -> bytes | None:
    """Decode one keyframe of ``source`` to JPEG; None on failure or timeout (the ffmpeg is killed by PID)."""
    try:
        args = grab_args(source)
    except ValueError as e:
        log.warning("snapshot not taken: %s", e)
        return None
    proc = await asyncio.create_subprocess_exec(*args, stdin=asyncio.subprocess.DEVNULL,
                                                stdout=asyncio.subprocess.PIPE,
                                                stderr=asyncio.subprocess.PIPE)
    try:
        out, err = await asyncio.wait_for(proc.communicate(), timeout_s)
    except asyncio.TimeoutError:
        proc.kill()
        await proc.wait()
        log.warning("snapshot of %s timed out after %.1fs", source, timeout_s)
        return None
    if proc.returncode != 0 or not out.startswith(b"\xff\xd8"):
        log.warning("snapshot of %s failed: %s", source, err.decode(errors="replace").strip()[:200])
        return None
    return out


class SnapshotCache:
    def __init__(self, root: Path, refresh_s: float, timeout_s: float,
                 local_source: Callable[[str], Path | None] | None = None):
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        self.refresh_s, self.timeout_s = refresh_s, timeout_s
        self.local_source = local_source
        self._mem: dict[str, tuple[float, bytes]] = {}
        self._grabbing: dict[str, asyncio.Task] = {}
        self.grabs = 0

    def _cached(self, camera_id: str) -> tuple[float, bytes] | None:
        path = self.root / f"{camera_id}.jpg"
        try:
            mtime = path.stat().st_mtime
        except FileNotFoundError:
            return None
        hit = self._mem.get(camera_id)
        if hit and hit[0] == mtime:
            return hit
        data = path.read_bytes()
        self._mem[camera_id] = (mtime, data)
        return mtime, data

    def _claim(self, camera_id: str) -> bool:
        """Cross-worker: at most one grab per camera per refresh period (an O_EXCL claim file)."""
        claim = self.root / f"{camera_id}.claim"
        try:
            fd = os.open(claim, os.O_WRONLY | os.O_CREAT | os.O_EXCL)
            os.close(fd)
            return True
        except FileExistsError:
            try:
                if time.time() - claim.stat().st_mtime > self.timeout_s + 1:
                    claim.unlink(missing_ok=True)     # a grab that died; take over next time
            except FileNotFoundError:
                pass
            return False

    async def _grab(self, camera_id: str, url: str) -> bytes | None:
        try:
            local = self.local_source(camera_id) if self.local_source else None
            data = await grab_jpeg(str(local), self.timeout_s) if local else None
            if data is None:
                data = await grab_jpeg(url, self.timeout_s)
            self.grabs += 1
            if data is not None:
                write_bytes_atomic(self.root / f"{camera_id}.jpg", data)
                (self.root / f"{camera_id}.fail").unlink(missing_ok=True)
            else:
                (self.root / f"{camera_id}.fail").touch()     # no new grab for this camera until refresh_s
            return data
        finally:
            (self.root / f"{camera_id}.claim").unlink(missing_ok=True)
            self._grabbing.pop(camera_id, None)

    def _failed_recently(self, camera_id: str) -> bool:
        try:
            return time.time() - (self.root / f"{camera_id}.fail").stat().st_mtime < self.refresh_s
        except FileNotFoundError:
            return False

    async def get(self, camera_id: str, url: str) -> bytes | None:
        hit = self._cached(camera_id)
        if hit and time.time() - hit[0] < self.refresh_s:
            return hit[1]
        if self._failed_recently(camera_id):       # an unreachable camera is not asked again per request
            return hit[1] if hit else None
        task = self._grabbing.get(camera_id)
        if task is None and self._claim(camera_id):
            task = asyncio.create_task(self._grab(camera_id, url))
            self._grabbing[camera_id] = task
        if hit:
            return hit[1]              # stale while a fresh one is grabbed
        if task is not None:
            return await asyncio.shield(task)
        deadline = time.monotonic() + self.timeout_s + 1     # another worker grabs: wait for its file
        while time.monotonic() < deadline:
            await asyncio.sleep(0.1)
            hit = self._cached(camera_id)
            if hit:
                return hit[1]
        return None
