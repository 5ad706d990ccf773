"""Accuracy under load: the line counts a trial's events give against the footage's ground truth.

A trial is a window of wall-clock time [t0, t1]; each generated camera loops a clip whose ground truth
lists every line crossing (clip time, class). The stack's ``line_count`` events carry where on the clip
they were observed (payload ``loop`` and ``t_clip``), so an event sits at stream frame
``loop * clip_frames + round(t_clip * fps)``. The wall -> stream mapping of a camera (its reader's
offset: capture time minus stream time) is the median of ``t_frame - stream time`` over the camera's
placed events nearest the trial (any event type whose payload has ``loop`` and ``t_clip``); a camera
with no such event yet falls back on its reader's statistics (snapshot time minus frames decoded / fps,
valid while the reader has not reconnected), and is left out (``count_cameras_unplaced``) otherwise.

The trial's part of the stream timeline is [t0 - offset + margin, t1 - offset - margin], shrunk to
the sampling grid (the stack analyses stream frames with ``frame % step == 0``). A crossing drawn at
frame c is seen at the first analysed frame >= c, so with both edges on grid points g_i < g_j, the
crossings with g_i < c <= g_j and the events observed at g_i < frame <= g_j are the same set for a
stack that misses nothing: the comparison is exact at the edges. Ground-truth crossings repeat every
loop, so a window that wraps past the clip's end takes the next loop's crossings. ``MARGIN_S`` at
both edges absorbs the offset estimate's jitter; at the end, the margin is at least the trial's
analytics lag p95, so events of the trial's last moments not yet stored when it is measured (a lag,
reported as such) do not read as misses.

Each step's stack has its own event-key epoch (``analytics.pipeline``), so a stack restarted for a new
step, whose readers see the clip from its first frame again, stores its events instead of having them
dropped as duplicates of an earlier step's.

Figures: per camera and class, counted and truth; per trial, ``count_truth``, ``count_counted``,
``count_abs_error`` (sum over cameras and classes of |counted - truth|), ``count_abs_error.<cls>``, ``count_window_s`` (stream seconds compared, summed over cameras)
and ``count_accuracy`` = max(0, 1 - count_abs_error / count_truth) (absent when the window held no
crossing), plus ``parking_dwell_error_s`` (largest |measured - truth| dwell over the parking events
stored in the trial (``illegal_parking_end``) that overlap a ground-truth dwell).
"""
from __future__ import annotations

import logging
import math
import statistics
from dataclasses import dataclass, field
from typing import Any, Iterable

from analytics.config import VEHICLES
from analytics.store import Event

log = logging.getLogger(__name__)

MARGIN_S = 0.5          # excluded at each edge of a trial's window (seconds)
NEAREST = 25            # events used for a camera's wall -> stream offset


@dataclass(frozen=True)
class CameraCounts:
    camera_id: str
    truth: dict[str, int]
    counted: dict[str, int]
    window: tuple[float, float]          # stream seconds (exclusive, inclusive] compared
    parking_errors_s: tuple[float, ...] = field(default=())

    @property
    def abs_error(self) -> dict[str, int]:
        return {c: abs(self.counted.get(c, 0) - self.truth.get(c, 0)) for c in self.truth}


def stream_frame(e: Event, clip_frames: int, fps: float) -> int | None:
    """The stream frame an event was observed at, from its payload's loop and clip time."""
    loop, t_clip = e.payload.get("loop"), e.payload.get("t_clip")
    if not isinstance(loop, int) or not isinstance(t_clip, (int, float)):
        return None
    return loop * clip_frames + int(round(t_clip * fps))


def estimate_offset(events: Iterable[Event], clip_frames: int, fps: float, near: float | None = None,
                    nearest: int = NEAREST) -> float | None:
    """Capture time minus stream time of a camera's reader: median over its placed events (those
    nearest ``near`` when given); None when no event carries ``loop`` and ``t_clip``."""
    pairs = []
    for e in events:
        n = stream_frame(e, clip_frames, fps)
        if n is not None:
            pairs.append((e.t_frame, e.t_frame - n / fps))
    if not pairs:
        return None
    if near is not None:
        pairs.sort(key=lambda p: abs(p[0] - near))
        pairs = pairs[:nearest]
    return float(statistics.median(p[1] for p in pairs))


def grid_window(a_s: float, b_s: float, fps: float, step: int) -> tuple[int, int]:
    """Stream seconds [a, b] shrunk to sampling-grid frames (g_i, g_j]; g_j <= g_i means empty."""
    step = max(1, int(step))
    gi = math.ceil(a_s * fps / step) * step
    gj = math.floor(b_s * fps / step) * step
    return gi, gj


def camera_counts(camera_id: str, events: list[Event], gt, t0: float, t1: float, *,
                  offset_s: float | None = None, fallback_offset_s: float | None = None,
                  sample_fps: float | None = None, margin_s: float = MARGIN_S, end_margin_s: float | None = None,
                  classes: Iterable[str] = VEHICLES) -> CameraCounts | None:
    """Counted vs ground truth for one camera over the trial [t0, t1] (wall clock, epoch seconds).

    ``events`` are the camera's events around the trial (any types; the offset is estimated from them
    unless ``offset_s`` is given, ``fallback_offset_s`` when none can be). Returns None when the camera
    cannot be placed on its clip."""
    fps, frames = float(gt.fps), int(gt.frames)
    evs = [e for e in events if e.camera_id == camera_id]
    if offset_s is None:
        offset_s = estimate_offset(evs, frames, fps, near=(t0 + t1) / 2)
        if offset_s is None:
            offset_s = fallback_offset_s
        if offset_s is None:
            return None
    step = max(1, int(round(fps / sample_fps))) if sample_fps else 1
    end = margin_s if end_margin_s is None else max(margin_s, end_margin_s)
    gi, gj = grid_window(t0 - offset_s + margin_s, t1 - offset_s - end, fps, step)
    classes = list(classes)
    truth = dict.fromkeys(classes, 0)
    counted = dict.fromkeys(classes, 0)
    if gj > gi:
        for loop in range(max(gi // frames, 0), gj // frames + 1):
            for c in gt.events.line_crossings:
                n = loop * frames + c.frame
                if gi < n <= gj and c.cls in truth:
                    truth[c.cls] += 1
        for e in evs:
            if e.type != "line_count":
                continue
            n = stream_frame(e, frames, fps)
            cls = e.payload.get("cls")
            if n is not None and gi < n <= gj and cls in counted:
                counted[cls] += 1
    return CameraCounts(camera_id, truth, counted, (gi / fps, max(gi, gj) / fps),
                        tuple(parking_errors(evs, gt, t0, t1)))


def parking_errors(events: Iterable[Event], gt, t0: float, t1: float) -> list[float]:
    """Measured minus truth dwell (s) of each parking event stored with t_frame in [t0, t1] that
    overlaps a ground-truth dwell on the clip timeline (the largest overlap). Only the stack's
    ``illegal_parking_end`` (the vehicle left: the whole dwell) counts; its ``illegal_parking`` alert,
    sent when the dwell reaches the rule's minimum, holds the dwell so far."""
    out = []
    for e in events:
        if e.type != "illegal_parking_end" or not (t0 <= e.t_frame <= t1):
            continue
        p = e.payload
        if not all(isinstance(p.get(k), (int, float)) for k in ("start_clip_s", "end_clip_s", "dwell_s")):
            continue
        best = None
        for d in gt.events.parking:
            overlap = min(p["end_clip_s"], d.end_t) - max(p["start_clip_s"], d.start_t)
            if overlap > 0 and (best is None or overlap > best[0]):
                best = (overlap, d)
        if best is not None:
            out.append(round(float(p["dwell_s"]) - best[1].duration_s, 3))
    return out


def trial_metrics(cams: list[CameraCounts], unplaced: int = 0) -> dict[str, Any]:
    """The trial's accuracy metrics, aggregated over cameras (see the module's docstring)."""
    out: dict[str, Any] = {"count_cameras": len(cams), "count_cameras_unplaced": unplaced}
    if not cams:
        return out
    truth = sum(sum(c.truth.values()) for c in cams)
    counted = sum(sum(c.counted.values()) for c in cams)
    per: dict[str, int] = {}
    for c in cams:
        for cls, v in c.abs_error.items():
            per[cls] = per.get(cls, 0) + v
    abs_err = sum(per.values())
    out.update({"count_truth": truth, "count_counted": counted, "count_abs_error": abs_err})
    out.update({f"count_abs_error.{cls}": v for cls, v in per.items()})
    out["count_window_s"] = round(sum(c.window[1] - c.window[0] for c in cams), 3)
    if truth > 0:
        out["count_accuracy"] = round(max(0.0, 1.0 - abs_err / truth), 4)
    errs = [abs(e) for c in cams for e in c.parking_errors_s]
    if errs:
        out["parking_dwell_error_s"] = round(max(errs), 3)
    return out


def step_accuracy(trials: list[dict[str, Any]]) -> float | None:
    """A step's accuracy pooled over its trials: 1 - sum |error| / sum truth (None without truth)."""
    truth = sum(t.get("count_truth") or 0 for t in trials)
    err = sum(t.get("count_abs_error") or 0 for t in trials)
    return None if truth <= 0 else max(0.0, 1.0 - err / truth)
