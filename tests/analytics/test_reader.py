"""The reader's decode modes and queue, on a clip file (PyAV opens files like streams)."""
from __future__ import annotations

import threading

import pytest

from analytics.config import IngestClass, ReconnectConfig
from analytics.ingest.camera import StackCamera
from analytics.ingest.reader import CameraReader, FrameQueues, backoff_delays
from analytics.ingest.stats import CameraStats
from tests.analytics.helpers import smoke_clip


def _read(decode: str, sample_fps: float = 1.0, queue: int = 1000):
    clip, gt = smoke_clip("atcs")
    cam = StackCamera("c", str(clip.path), "atcs", clip.fps)
    q = FrameQueues()
    q.add_camera("c", queue)
    st = CameraStats("c", "atcs")
    r = CameraReader(cam, IngestClass(name="atcs", decode=decode, sample_fps=sample_fps, queue=queue),
                     ReconnectConfig(), q, st, threading.Event())
    with pytest.raises(ConnectionError, match="stream ended"):
        r._read_stream()
    return clip, gt, q, st


def test_decode_all_sampled_and_keyframes():
    clip, gt, q, st = _read("all")
    assert st.frames_in == gt.frames == st.frames_sampled == len(q.queues["c"])
    _, _, q, st = _read("sampled", sample_fps=2.0)            # 10 fps clip: every 5th frame
    assert st.frames_in == gt.frames and st.frames_sampled == gt.frames // 5
    assert [round(it.t_stream * 10) % 5 for it in q.queues["c"]] == [0] * st.frames_sampled
    _, _, q, st = _read("keyframes")                          # gop 20: one frame in 20 is decoded
    assert st.frames_in == st.frames_sampled == gt.frames // clip.profile.gop
    assert st.decode_ms_total > 0 and st.status == "online"


def test_full_queue_drops_and_counts():
    clip, gt, q, st = _read("all", queue=7)
    assert len(q.queues["c"]) == 7 and st.dropped == gt.frames - 7


def test_backoff_grows_to_the_cap_with_jitter():
    import random
    d = backoff_delays(ReconnectConfig(initial_s=0.5, max_s=4.0, factor=2.0, jitter=0.25), random.Random(1))
    waits = [next(d) for _ in range(8)]
    for w, base in zip(waits, [0.5, 1, 2, 4, 4, 4, 4, 4]):
        assert 0.75 * base <= w <= 1.25 * base
    assert len({round(w, 6) for w in waits[3:]}) > 1          # jittered, not in lock-step
