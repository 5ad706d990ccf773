"""Ground-truth events of a clip, placed on a camera's stream timeline for a span of it.

The clip loops, so a span ``[a, b)`` of stream seconds holds the truth of every loop it touches,
shifted by the loop's start. Which truth events exist depends on the camera's rules (a camera without
a parking rule has no parking truth to miss) and their parameters (parking shorter than the rule's
``min_dwell_s`` is not an event; crowd windows follow the rule's ``window_s``, zone and levels).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from analytics.geometry import Polygon
from analytics.scoring.records import FLOOD_ONSET, Placed


@dataclass(frozen=True)
class RuleTruth:
    """What a camera's rules make an event (from the rule configs; defaults as the stack's)."""

    rules: tuple[str, ...]
    line_classes: tuple[str, ...] = ("car", "motorcycle", "bus", "truck")
    min_dwell_s: float = 10.0
    crowd_window_s: float = 10.0
    crowd_zone: tuple[tuple[float, float], ...] = ((0, 0), (1, 0), (1, 1), (0, 1))
    crowd_levels: tuple[int, int] = (5, 15)

    @classmethod
    def from_configs(cls, configs) -> "RuleTruth":
        kw: dict = {"rules": tuple(c.type for c in configs)}
        for c in configs:
            if c.type == "line_count":
                kw["line_classes"] = tuple(c.classes)
            elif c.type == "illegal_parking":
                kw["min_dwell_s"] = c.min_dwell_s
            elif c.type == "zone_people":
                kw["crowd_window_s"] = c.window_s
                if c.zone:
                    kw["crowd_zone"] = tuple(tuple(p) for p in c.zone)
                kw["crowd_levels"] = tuple(c.crowd_levels)
        return cls(**kw)


def _crowd_levels(gt, rt: RuleTruth) -> list[tuple[float, str]]:
    """(time of the window's last frame, level) per window of the clip (the last one may be short: the
    rule reports it when the clip loops), from the people drawn in the zone; the rule decides a window
    at its last analysed frame."""
    zone = Polygon(rt.crowd_zone)
    per_window = max(1, int(round(rt.crowd_window_s * gt.fps)))
    out = []
    for w in range(math.ceil(gt.frames / per_window)):
        peak = 0
        last = min((w + 1) * per_window, gt.frames) - 1
        for n in range(w * per_window, last + 1):
            k = sum(1 for o in gt.objects_at(n) if o.cls == "person" and o.visible >= 0.3
                    and zone.contains((o.box[0] + o.box[2]) / 2 / gt.width, o.box[3] / gt.height))
            peak = max(peak, k)
        lo, hi = rt.crowd_levels
        out.append((last / gt.fps, "low" if peak < lo else ("medium" if peak < hi else "high")))
    return out


def _flood_onset(gt) -> float | None:
    for s in gt.events.flood:
        if s.level >= FLOOD_ONSET:
            return s.t
    return None


def clip_truth(gt, camera_id: str, rt: RuleTruth) -> list[Placed]:
    """The truth events of one pass over the clip (loop 0)."""
    out: list[Placed] = []
    if "line_count" in rt.rules:
        out += [Placed(camera_id, "line_count", (c.cls, c.direction), c.t, 0)
                for c in gt.events.line_crossings if c.cls in rt.line_classes]
    if "illegal_parking" in rt.rules:
        out += [Placed(camera_id, "illegal_parking", (d.cls,), d.start_t, 0)
                for d in gt.dwell_intervals(rt.min_dwell_s)]
    if "zone_people" in rt.rules:
        out += [Placed(camera_id, "zone_people", (level,), t, 0) for t, level in _crowd_levels(gt, rt)]
    if "flood_level" in rt.rules and (t := _flood_onset(gt)) is not None:
        out.append(Placed(camera_id, "flood_level", (), t, 0))
    if "garbage_presence" in rt.rules and gt.events.garbage is not None:
        out.append(Placed(camera_id, "garbage_presence", (), gt.events.garbage.appear_t, 0))
    return out


def span_truth(one_loop: list[Placed], duration_s: float, a: float, b: float) -> list[Placed]:
    """The truth of stream seconds [a, b): each loop's events shifted by the loop's start."""
    out = []
    if b <= a:
        return out
    for loop in range(max(0, math.floor(a / duration_s)), math.floor(b / duration_s) + 1):
        for e in one_loop:
            t = loop * duration_s + e.t
            if a <= t < b:
                out.append(Placed(e.camera_id, e.rule, e.attrs, t, loop))
    return out
