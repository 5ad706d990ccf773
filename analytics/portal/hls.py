"""Live view as HLS, packaged on demand from a camera's RTSP by ffmpeg stream copy (no re-encode).

State lives in files under ``state_dir/hls/<camera>/`` so that every worker process shares it:
``packager.json`` records the ffmpeg PID (and start time), ``leases/<viewer>`` files are renewed by
each playlist or segment request of that viewer. The first viewer starts the packager (under an
flock, so only one worker does); a reaper in every worker stops it, by its recorded PID, once no
lease has been renewed for ``idle_timeout_s``.

Anyone may open a live view, so what a view costs is capped for all workers together: at most
``max_packagers`` ffmpeg packagers and ``max_leases`` viewer leases at once (beyond, ``HlsBusy``:
the portal answers 503). A packager's input is an RTSP URL or a local file named ``file:PATH``
under ``-protocol_whitelist``, so a camera record cannot make ffmpeg open other protocols or
read a playlist of other files.
"""
from __future__ import annotations

import asyncio
import fcntl
import json
import logging
import os
import re
import shutil
import subprocess
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psutil

from common.atomic import write_text_atomic
from common.procs import stop_pid

log = logging.getLogger(__name__)

SEGMENT_RE = re.compile(r"^seg_\d{1,9}\.ts$")
VIEWER_RE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


@dataclass(frozen=True)
class HlsSettings:
    segment_s: float = 2.0
    list_size: int = 5
    idle_timeout_s: float = 20.0
    start_timeout_s: float = 15.0
    max_packagers: int = 128
    max_leases: int = 20_000


class HlsBusy(Exception):
    """The cap on packagers or leases is reached (the portal answers 503 with Retry-After)."""


RTSP_PROTOCOLS = "rtsp,rtsps,rtp,srtp,udp,tcp,tls"
MEDIA_SUFFIXES = (".mp4", ".mkv", ".mov", ".ts", ".m4v", ".webm", ".avi", ".flv", ".h264", ".h265", ".hevc")


def input_args(url: str) -> list[str]:
    """``-i`` of an ffmpeg reading a camera: an RTSP URL, or a local media file as ``file:PATH``, each
    under a protocol whitelist. Anything else is refused (ValueError)."""
    if url.startswith(("rtsp://", "rtsps://")):
        return ["-protocol_whitelist", RTSP_PROTOCOLS, "-rtsp_transport", "tcp", "-i", url]
    path = Path(url[len("file:"):] if url.startswith("file:") else url)
    if path.suffix.lower() in MEDIA_SUFFIXES and path.is_file():
        return ["-protocol_whitelist", "file", "-i", f"file:{path.resolve()}"]
    raise ValueError(f"camera source {url[:80]!r} is neither an rtsp:// URL nor a local media file")


def packager_args(url: str, out_dir: Path, s: HlsSettings) -> list[str]:
    """The ffmpeg command of one packager: RTSP in, HLS out, stream copy."""
    args = ["ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error"]
    src = input_args(url)
    if url.startswith(("rtsp://", "rtsps://")):
        args += ["-analyzeduration", "500000", "-probesize", "200000"]
    else:                           # a local file: play it as a live camera (development)
        args += ["-re", "-stream_loop", "-1"]
    args += [*src, "-map", "0:v:0", "-c", "copy", "-f", "hls",
             "-hls_time", f"{s.segment_s:g}", "-hls_list_size", str(s.list_size),
             "-hls_flags", "delete_segments+temp_file+omit_endlist",
             "-hls_segment_filename", str(out_dir / "seg_%05d.ts"), str(out_dir / "index.m3u8")]
    return args


@contextmanager
def _flock(path: Path):
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def _recorded_alive(record: Path) -> dict | None:
    try:
        rec = json.loads(record.read_text())
        proc = psutil.Process(rec["pid"])
        if abs(proc.create_time() - rec["create_time"]) > 0.01 or proc.status() == psutil.STATUS_ZOMBIE:
            return None
        return rec
    except (OSError, ValueError, KeyError, psutil.Error):
        return None


class HlsPackagers:
    """On-demand packagers of one portal (all workers share ``root``)."""

    def __init__(self, root: Path, settings: HlsSettings):
        self.root = Path(root)
        self.s = settings
        self._mine: dict[str, subprocess.Popen] = {}   # started by this worker: reaped here

    def cam_dir(self, camera_id: str) -> Path:
        return self.root / camera_id

    def touch_lease(self, camera_id: str, viewer: str) -> bool:
        """Renew the viewer's lease. True if it had none (a view starts): a new lease only while fewer
        than ``max_leases`` exist (else HlsBusy)."""
        leases = self.cam_dir(camera_id) / "leases"
        lease = leases / viewer
        try:
            os.utime(lease)
            return False
        except FileNotFoundError:
            if self.lease_count() >= self.s.max_leases:
                raise HlsBusy(f"{self.s.max_leases} live viewers already") from None
            leases.mkdir(parents=True, exist_ok=True)
            lease.touch()
            return True

    def lease_count(self) -> int:
        n = 0
        for leases in self.root.glob("*/leases"):
            try:
                n += len(os.listdir(leases))
            except FileNotFoundError:
                pass
        return n

    def end_lease(self, camera_id: str, viewer: str) -> None:
        (self.cam_dir(camera_id) / "leases" / viewer).unlink(missing_ok=True)

    def running(self, camera_id: str) -> bool:
        return _recorded_alive(self.cam_dir(camera_id) / "packager.json") is not None

    def ensure_started(self, camera_id: str, url: str) -> bool:
        """Start the camera's packager unless one runs. True if this call started it; HlsBusy when
        ``max_packagers`` run already (counted under one lock shared by every worker)."""
        d = self.cam_dir(camera_id)
        with _flock(self.root / f"{camera_id}.lock"), _flock(self.root / ".start.lock"):
            if _recorded_alive(d / "packager.json"):
                return False
            if self.packager_count() >= self.s.max_packagers:
                raise HlsBusy(f"{self.s.max_packagers} live packagers already")
            for p in d.glob("seg_*.ts"):
                p.unlink(missing_ok=True)
            (d / "index.m3u8").unlink(missing_ok=True)
            d.mkdir(parents=True, exist_ok=True)
            popen = subprocess.Popen(packager_args(url, d, self.s), stdin=subprocess.DEVNULL,
                                     stdout=subprocess.DEVNULL, stderr=open(d / "ffmpeg.log", "wb"))
            self._mine[camera_id] = popen
            rec = {"pid": popen.pid, "create_time": psutil.Process(popen.pid).create_time(), "url": url,
                   "started": time.time()}
            write_text_atomic(d / "packager.json", json.dumps(rec))
            log.info("HLS packager for %s started, pid %d", camera_id, popen.pid)
            return True

    async def playlist(self, camera_id: str, url: str) -> Path | None:
        """Path of the live playlist, starting the packager and waiting for its first playlist."""
        d = self.cam_dir(camera_id)
        if not self.running(camera_id):
            try:
                await asyncio.to_thread(self.ensure_started, camera_id, url)
            except ValueError as e:      # a source the packager refuses to open
                log.warning("HLS packager for %s not started: %s", camera_id, e)
                return None
        path = d / "index.m3u8"
        deadline = time.monotonic() + self.s.start_timeout_s
        while not path.exists():
            if time.monotonic() > deadline or not self.running(camera_id):
                return None
            await asyncio.sleep(0.1)
        return path

    def segment(self, camera_id: str, name: str) -> Path | None:
        if not SEGMENT_RE.fullmatch(name):
            return None
        p = self.cam_dir(camera_id) / name
        return p if p.exists() else None

    def newest_segment(self, camera_id: str) -> Path | None:
        segs = sorted(self.cam_dir(camera_id).glob("seg_*.ts"))
        return segs[-2] if len(segs) >= 2 else None     # the newest one may still be written

    def active_leases(self, now: float | None = None) -> dict[str, int]:
        now = now if now is not None else time.time()
        out = {}
        for leases in self.root.glob("*/leases"):
            n = 0
            for f in leases.iterdir():
                try:
                    if now - f.stat().st_mtime <= self.s.idle_timeout_s:
                        n += 1
                    else:
                        f.unlink(missing_ok=True)
                except FileNotFoundError:
                    pass
            out[leases.parent.name] = n
        return out

    def reap(self, now: float | None = None) -> list[str]:
        """Stop packagers with no live lease; reap our exited children. Returns the cameras stopped."""
        stopped = []
        leases = self.active_leases(now)
        for rec_path in self.root.glob("*/packager.json"):
            cam = rec_path.parent.name
            if leases.get(cam, 0) > 0:
                continue
            with _flock(self.root / f"{cam}.lock"):
                rec = _recorded_alive(rec_path)
                if rec is not None and (now or time.time()) - rec["started"] < self.s.idle_timeout_s:
                    continue   # just started; its first viewer has not fetched yet
                if rec is not None:
                    stop_pid(rec["pid"], rec["create_time"], timeout=3.0)
                    log.info("HLS packager for %s stopped (no viewers), pid %d", cam, rec["pid"])
                    stopped.append(cam)
                rec_path.unlink(missing_ok=True)
        for cam, popen in list(self._mine.items()):
            if popen.poll() is not None:
                del self._mine[cam]
        return stopped

    def stop_all(self) -> None:
        for rec_path in self.root.glob("*/packager.json"):
            rec = _recorded_alive(rec_path)
            if rec is not None:
                stop_pid(rec["pid"], rec["create_time"], timeout=3.0)
            rec_path.unlink(missing_ok=True)
        for popen in self._mine.values():
            try:
                popen.wait(timeout=3)
            except subprocess.TimeoutExpired:
                popen.kill()
                popen.wait()
        self._mine.clear()

    def clear(self) -> None:
        """Remove old output (call once at portal start, before any worker serves)."""
        self.stop_all()
        shutil.rmtree(self.root, ignore_errors=True)
        self.root.mkdir(parents=True, exist_ok=True)

    def packager_count(self) -> int:
        return sum(1 for p in self.root.glob("*/packager.json") if _recorded_alive(p))
