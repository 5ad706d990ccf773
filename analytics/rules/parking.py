"""Illegal parking: a vehicle standing in the no-parking zone longer than ``min_dwell_s``.

A vehicle stands when its bottom centre is in the zone and it moved less than ``max_speed`` frame
heights per second over the last second or more of its track. Dwell = last standing observation minus
the first. The event is reported when the vehicle leaves (or its track ends): {cls, dwell_s, start/end
in clip time}.
"""
from __future__ import annotations

import math

from analytics.config import VEHICLES
from analytics.geometry import Polygon
from analytics.rules.base import Rule, RuleEvent


class IllegalParking(Rule):
    type = "illegal_parking"

    def __init__(self, zone, min_dwell_s: float, max_speed: float):
        self.zone = Polygon(tuple(tuple(p) for p in zone))
        self.min_dwell_s = min_dwell_s
        self.max_speed = max_speed

    @staticmethod
    def _speed(tr, f) -> float | None:
        """Frame heights per second over the last >= 1 s of the track (None: too short yet)."""
        t, cx, cy = tr.history[-1]
        for t0, x0, y0 in reversed(tr.history[:-1]):
            if t - t0 >= 0.99:
                return math.hypot(cx - x0, cy - y0) / f.height / (t - t0)
        return None

    def _finish(self, tr, names) -> list[RuleEvent]:
        st = tr.state.pop("park", None)
        if st is None:
            return []
        f0, t_end = st
        dwell = t_end - f0.t_clip
        if dwell < self.min_dwell_s:
            return []
        name = names[tr.cls] if tr.cls < len(names) else str(tr.cls)
        return [RuleEvent("illegal_parking", f"{f0.clip_frame}", f0,
                          {"cls": name, "dwell_s": round(dwell, 3), "start_clip_s": round(f0.t_clip, 3),
                           "end_clip_s": round(t_end, 3), "loop": f0.loop})]

    def on_frame(self, f, image, dets, tracks, names):
        out = []
        for tr in tracks:
            if tr.t_last != f.t_clip:
                continue
            name = names[tr.cls] if tr.cls < len(names) else ""
            bx, by = tr.bottom
            v = self._speed(tr, f)
            standing = (name in VEHICLES and v is not None and v <= self.max_speed
                        and self.zone.contains(bx / f.width, by / f.height))
            if standing:
                if "park" not in tr.state:
                    # it has stood since the start of the speed window
                    t0 = next((h[0] for h in reversed(tr.history[:-1]) if f.t_clip - h[0] >= 0.99), f.t_clip)
                    f0 = tr.state.get("frames", {}).get(t0, f)
                    tr.state["park"] = (f0, f.t_clip)
                else:
                    tr.state["park"] = (tr.state["park"][0], f.t_clip)
            elif "park" in tr.state:
                out += self._finish(tr, names)
            frames = tr.state.setdefault("frames", {})
            frames[f.t_clip] = f
            if len(frames) > 32:
                for k in sorted(frames)[:-32]:
                    del frames[k]
        return out

    def on_tracks_ended(self, f, ended, names):
        out = []
        for tr in ended:
            out += self._finish(tr, names)
        return out
