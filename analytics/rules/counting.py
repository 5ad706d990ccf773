"""Counting rules: vehicles by class across a line; people in a zone with a crowd level."""
from __future__ import annotations

import numpy as np

from analytics.geometry import Polygon, side_of_line
from analytics.rules.base import Rule, RuleEvent, WindowedRule


class LineCount(Rule):
    """A track whose box centre changes side of the line is counted once, with its majority class.

    Decided and reported at the analysed frame where the crossing is seen, with the class voted over
    the track's detections so far (the track has been followed over its path up to the line). The
    event's frame is the crossing frame. Event ``line_count``: {cls, direction, t_clip, loop, hits}.
    """

    type = "line_count"

    def __init__(self, line, classes):
        self.line = tuple(tuple(p) for p in line)
        self.classes = set(classes)

    def on_frame(self, f, image, dets, tracks, names):
        out = []
        for tr in tracks:
            if tr.t_last != f.t_clip or "lc" in tr.state:
                continue
            cx, cy = tr.centre
            s = side_of_line(self.line, cx / f.width, cy / f.height)
            prev = tr.state.get("lc_side")
            if prev is not None and s != 0 and (prev > 0) != (s > 0):
                tr.state["lc"] = True
                out += self._emit(tr, f, "+" if s > 0 else "-", cy / f.height, names)
            if s != 0:
                tr.state["lc_side"] = s
        return out

    def _emit(self, tr, f, direction: str, y: float, names) -> list[RuleEvent]:
        name = names[tr.cls] if tr.cls < len(names) else str(tr.cls)
        if name not in self.classes:
            return []
        return [RuleEvent("line_count", f"{f.clip_frame}:{int(y * 1000)}", f,
                          {"cls": name, "direction": direction, "t_clip": round(f.t_clip, 3),
                           "loop": f.loop, "hits": tr.hits})]


class ZonePeople(WindowedRule):
    """People whose feet are in the zone, per analysed frame; one event per window: mean, peak, level.

    Decided at the window's last analysed frame (``WindowClock``), which is the event's frame."""

    type = "zone_people"

    def __init__(self, zone, window_s: float, crowd_levels):
        super().__init__(window_s)
        self.zone = Polygon(tuple(tuple(p) for p in zone))
        self.levels = crowd_levels

    def _level(self, n: float) -> str:
        return "low" if n < self.levels[0] else ("medium" if n < self.levels[1] else "high")

    def reading(self, f, image, dets, names):
        n = 0
        for d in dets:
            if d.cls < len(names) and names[d.cls] == "person":
                if self.zone.contains((d.x1 + d.x2) / 2 / f.width, d.y2 / f.height):
                    n += 1
        return n

    def event(self, f, vals):
        peak = max(vals)
        return RuleEvent("zone_people", f"w{self._win}", f,
                         {"window": self._win, "window_s": self.window_s, "mean": round(float(np.mean(vals)), 3),
                          "peak": peak, "level": self._level(peak), "frames": len(vals), "loop": f.loop})
