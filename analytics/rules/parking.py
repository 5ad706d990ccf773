"""Illegal parking: a vehicle standing in the no-parking zone longer than ``min_dwell_s``.

A vehicle stands when its bottom centre is in the zone and it moved less than ``max_speed`` frame
heights per second over the last second or more of its track. The dwell is measured on positions: the
parked position is the median of its standing observations, and the dwell runs from the first to the
last observation within ``settle`` frame heights of it (so the braking before and the pulling away
after do not count).

Two events per stop, both keyed on the stop's first standing frame: ``illegal_parking`` at the first
analysed frame where the dwell so far reaches ``min_dwell_s`` (the decision; its frame is that frame,
its dwell the dwell so far), and ``illegal_parking_end`` when the vehicle leaves or its track ends
(the final dwell; its frame is the frame that showed it gone). Payload: {cls, dwell_s, start/end clip time, loop}.
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

    @staticmethod
    def _measure(obs, first: int):
        """(first settled observation, last settled observation, dwell s) of the stop that began at
        ``first``, or None when it holds no standing observation."""
        standing = [o for o in obs[first:] if o[3] is not None and o[4]]
        if not standing:
            return None
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
        return f0, f1, f1.t_clip - f0.t_clip

    def _event(self, typ, tr, names, ident, f0, f1, dwell, f) -> RuleEvent:
        name = names[tr.cls] if tr.cls < len(names) else str(tr.cls)
        return RuleEvent(typ, ident, f, {"cls": name, "dwell_s": round(dwell, 3),
                                         "start_clip_s": round(f0.t_clip, 3), "end_clip_s": round(f1.t_clip, 3),
                                         "loop": f0.loop})

    def _check(self, tr, names, f) -> list[RuleEvent]:
        """While standing: the decision, once the dwell so far reaches ``min_dwell_s``."""
        first = tr.state["park"]
        obs = tr.state["obs"]
        if tr.state.get("park_sent") or f.t_clip - obs[first][0] + 1.0 < self.min_dwell_s:
            return []           # (the settled stop starts at most ~1 s before the first standing frame)
        m = self._measure(obs, first)
        if m is None or m[2] < self.min_dwell_s:
            return []
        tr.state["park_sent"] = True
        return [self._event("illegal_parking", tr, names, f"{obs[first][3].clip_frame}", *m, f)]

    def _finish(self, tr, names, f) -> list[RuleEvent]:
        """The vehicle left (or its track ended): the final dwell, and the decision if not sent yet."""
        first = tr.state.pop("park", None)
        sent = tr.state.pop("park_sent", False)
        obs = tr.state.get("obs", [])
        if first is None or not obs:
            return []
        m = self._measure(obs, first)
        if m is None or (m[2] < self.min_dwell_s and not sent):
            return []
        ident = f"{obs[first][3].clip_frame}"
        out = [] if sent else [self._event("illegal_parking", tr, names, ident, *m, f)]
        return out + [self._event("illegal_parking_end", tr, names, f"{ident}:end", *m, f)]

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
            if standing:
                out += self._check(tr, names, f)
            elif "park" in tr.state:
                out += self._finish(tr, names, f)
        return out

    def on_tracks_ended(self, f, ended, names):
        out = []
        for tr in ended:
            out += self._finish(tr, names, f)
        return out
