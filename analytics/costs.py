"""Measured costs of the stack's parts, in the calibration's shape (simulator.calibration, schema 1).

- ``decode_costs``: PyAV (the readers' decoder) ms per frame by resolution, one decoder thread;
- ``detector_costs``: ms per batch by backend x input size x batch, one intra-op thread, median of
  repeats after warm-up; and ``overhead``: the full ``Detector.detect`` (letterbox, forward, decode,
  NMS) against the bare forward of the same backend on the same frames.
"""
from __future__ import annotations

import statistics
import time
from pathlib import Path

import numpy as np

from common.vocabulary import Backend


def _stats(samples: list[float]) -> tuple[float, float]:
    return statistics.median(samples), (statistics.stdev(samples) if len(samples) > 1 else 0.0)


def decode_costs(clips: list, repeats: int = 3) -> list[dict]:
    """``clips``: records with ``path``, ``frames`` and ``fps`` (the camera farm's clips); each is
    decoded ``repeats`` times with 1 thread."""
    import av
    rows = []
    for clip in clips:
        per = []
        frames = 0
        for _ in range(repeats):
            with av.open(str(clip.path)) as c:
                s = c.streams.video[0]
                s.codec_context.thread_count = 1
                t0 = time.perf_counter()
                frames = 0
                for f in c.decode(s):
                    f.to_ndarray(format="bgr24")
                    frames += 1
                per.append((time.perf_counter() - t0) * 1000.0 / max(frames, 1))
        med, sd = _stats(per)
        p = clip.profile
        rows.append({"codec": p.codec, "width": p.width, "height": p.height, "ms_per_frame": round(med, 4),
                     "stdev_ms": round(sd, 4), "bitrate_kbps": p.bitrate_kbps, "frames": frames, "threads": 1})
    return rows


def make_detector_for(backend: str, weights: dict[str, str], imgsz: int, batch: int, threads: int):
    from analytics.config import OnnxDetector, OpenVinoDetector, UltralyticsDetector
    from analytics.detect import make_detector
    common = {"weights": weights[backend], "imgsz": imgsz, "batch": batch, "threads": threads}
    if backend == "ultralytics":
        return make_detector(UltralyticsDetector(**common))
    if backend == "onnx":
        return make_detector(OnnxDetector(type="onnx", **common))
    return make_detector(OpenVinoDetector(type="openvino", **common))


def time_detector(det, frames: list[np.ndarray], repeats: int = 7, warmup: int = 2) -> dict:
    """ms per frame of the full detect() and of the bare forward on the same (pre-made) batch."""
    from analytics.detect.prepost import to_batch
    batch, _ = to_batch(frames, det.cfg.imgsz)
    full, bare = [], []
    for i in range(warmup + repeats):
        t0 = time.perf_counter()
        det.forward(batch)
        t1 = time.perf_counter()
        det.detect(frames)
        t2 = time.perf_counter()
        if i >= warmup:
            bare.append((t1 - t0) * 1000.0)
            full.append((t2 - t1) * 1000.0)
    fm, fs = _stats(full)
    bm, bs = _stats(bare)
    n = len(frames)
    return {"ms_per_batch": round(bm, 3), "stdev_ms": round(bs, 3), "full_ms_per_batch": round(fm, 3),
            "ms_per_frame": round(bm / n, 3), "full_ms_per_frame": round(fm / n, 3),
            "overhead": round(fm / bm, 3), "repeats": repeats}


def detector_costs(weights: dict[str, str], frames: list[np.ndarray], sizes=(320, 416, 640), batches=(1, 8),
                   threads: int = 1, repeats: int = 7) -> list[dict]:
    rows = []
    for backend in weights:
        for imgsz in sizes:
            for b in batches:
                det = make_detector_for(backend, weights, imgsz, b, threads)
                r = time_detector(det, [frames[i % len(frames)] for i in range(b)], repeats)
                rows.append({"backend": Backend.parse(backend).value, "model": "yolov8n", "input_size": imgsz,
                             "batch": b, "threads": threads, **r})
    return rows


def decoded_sample(clip_path: Path, n: int = 8) -> list[np.ndarray]:
    import av
    out = []
    with av.open(str(clip_path)) as c:
        for i, f in enumerate(c.decode(video=0)):
            if i % 10 == 5:
                out.append(f.to_ndarray(format="bgr24"))
            if len(out) >= n:
                break
    return out
