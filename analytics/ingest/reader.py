"""One RTSP reader thread per camera: pull, decode (all / sampled / keyframes), queue, reconnect.

Decoding runs in the reader thread (FFmpeg releases the GIL while it decodes). Only sampled frames
are converted to BGR and queued; when a camera's queue is full the new frame is dropped and counted.
Connection failures back off exponentially with jitter; after ``offline_after`` failed tries in a
row the camera is marked offline (tries go on, so it comes back by itself).
"""
from __future__ import annotations

import logging
import random
import threading
import time
from collections import deque
from dataclasses import dataclass

import numpy as np

from analytics.config import IngestClass, ReconnectConfig
from analytics.ingest.camera import StackCamera
from analytics.ingest.stats import CameraStats
from common.credentials import redact

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class FrameItem:
    camera_id: str
    t_stream: float        # the frame's timestamp in the stream (seconds)
    t_capture: float       # wall clock (epoch) when it was decoded
    image: np.ndarray


class FrameQueues:
    """Bounded per-camera queues with one condition the detector waits on."""

    def __init__(self):
        self.cond = threading.Condition()
        self.queues: dict[str, deque] = {}
        self.sizes: dict[str, int] = {}

    def add_camera(self, cam_id: str, size: int) -> None:
        with self.cond:
            self.queues[cam_id] = deque()
            self.sizes[cam_id] = size

    def put(self, item: FrameItem) -> bool:
        """Queue a frame; False (dropped) when the camera's queue is full."""
        with self.cond:
            q = self.queues[item.camera_id]
            if len(q) >= self.sizes[item.camera_id]:
                return False
            q.append(item)
            self.cond.notify()
            return True

    def take(self, most: int, timeout: float) -> list[FrameItem]:
        """Up to ``most`` frames, round-robin across cameras, oldest first; waits up to ``timeout``."""
        with self.cond:
            if not any(self.queues.values()):
                self.cond.wait(timeout)
            out: list[FrameItem] = []
            while len(out) < most and any(self.queues.values()):
                for q in self.queues.values():
                    if q and len(out) < most:
                        out.append(q.popleft())
            return out


def backoff_delays(cfg: ReconnectConfig, rng: random.Random):
    """Exponential backoff with jitter: initial, initial*factor, ... capped at max_s, each +-jitter."""
    d = cfg.initial_s
    while True:
        yield max(0.05, d * (1.0 + rng.uniform(-cfg.jitter, cfg.jitter)))
        d = min(cfg.max_s, d * cfg.factor)


@dataclass(frozen=True)
class DecodedFrame:
    t_stream: float            # the frame's timestamp in the stream (seconds)
    image: np.ndarray | None   # BGR, for a sampled frame only
    wall_ms: float             # decode (+ conversion) time spent for this frame
    cpu_ms: float              # the same in this thread's CPU time


class SampledDecoder:
    """The reader's decode path: packets in, frames out, only sampled frames converted to BGR.

    ``decode`` is the class's mode: "all" converts every frame, "sampled" every ``step``-th frame by
    stream time, "keyframes" asks FFmpeg to skip non-key frames (and converts each keyframe). Decoding
    a packet's frames is timed with it, so the first frame out of a packet carries that packet's cost.
    The same object serves an RTSP stream and a file (the performance gate times it on a file).
    """

    def __init__(self, decode: str, step: int, fps: float):
        self.decode = decode
        self.step = max(1, step)
        self.fps = fps

    def configure(self, stream, threads: int = 1) -> None:
        cc = stream.codec_context
        cc.thread_count = threads
        if threads != 1:
            stream.thread_type = "AUTO"
        if self.decode == "keyframes":
            cc.skip_frame = "NONKEY"

    def frames(self, packets, stopped=lambda: False):
        for packet in packets:
            if stopped():
                return
            t0, c0 = time.perf_counter(), time.thread_time()
            decoded = packet.decode()
            dt = (time.perf_counter() - t0) * 1000.0
            dc = (time.thread_time() - c0) * 1000.0
            for frame in decoded:
                t_stream = frame.time if frame.time is not None else 0.0
                image = None
                if self.decode != "sampled" or int(round(t_stream * self.fps)) % self.step == 0:
                    t1, c1 = time.perf_counter(), time.thread_time()
                    image = frame.to_ndarray(format="bgr24")
                    dt += (time.perf_counter() - t1) * 1000.0
                    dc += (time.thread_time() - c1) * 1000.0
                yield DecodedFrame(t_stream, image, dt, dc)
                dt = dc = 0.0


class CameraReader(threading.Thread):
    def __init__(self, cam: StackCamera, cls_cfg: IngestClass, reconnect: ReconnectConfig,
                 queues: FrameQueues, stats: CameraStats, stop: threading.Event, decode_threads: int = 1,
                 seed: int = 0):
        super().__init__(name=f"reader-{cam.id}", daemon=True)
        self.cam = cam
        self.cls_cfg = cls_cfg
        self.reconnect = reconnect
        self.queues = queues
        self.stats = stats
        self.stop_event = stop
        self.decode_threads = decode_threads
        self.rng = random.Random(hash((cam.id, seed)) & 0xFFFFFFFF)
        self.step = 1
        if cls_cfg.decode == "sampled":
            self.step = max(1, int(round(cam.fps / cls_cfg.sample_fps)))

    def run(self) -> None:
        delays = backoff_delays(self.reconnect, self.rng)
        first = True
        while not self.stop_event.is_set():
            if not first:
                with self.stats.lock:
                    self.stats.reconnects += 1
            first = False
            self._got = False
            try:
                self._read_stream()
            except Exception as exc:   # any FFmpeg/network error: back off and retry
                with self.stats.lock:
                    self.stats.failures += 1
                    self.stats.last_error = redact(f"{type(exc).__name__}: {exc}")[:300]
                    if self.stats.failures >= self.reconnect.offline_after:
                        if self.stats.status != "offline":
                            log.warning("camera %s offline: %s", self.cam.id, self.stats.last_error)
                        self.stats.status = "offline"
                    elif self.stats.status != "offline":
                        self.stats.status = "connecting"
            if self._got:
                delays = backoff_delays(self.reconnect, self.rng)   # it worked: start over small
            if self.stop_event.wait(next(delays)):
                break
        with self.stats.lock:
            self.stats.status = "stopped"

    def _read_stream(self) -> None:
        import av
        rc = self.reconnect
        options = {"rtsp_transport": "tcp", "timeout": str(int(rc.open_timeout_s * 1e6))}
        container = av.open(self.cam.open_url(), options=options, timeout=(rc.open_timeout_s, rc.open_timeout_s))
        got = False
        try:
            stream = container.streams.video[0]
            decoder = SampledDecoder(self.cls_cfg.decode, self.step, self.cam.fps)
            decoder.configure(stream, self.decode_threads)
            for frame in decoder.frames(container.demux(stream), self.stop_event.is_set):
                with self.stats.lock:
                    if not got:
                        self.stats.status = "online"
                        self.stats.failures = 0
                        self.stats.last_error = ""
                    self.stats.frames_in += 1
                    self.stats.decode_ms_total += frame.wall_ms
                    self.stats.decode_cpu_ms_total += frame.cpu_ms
                    if frame.image is not None:
                        self.stats.frames_sampled += 1
                got = self._got = True
                if frame.image is not None:
                    if not self.queues.put(FrameItem(self.cam.id, frame.t_stream, time.time(), frame.image)):
                        with self.stats.lock:
                            self.stats.dropped += 1
            if not got:
                raise ConnectionError("stream ended before its first frame")
            raise ConnectionError("stream ended")
        finally:
            container.close()
            if got and not self.stop_event.is_set():
                log.info("camera %s: stream lost, reconnecting", self.cam.id)
