"""Accuracy under load: each trial's stored events against the footage's ground truth, event by event
(``analytics.scoring``), on every online camera with generated footage and rules.

Placement comes from the stream, never from the events being scored: the stack's per-camera stats
carry ``stream_frame``, the stream frame number of the last analysed frame whose events are stored.
A camera's part of the trial is the stream span between its ``stream_frame`` at the trial's start and
at its end, so consecutive trials tile the stream: a truth event is scored in exactly one trial, and
analysis that lags behind shows as lag (its events are scored in the trial that analyses them), while
frames dropped by a full queue show as misses. Nothing is trimmed off the span.

Every camera counts. A camera that analysed nothing in the trial (silent, offline, stalled, never
started) is scored over a span as long as the trial from where it stood (from 0 when it never
analysed a frame), with no events: all misses. When its stream restarted (the embedded server starts
the clip from its first frame for a new reader), the span runs from 0 to where it now stands.

Trial figures, flat for the results: ``event_f1``, ``event_precision``, ``event_recall`` over all rules;
per rule ``event_f1.<rule>``, ``event_tp.<rule>``, ``event_fp.<rule>``, ``event_fn.<rule>`` (steps pool
the counts, ``step_f1``); ``event_timing_abs_median_s``; ``event_cameras`` and ``event_cameras_silent``.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable

from analytics.scoring import merge, score_camera, scores
from analytics.store import Event


@dataclass(frozen=True)
class CameraTrial:
    """One camera in one trial: its clip's truth, its rules, and where its stream stood."""

    camera_id: str
    gt: Any
    rules: list
    frame_before: int | None        # stats' stream_frame at the trial's start (None: nothing analysed yet)
    frame_after: int | None         # ... at its end

    def span(self, trial_s: float) -> tuple[float, float, bool]:
        """(a, b, silent): the stream seconds scored, and whether the camera analysed nothing."""
        fps = float(self.gt.fps)
        if self.frame_after is None or self.frame_after == self.frame_before:
            start = 0.0 if self.frame_before is None else (self.frame_before + 1) / fps
            return start, start + trial_s, True
        if self.frame_before is None or self.frame_after < self.frame_before:
            return 0.0, (self.frame_after + 1) / fps, False
        return (self.frame_before + 1) / fps, (self.frame_after + 1) / fps, False


def trial_event_metrics(cameras: Iterable[CameraTrial], events: list[Event], trial_s: float) -> dict[str, Any]:
    """The trial's event-level figures over every camera (see the module's docstring)."""
    parts, silent, n = [], 0, 0
    for c in cameras:
        a, b, quiet = c.span(trial_s)
        n += 1
        silent += int(quiet)
        parts.append(score_camera(c.camera_id, [] if quiet else [e for e in events if e.camera_id == c.camera_id],
                                  c.gt, c.rules, a, b))
    out: dict[str, Any] = {"event_cameras": n, "event_cameras_silent": silent}
    if not parts:
        return out
    m = merge(parts)
    total = scores(m, by=()).get(())
    if total is None:
        return out
    for k, v in (("event_f1", total.f1), ("event_precision", total.precision), ("event_recall", total.recall),
                 ("event_timing_abs_median_s", total.timing_abs_median_s)):
        if v is not None:
            out[k] = round(v, 4)
    for (rule,), s in scores(m, by=("rule",)).items():
        out.update({f"event_tp.{rule}": s.tp, f"event_fp.{rule}": s.fp, f"event_fn.{rule}": s.fn})
        if s.f1 is not None:
            out[f"event_f1.{rule}"] = round(s.f1, 4)
    return out


def step_f1(trials: list[dict[str, Any]], rule: str) -> float | None:
    """A rule's F1 pooled over a step's trials (2 TP / (2 TP + FP + FN)); None when nothing to find."""
    tp = sum(t.get(f"event_tp.{rule}") or 0 for t in trials)
    fp = sum(t.get(f"event_fp.{rule}") or 0 for t in trials)
    fn = sum(t.get(f"event_fn.{rule}") or 0 for t in trials)
    return None if 2 * tp + fp + fn == 0 else 2 * tp / (2 * tp + fp + fn)
