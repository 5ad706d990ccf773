"""Scoring one camera over a span of its stream: its rules decide which truth exists, its stored
events are placed by their clip positions, and the two are matched.

A camera that analysed nothing in the span (silent, offline, never placed) is scored the same way with
no stored events: every truth event of the span is a miss. Nobody is left out of the figure."""
from __future__ import annotations

from typing import Iterable

from analytics.scoring.match import DEFAULT_TOLERANCE_S, Matched, match_events
from analytics.scoring.records import line_direction_names, observed_events
from analytics.scoring.truth import RuleTruth, clip_truth, span_truth
from analytics.store import Event


def score_camera(camera_id: str, events: Iterable[Event], gt, rule_configs, a: float, b: float,
                 tolerance_s: dict[str, float] | None = None) -> Matched:
    """Match the camera's events with its clip's truth over stream seconds [a, b)."""
    rt = RuleTruth.from_configs(rule_configs)
    line = next((c.line for c in rule_configs if c.type == "line_count" and c.line), None) \
        or gt.geometry["counting_line"]
    tol = {**DEFAULT_TOLERANCE_S, **window_tolerances(rule_configs), **(tolerance_s or {})}
    one_loop = clip_truth(gt, camera_id, rt)
    # truth from one tolerance before the span: an event there matched early in the span is the
    # previous span's (``match_events``)
    truth = span_truth(one_loop, gt.frames / gt.fps, a - max(tol.values()), b)
    stored = observed_events((e for e in events if e.camera_id == camera_id), gt.fps, gt.frames,
                             line_direction_names(line))
    return match_events(truth, [s for s in stored if s.rule in rt.rules], a, b, tol)


def window_tolerances(rule_configs) -> dict[str, float]:
    """Tolerances of the windowed rules from their windows: a crowd window's event within half a window
    of its last frame; a flood or garbage onset read from a window's median is seen at the end of the
    window after the onset at the latest, so within one window and 2 s."""
    out: dict[str, float] = {}
    for c in rule_configs:
        if c.type == "zone_people":
            out["zone_people"] = c.window_s / 2
        elif c.type in ("flood_level", "garbage_presence"):
            out[c.type] = c.window_s + 2.0
    return out
