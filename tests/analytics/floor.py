"""The floor of the analytics path, per analysed frame, in CPU milliseconds of one thread.

What one analysed frame cannot do without: the bare detector forward at the stack's batch and input size
(letterboxed batch prepared outside the timing), plus the decodes the frame needs: in sampled mode every
frame since the previous sample (``step`` decodes) and one BGR conversion; in keyframe mode one keyframe
decode and its conversion. Each part is measured alone, in process CPU time (``time.process_time``), the
median of repeats, so a neighbour that steals the CPU does not inflate it.
"""
from __future__ import annotations

import statistics
import time
from pathlib import Path

import av
import numpy as np


def _cpu_ms(fn, repeats: int) -> float:
    out = []
    for _ in range(repeats):
        t0 = time.process_time()
        fn()
        out.append((time.process_time() - t0) * 1000.0)
    return statistics.median(out)


def decode_cpu_ms(clip: Path, keyframes_only: bool, repeats: int = 3) -> tuple[float, float]:
    """(decode CPU ms per decoded frame, BGR conversion CPU ms per frame) of ``clip``, one thread."""
    counted = {"frames": 0}

    def decode() -> None:
        with av.open(str(clip)) as c:
            s = c.streams.video[0]
            s.codec_context.thread_count = 1
            if keyframes_only:
                s.codec_context.skip_frame = "NONKEY"
            counted["frames"] = sum(1 for _ in c.decode(s))
    ms = _cpu_ms(decode, repeats) / max(counted["frames"], 1)
    with av.open(str(clip)) as c:
        frames = [f for _, f in zip(range(10), c.decode(video=0))]

    def convert() -> None:
        for f in frames:
            f.to_ndarray(format="bgr24")
    return ms, _cpu_ms(convert, repeats) / len(frames)


def forward_cpu_ms(detector, frames: list[np.ndarray], repeats: int = 5) -> float:
    """CPU ms per frame of ``detector.forward`` alone on a prepared batch of the stack's batch size."""
    from analytics.detect.prepost import to_batch
    batch, _ = to_batch(frames[:detector.cfg.batch], detector.cfg.imgsz)
    detector.forward(batch)                      # warm-up
    return _cpu_ms(lambda: detector.forward(batch), repeats) / len(batch)
