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
