"""Per-camera ingest statistics, updated by reader and detector threads, snapshotted as JSON."""
from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass, field

import numpy as np

LAG_SAMPLES = 512        # the most recent lags kept per event type for the percentiles


def lag_percentiles(samples: dict[str, "deque[float] | list[float]"]) -> dict:
    """Event type -> {n, p50_ms, p95_ms} over the kept lag samples (capture -> stored, ms)."""
    return {t: {"n": len(v), "p50_ms": round(float(np.percentile(v, 50)), 1),
                "p95_ms": round(float(np.percentile(v, 95)), 1)}
            for t, v in sorted(samples.items()) if len(v)}


@dataclass
class CameraStats:
    camera_id: str
    camera_class: str
    status: str = "connecting"          # connecting | online | offline | stopped
    frames_in: int = 0                  # frames decoded from the stream
    frames_sampled: int = 0             # frames chosen for analysis
    frames_analysed: int = 0
    stream_frame: int | None = None     # stream frame number (from its timestamp) of the last analysed
                                        # frame whose events are stored: where scoring places the camera
    dropped: int = 0                    # sampled frames dropped because the queue was full
    decode_ms_total: float = 0.0        # wall time (includes waiting for a CPU / the GIL)
    decode_cpu_ms_total: float = 0.0    # the reader thread's CPU time (time.thread_time)
    reconnects: int = 0
    failures: int = 0                   # consecutive failed connection tries
    last_error: str = ""
    events: int = 0
    lag_ms_total: float = 0.0           # capture -> stored, summed over stored events
    lag_ms_max: float = 0.0
    analyse_lag_ms_total: float = 0.0   # capture -> analysed, summed over analysed frames
    lags: dict = field(default_factory=dict)    # event type -> deque of the last LAG_SAMPLES lags (ms)
    rules: dict = field(default_factory=dict)   # rule type -> status
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def snapshot(self) -> dict:
        with self.lock:
            return {
                "camera_id": self.camera_id, "camera_class": self.camera_class, "status": self.status,
                "frames_in": self.frames_in, "frames_sampled": self.frames_sampled,
                "frames_analysed": self.frames_analysed, "dropped": self.dropped,
                "stream_frame": self.stream_frame,
                "decode_ms": round(self.decode_ms_total / self.frames_in, 3) if self.frames_in else None,
                "decode_cpu_ms": round(self.decode_cpu_ms_total / self.frames_in, 3) if self.frames_in else None,
                "reconnects": self.reconnects, "last_error": self.last_error,
                "events": self.events,
                "lag_ms": round(self.lag_ms_total / self.events, 1) if self.events else None,
                "lag_ms_max": round(self.lag_ms_max, 1) if self.events else None,
                "analyse_lag_ms": (round(self.analyse_lag_ms_total / self.frames_analysed, 1)
                                   if self.frames_analysed else None),
                "lag_by_type": lag_percentiles(self.lags),
                "rules": dict(self.rules),
            }

    def add_lag(self, event_type: str, lag_ms: float) -> None:
        """Count one stored event (call with ``lock`` held)."""
        self.events += 1
        self.lag_ms_total += lag_ms
        self.lag_ms_max = max(self.lag_ms_max, lag_ms)
        self.lags.setdefault(event_type, deque(maxlen=LAG_SAMPLES)).append(lag_ms)
