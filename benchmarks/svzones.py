"""Line counts the way a supervision user makes them: the ByteTrack supervision is used with (Roboflow's
``trackers`` package) and ``supervision.LineZone`` with its defaults (all four box corners must cross),
turned into the stack's ``line_count`` events so they are scored like the stack's own.

The event's direction is the side of the line the box centre reached, named as the stack's rule
names it ('+'/'-', ``analytics.geometry.side_of_line``), and its clip position is the crossing frame.
"""
from __future__ import annotations

import numpy as np

from analytics.detect.prepost import Detection
from analytics.geometry import side_of_line
from analytics.store import Event


class LineZoneCounter:
    """One camera's ByteTrack + LineZone; ``update(frame, dets)`` returns the crossings seen."""

    def __init__(self, camera_id: str, line, classes, names: list[str], width: int, height: int, fps: float):
        import supervision as sv
        from trackers import ByteTrackTracker
        (x1, y1), (x2, y2) = line
        self.line = ((x1, y1), (x2, y2))
        self.zone = sv.LineZone(sv.Point(x1 * width, y1 * height), sv.Point(x2 * width, y2 * height))
        self.tracker = ByteTrackTracker(frame_rate=fps)
        self.camera_id, self.classes, self.names = camera_id, set(classes), names
        self.w, self.h = width, height

    def update(self, frame: int, dets: list[Detection]) -> list[Event]:
        import supervision as sv
        d = sv.Detections(xyxy=np.array([[x.x1, x.y1, x.x2, x.y2] for x in dets], np.float32).reshape(-1, 4),
                          confidence=np.array([x.conf for x in dets], np.float32),
                          class_id=np.array([x.cls for x in dets], int))
        tracked = self.tracker.update(d)
        crossed_in, crossed_out = self.zone.trigger(tracked)
        out = []
        for i in np.flatnonzero(crossed_in | crossed_out):
            x1, y1, x2, y2 = (float(v) for v in tracked.xyxy[i])
            cls = self.names[int(tracked.class_id[i])]
            if cls not in self.classes:
                continue
            side = side_of_line(self.line, (x1 + x2) / 2 / self.w, (y1 + y2) / 2 / self.h)
            out.append(Event(key=f"{self.camera_id}:{frame}:{int(tracked.tracker_id[i])}", camera_id=self.camera_id,
                             type="line_count", t_frame=0.0,
                             payload={"cls": cls, "direction": "+" if side > 0 else "-", "loop": 0,
                                      "clip_frame": frame}))
        return out


class PolygonZoneCrowd:
    """People in a zone the way a supervision user counts them: ``supervision.PolygonZone`` on the
    detections, anchored at the feet (bottom centre), one crowd level per window (the peak count, at the
    levels of the stack's ``zone_people`` rule), stamped with the window's last analysed frame."""

    def __init__(self, camera_id: str, zone, window_s: float, levels, names: list[str], width: int,
                 height: int, fps: float):
        import supervision as sv
        poly = np.array([[x * width, y * height] for x, y in zone], np.int32)
        self.zone = sv.PolygonZone(poly, triggering_anchors=(sv.Position.BOTTOM_CENTER,))
        self.person = names.index("person") if "person" in names else -1
        self.camera_id, self.window_s, self.levels, self.fps = camera_id, window_s, levels, fps
        self._win: int | None = None
        self._peak = 0
        self._last = 0

    def _close(self) -> list[Event]:
        if self._win is None:
            return []
        lo, hi = self.levels
        level = "low" if self._peak < lo else ("medium" if self._peak < hi else "high")
        return [Event(key=f"{self.camera_id}:w{self._win}", camera_id=self.camera_id, type="zone_people", t_frame=0.0,
                      payload={"window": self._win, "peak": self._peak, "level": level, "loop": 0,
                               "clip_frame": self._last})]

    def update(self, frame: int, dets: list[Detection]) -> list[Event]:
        import supervision as sv
        win = int(frame / self.fps // self.window_s)
        out = self._close() if self._win is not None and win != self._win else []
        if win != self._win:
            self._win, self._peak = win, 0
        people = [d for d in dets if d.cls == self.person]
        d = sv.Detections(xyxy=np.array([[x.x1, x.y1, x.x2, x.y2] for x in people], np.float32).reshape(-1, 4))
        self._peak = max(self._peak, int(self.zone.trigger(d).sum()) if len(people) else 0)
        self._last = frame
        return out

    def finish(self) -> list[Event]:
        out = self._close()
        self._win = None
        return out
