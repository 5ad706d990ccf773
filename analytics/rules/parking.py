"""Illegal parking: a vehicle standing in the no-parking zone longer than ``min_dwell_s``.

A vehicle stands when its bottom centre is in the zone and it moved less than ``max_speed`` frame
heights per second over the last second or more of its track. When it leaves (or its track ends), the
dwell is measured on positions: the parked position is the median of its standing observations, and
the dwell runs from the first to the last observation within ``settle`` frame heights of it (so the
braking before and the pulling away after do not count). Event: {cls, dwell_s, start/end clip time}.
"""
from __future__ import annotations

import math

import numpy as np

from analytics.config import VEHICLES
from analytics.geometry import Polygon
from analytics.rules.base import Rule, RuleEvent

SETTLE_H = 0.012      # within this distance (frame heights) of the parked position counts as parked
MAX_OBS = 2000


class IllegalParking(Rule):
    type = "illegal_parking"

    def __init__(self, zone, min_dwell_s: float, max_speed: float):
        self.zone = Polygon(tuple(tuple(p) for p in zone))
        self.min_dwell_s = min_dwell_s
        self.max_speed = max_speed

    @staticmethod
    def _speed(obs, h: int) -> float | None:
        """Frame heights per second over the last >= 1 s of observations (None: too short yet)."""
        t, cx, cy, _ = obs[-1]
        for t0, x0, y0, _ in reversed(obs[:-1]):
            if t - t0 >= 0.99:
                return math.hypot(cx - x0, cy - y0) / h / (t - t0)
        return None

    def _finish(self, tr, names) -> list[RuleEvent]:
        first = tr.state.pop("park", None)
        obs = tr.state.get("obs", [])
        if first is None or not obs:
            return []
        standing = [o for o in obs[first:] if o[3] is not None and o[4]]
        if not standing:
            return []
        h = standing[0][3].height
        px = float(np.median([o[1] for o in standing]))
        py = float(np.median([o[2] for o in standing]))
        near = [math.hypot(o[1] - px, o[2] - py) <= max(SETTLE_H * h, 2.0) for o in obs]
        i = first
        while i > 0 and near[i - 1]:
            i -= 1
        while i < len(obs) - 1 and not near[i]:
            i += 1
        j = len(obs) - 1
        while j > i and not near[j]:
            j -= 1
        f0, f1 = obs[i][3], obs[j][3]
        dwell = f1.t_clip - f0.t_clip
        if dwell < self.min_dwell_s:
            return []
        name = names[tr.cls] if tr.cls < len(names) else str(tr.cls)
        return [RuleEvent("illegal_parking", f"{f0.clip_frame}", f0,
                          {"cls": name, "dwell_s": round(dwell, 3), "start_clip_s": round(f0.t_clip, 3),
                           "end_clip_s": round(f1.t_clip, 3), "loop": f0.loop})]

    def on_frame(self, f, image, dets, tracks, names):
        out = []
        for tr in tracks:
            if tr.t_last != f.t_clip:
                continue
            obs = tr.state.setdefault("obs", [])
            bx, by = tr.bottom
            cx, cy = tr.centre
            obs.append([f.t_clip, cx, cy, f, False])
            if len(obs) > MAX_OBS and "park" not in tr.state:
                del obs[:-64]
            name = names[tr.cls] if tr.cls < len(names) else ""
            v = self._speed([o[:4] for o in obs[-64:]], f.height)
            standing = (name in VEHICLES and v is not None and v <= self.max_speed
                        and self.zone.contains(bx / f.width, by / f.height))
            obs[-1][4] = standing
            if standing and "park" not in tr.state:
                tr.state["park"] = len(obs) - 1
            elif not standing and "park" in tr.state:
                out += self._finish(tr, names)
        return out

    def on_tracks_ended(self, f, ended, names):
        out = []
        for tr in ended:
            out += self._finish(tr, names)
        return out
