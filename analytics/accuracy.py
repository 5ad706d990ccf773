"""Accuracy of the stack against the generated footage's ground truth, and under overload.

Figures for the runner and the report:
- ``count_accuracy``: vehicle line counts per class (measured vs ground truth over whole clip loops);
- ``parking_accuracy``: illegal-parking events matched to ground-truth dwell intervals, dwell error;
- ``overload_curve``: what the counts become when a share of the sampled frames is dropped (as a full
  queue does), measured by running the same pipeline on the decoded clip.
"""
from __future__ import annotations

import logging
from collections import Counter
from pathlib import Path
from typing import Iterable

import numpy as np

from analytics.config import VEHICLES
from analytics.store import Event

log = logging.getLogger(__name__)


def _rel_err(measured: int, truth: int) -> float | None:
    return None if truth == 0 else (measured - truth) / truth


def _total(per: dict[str, dict]) -> dict:
    """Totals over classes; ``accuracy`` = 1 - sum |measured - truth| / truth (None without truth)."""
    truth = sum(v["truth"] for v in per.values())
    measured = sum(v["measured"] for v in per.values())
    abs_error = sum(abs(v["measured"] - v["truth"]) for v in per.values())
    return {"truth": truth, "measured": measured, "error": _rel_err(measured, truth), "abs_error": abs_error,
            "accuracy": None if truth == 0 else round(max(0.0, 1.0 - abs_error / truth), 4)}


def count_accuracy(events: Iterable[Event], gt, loops: Iterable[int], classes=VEHICLES) -> dict:
    """Line counts per class over ``loops`` of one camera (or several cameras of the same clip,
    then ``gt`` counts are multiplied by the number of (camera, loop) pairs)."""
    loops = set(loops)
    got: Counter = Counter()
    for e in events:
        if e.type != "line_count":
            continue
        if e.payload.get("loop") in loops:
            got[e.payload["cls"]] += 1
    truth1 = gt.crossings_by_class()
    n = len(loops)
    out = {}
    for c in classes:
        t = truth1.get(c, 0) * n
        out[c] = {"truth": t, "measured": got.get(c, 0), "error": _rel_err(got.get(c, 0), t)}
    return {"loops": sorted(loops), "per_class": out, "total": _total(out)}


def merge_counts(parts: list[dict]) -> dict:
    """Sum several ``count_accuracy`` results (cameras with different clips)."""
    per: dict[str, dict] = {}
    for p in parts:
        for c, v in p["per_class"].items():
            a = per.setdefault(c, {"truth": 0, "measured": 0})
            a["truth"] += v["truth"]
            a["measured"] += v["measured"]
    for v in per.values():
        v["error"] = _rel_err(v["measured"], v["truth"])
    return {"per_class": per, "total": _total(per)}


def parking_accuracy(events: Iterable[Event], gt, loops: Iterable[int], min_dwell_s: float) -> dict:
    """Each ground-truth dwell >= min_dwell_s matched (same loop, overlapping) to a parking event's
    final dwell (``illegal_parking_end``); ``decided`` counts the stops also reported as decided
    (``illegal_parking``, sent when the dwell so far reached min_dwell_s)."""
    loops = sorted(set(loops))
    events = list(events)
    evs = [e for e in events if e.type == "illegal_parking_end" and e.payload.get("loop") in loops]
    decided = {(e.payload.get("loop"), e.payload.get("start_clip_s")) for e in events
               if e.type == "illegal_parking" and e.payload.get("loop") in loops}
    truth = gt.dwell_intervals(min_dwell_s)
    used: set[str] = set()
    matches = []
    for loop in loops:
        for d in truth:
            best = None
            for e in evs:
                if e.key in used or e.payload.get("loop") != loop:
                    continue
                s, t = e.payload["start_clip_s"], e.payload["end_clip_s"]
                overlap = min(t, d.end_t) - max(s, d.start_t)
                if overlap > 0 and (best is None or overlap > best[0]):
                    best = (overlap, e)
            if best is None:
                matches.append({"loop": loop, "truth_dwell_s": round(d.duration_s, 3), "measured_dwell_s": None,
                                "error_s": None})
            else:
                e = best[1]
                used.add(e.key)
                matches.append({"loop": loop, "truth_dwell_s": round(d.duration_s, 3),
                                "measured_dwell_s": e.payload["dwell_s"],
                                "error_s": round(e.payload["dwell_s"] - d.duration_s, 3)})
    found = [m for m in matches if m["error_s"] is not None]
    return {"matches": matches, "found": len(found), "missed": len(matches) - len(found), "decided": len(decided),
            "false": len([e for e in evs if e.key not in used]),
            "max_abs_error_s": max((abs(m["error_s"]) for m in found), default=None)}


def decoded_frames(clip_path: Path, sample_fps: float, fps: float):
    """(stream time, BGR frame) of a clip file at a sampled rate, decoded the way the readers do."""
    import av
    step = max(1, int(round(fps / sample_fps)))
    with av.open(str(clip_path)) as c:
        for i, frame in enumerate(c.decode(video=0)):
            if i % step == 0:
                yield i / fps, frame.to_ndarray(format="bgr24")


def offline_run(clip_path: Path, gt, detector, rules_cfg, sample_fps: float, drop: float = 0.0,
                seed: int = 0, camera_id: str = "offline") -> list[Event]:
    """The stack's per-camera pipeline on a clip file, one loop, dropping a share of sampled frames."""
    from analytics.geometry import load_geometry
    from analytics.pipeline import CameraPipeline, StreamClock
    from analytics.rules import build_rules
    rng = np.random.default_rng(seed)
    pipe = CameraPipeline(camera_id, build_rules(rules_cfg, gt.geometry if hasattr(gt, "geometry") else
                                                  load_geometry(None)), StreamClock(gt.fps, gt.frames),
                          detector.names)
    events: list[Event] = []
    batch: list = []

    def flush():
        dets = detector.detect([im for _, im in batch])
        for (t, im), d in zip(batch, dets):
            h, w = im.shape[:2]
            f = pipe.frame_info(t, t, w, h)
            events.extend(pipe.process(f, im, d))
        batch.clear()
    for t, im in decoded_frames(Path(clip_path), sample_fps, gt.fps):
        if drop > 0 and rng.random() < drop:
            continue
        batch.append((t, im))
        if len(batch) >= detector.cfg.batch:
            flush()
    if batch:
        flush()
    events += pipe._end_loop()
    return events


def overload_curve(clip_path: Path, gt, detector, rules_cfg, sample_fps: float,
                   drops=(0.0, 0.25, 0.5, 0.75), seed: int = 0) -> list[dict]:
    """Count accuracy as a function of the share of sampled frames dropped."""
    out = []
    for drop in drops:
        evs = offline_run(clip_path, gt, detector, rules_cfg, sample_fps, drop, seed)
        acc = count_accuracy(evs, gt, [0])
        out.append({"drop": drop, "effective_fps": round(sample_fps * (1 - drop), 3), **acc})
    return out
