"""Tracker backends the stack can use (``stack.classes[].tracker``): the project's motion-field tracker
and the ones users would reach for instead, behind one interface.

Every backend has ``update(t, frame_no, dets) -> (live tracks, tracks that ended)``, ``flush()`` and
``frame_h``, and hands the rules the same ``analytics.track.Track`` records, so the rules (and the
event keys) do not depend on the tracker. The library trackers are used with their shipped defaults,
as a user calling them would:

- ``motion_field``: ``analytics.track.Tracker`` (constant velocity + a learnt per-cell motion prior);
- ``ultralytics_bytetrack`` / ``ultralytics_botsort``: Ultralytics' ``BYTETracker`` / ``BOTSORT`` with
  the settings of its ``bytetrack.yaml`` / ``botsort.yaml`` (BoT-SORT without ReID, as shipped; its
  global motion compensation needs the frame and is off for a fixed camera);
- ``sv_bytetrack``: the ByteTrack of Roboflow's ``trackers`` package, the tracker supervision's
  ``LineZone``/``PolygonZone`` are used with (supervision itself no longer ships one), at the
  sampling rate as its ``frame_rate``.

A library track's id, box and class become a ``Track``; a track the library stops reporting ends
after ``max_age_s`` unseen, like the project's own.
"""
from __future__ import annotations

from typing import Callable, get_args

import numpy as np

from analytics.config import TrackerName
from analytics.detect.prepost import Detection
from analytics.track import Track, Tracker

TRACKERS: tuple[str, ...] = get_args(TrackerName)

# one step of a library tracker: detections in, (track id, box, class) out
Engine = Callable[[float, list[Detection]], list[tuple[int, tuple[float, float, float, float], int]]]


def _ultralytics_engine(kind: str, frame_w: int, frame_h: int) -> Engine:
    from ultralytics.engine.results import Boxes
    from ultralytics.trackers import BOTSORT, BYTETracker
    from ultralytics.utils import ROOT, YAML, IterableSimpleNamespace
    name = "bytetrack.yaml" if kind == "ultralytics_bytetrack" else "botsort.yaml"
    cfg = IterableSimpleNamespace(**YAML.load(ROOT / "cfg" / "trackers" / name))
    tracker = BYTETracker(cfg) if kind == "ultralytics_bytetrack" else BOTSORT(cfg)

    def step(t: float, dets: list[Detection]):
        arr = np.array([[d.x1, d.y1, d.x2, d.y2, d.conf, d.cls] for d in dets], np.float32).reshape(-1, 6)
        out = tracker.update(Boxes(arr, (frame_h, frame_w)))
        return [(int(r[4]), (float(r[0]), float(r[1]), float(r[2]), float(r[3])), int(r[6])) for r in out]
    return step


def _sv_engine(fps: float) -> Engine:
    import supervision as sv
    from trackers import ByteTrackTracker
    tracker = ByteTrackTracker(frame_rate=fps)

    def step(t: float, dets: list[Detection]):
        d = sv.Detections(xyxy=np.array([[x.x1, x.y1, x.x2, x.y2] for x in dets], np.float32).reshape(-1, 4),
                          confidence=np.array([x.conf for x in dets], np.float32),
                          class_id=np.array([x.cls for x in dets], int))
        out = tracker.update(d)
        return [(int(tid), tuple(float(v) for v in box), int(c))
                for box, tid, c in zip(out.xyxy, out.tracker_id, out.class_id) if tid is not None and tid >= 0]
    return step


class LibraryTracker:
    """A library tracker behind the project's tracker interface."""

    def __init__(self, engine: Engine, frame_h: int, max_age_s: float = 2.5):
        self.engine = engine
        self.frame_h = float(frame_h)
        self.max_age_s = max_age_s
        self.tracks: dict[int, Track] = {}

    def update(self, t: float, frame_no: int, dets: list[Detection]) -> tuple[list[Track], list[Track]]:
        for tid, box, cls in self.engine(t, dets):
            tr = self.tracks.get(tid)
            if tr is None:
                tr = self.tracks[tid] = Track(tid, box, t, t, frame_no, hits=0)
            ox, oy = tr.centre
            dt = t - tr.t_last
            tr.box, tr.t_last, tr.frame_last = box, t, frame_no
            if dt > 0:                      # velocity, as the project's tracker keeps it on its tracks
                tr.vx, tr.vy = (tr.centre[0] - ox) / dt, (tr.centre[1] - oy) / dt
            tr.hits += 1
            tr.classes[cls] += 1
            tr.history.append((t, *tr.centre))
            if len(tr.history) > 64:
                del tr.history[:-64]
        ended = [tr for tr in self.tracks.values() if t - tr.t_last > self.max_age_s]
        for tr in ended:
            del self.tracks[tr.id]
        return list(self.tracks.values()), ended

    def flush(self) -> list[Track]:
        ended, self.tracks = list(self.tracks.values()), {}
        return ended


def make_tracker(name: str, frame_w: int, frame_h: int, sample_fps: float) -> Tracker | LibraryTracker:
    """A fresh tracker of one camera (``sample_fps``: the analysed frame rate)."""
    if name == "motion_field":
        return Tracker(frame_h, frame_w=frame_w)
    if name in ("ultralytics_bytetrack", "ultralytics_botsort"):
        return LibraryTracker(_ultralytics_engine(name, frame_w, frame_h), frame_h)
    if name == "sv_bytetrack":
        return LibraryTracker(_sv_engine(sample_fps), frame_h)
    raise ValueError(f"unknown tracker {name!r} (one of {', '.join(TRACKERS)})")
