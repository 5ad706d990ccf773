"""A motion-aware IoU/centre tracker that holds up when sampling is sparse (1 fps).

Each track predicts its box with a constant velocity; detections are matched to predictions by the
Hungarian method on a cost mixing IoU and centre distance (in units of the box height), gated so
that a vehicle is never matched across lanes. Unmatched detections start tracks; tracks unseen for
``max_age_s`` end. A track's class is the majority of its detections' classes.

A track seen once has no velocity of its own. At sparse sampling a vehicle moves several box lengths
between frames, and assuming it stands still lets a follower take its identity. So the tracker learns
the camera's motion field: a coarse grid over the frame where each cell keeps a running mean of the
velocity of established tracks whose ground contact lies in it (traffic in a lane moves alike). A
new track predicts with its cell's mean once the cell has seen enough tracks, and stands still before.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import linear_sum_assignment

from analytics.detect.prepost import Detection


@dataclass
class Track:
    id: int
    box: tuple[float, float, float, float]
    t_first: float
    t_last: float
    frame_last: int
    vx: float = 0.0
    vy: float = 0.0
    hits: int = 1
    classes: Counter = field(default_factory=Counter)
    history: list[tuple[float, float, float]] = field(default_factory=list)  # (t, cx, cy)
    state: dict = field(default_factory=dict)   # per-rule state

    @property
    def cls(self) -> int:
        return self.classes.most_common(1)[0][0]

    @property
    def centre(self) -> tuple[float, float]:
        x1, y1, x2, y2 = self.box
        return (x1 + x2) / 2, (y1 + y2) / 2

    @property
    def bottom(self) -> tuple[float, float]:
        x1, _, x2, y2 = self.box
        return (x1 + x2) / 2, y2

    def predict(self, t: float, prior: tuple[float, float] | None = None) -> tuple[float, float, float, float]:
        """The box at ``t``: own velocity, or ``prior`` (the motion field's) for a track seen once."""
        dt = t - self.t_last
        vx, vy = prior if (prior is not None and self.hits < 2) else (self.vx, self.vy)
        x1, y1, x2, y2 = self.box
        return x1 + vx * dt, y1 + vy * dt, x2 + vx * dt, y2 + vy * dt


def _iou(a, b) -> float:
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    ua = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / ua if ua > 0 else 0.0


class MotionField:
    """Running mean velocity of established tracks per cell of a coarse grid over the frame (by the
    ground contact point, the box's bottom centre)."""

    def __init__(self, frame_w: float, frame_h: float, cols: int = 8, rows: int = 16, min_tracks: int = 2,
                 alpha: float = 0.2):
        self.cw, self.ch = max(frame_w, 1.0) / cols, max(frame_h, 1.0) / rows
        self.cols, self.rows = cols, rows
        self.min_tracks, self.alpha = min_tracks, alpha
        self._cells: dict[tuple[int, int], list[float]] = {}     # (col, row) -> [vx, vy, tracks seen]

    def _cell(self, x: float, y: float) -> tuple[int, int]:
        return (min(max(int(x / self.cw), 0), self.cols - 1), min(max(int(y / self.ch), 0), self.rows - 1))

    def learn(self, x: float, y: float, vx: float, vy: float) -> None:
        c = self._cells.setdefault(self._cell(x, y), [vx, vy, 0.0])
        a = max(self.alpha, 1.0 / (c[2] + 1.0))      # a plain mean at first, then a running one
        c[0] += a * (vx - c[0])
        c[1] += a * (vy - c[1])
        c[2] += 1.0

    def velocity(self, x: float, y: float) -> tuple[float, float] | None:
        c = self._cells.get(self._cell(x, y))
        return (c[0], c[1]) if c is not None and c[2] >= self.min_tracks else None


class Tracker:
    """Tracks of one camera. ``update(t, frame_no, dets)`` returns (live tracks, tracks that ended)."""

    def __init__(self, frame_h: int, max_age_s: float = 2.5, max_speed_h: float = 0.9, frame_w: int | None = None):
        self.frame_h = float(frame_h)
        self.max_age_s = max_age_s
        self.max_speed = max_speed_h * frame_h      # pixels per second
        self.tracks: list[Track] = []
        self._next = 1
        self.field = MotionField(float(frame_w) if frame_w else frame_h * 16 / 9, float(frame_h))

    def _cost(self, tr: Track, d: Detection, t: float, prior: tuple[float, float] | None) -> float:
        dt = max(t - tr.t_last, 1e-3)
        px1, py1, px2, py2 = tr.predict(t, prior)
        pcx = (px1 + px2) / 2
        dcx = (d.x1 + d.x2) / 2
        h = max(py2 - py1, d.y2 - d.y1, 1.0)
        hd = d.y2 - d.y1
        if hd <= 0 or not (0.5 < (py2 - py1) / hd < 2.0):
            return np.inf
        if abs(d.y2 - py2) > 0.35 * h:                       # another lane (ground contact differs)
            return np.inf
        dx = dcx - pcx
        # a new track without a motion prior: allow the largest plausible motion; otherwise a residual
        allow = self.max_speed * dt if (tr.hits < 2 and prior is None) else max(0.6 * h, 0.35 * self.max_speed * dt)
        if abs(dx) > allow + 0.5 * h:
            return np.inf
        vx = tr.vx if tr.hits >= 2 else (prior[0] if prior is not None else 0.0)
        if vx * (dcx - tr.centre[0]) < -0.2 * h * max(abs(vx) * dt / h, 1.0):
            return np.inf                                   # moving backwards
        return 1.0 - _iou((px1, py1, px2, py2), (d.x1, d.y1, d.x2, d.y2)) + abs(dx) / (self.max_speed * dt + h)

    def update(self, t: float, frame_no: int, dets: list[Detection]) -> tuple[list[Track], list[Track]]:
        matched_t: set[int] = set()
        matched_d: set[int] = set()
        if self.tracks and dets:
            # a track seen once predicts with the motion field's velocity where it stands
            priors = [self.field.velocity(*tr.bottom) if tr.hits < 2 else None for tr in self.tracks]
            cost = np.array([[self._cost(tr, d, t, pr) for d in dets] for tr, pr in zip(self.tracks, priors)])
            finite = np.where(np.isfinite(cost), cost, 1e6)
            rows, cols = linear_sum_assignment(finite)
            for r, c in zip(rows, cols):
                if np.isfinite(cost[r, c]):
                    self._apply(self.tracks[r], dets[c], t, frame_no)
                    matched_t.add(r)
                    matched_d.add(c)
        for j, d in enumerate(dets):
            if j not in matched_d:
                tr = Track(self._next, (d.x1, d.y1, d.x2, d.y2), t, t, frame_no)
                tr.classes[d.cls] += 1
                tr.history.append((t, *tr.centre))
                self._next += 1
                self.tracks.append(tr)
        ended = [tr for tr in self.tracks if t - tr.t_last > self.max_age_s]
        self.tracks = [tr for tr in self.tracks if t - tr.t_last <= self.max_age_s]
        return self.tracks, ended

    def _apply(self, tr: Track, d: Detection, t: float, frame_no: int) -> None:
        ocx, ocy = tr.centre
        old_bottom = tr.bottom
        dt = max(t - tr.t_last, 1e-3)
        tr.box = (d.x1, d.y1, d.x2, d.y2)
        ncx, ncy = tr.centre
        a = 0.6 if tr.hits >= 2 else 1.0
        tr.vx = a * (ncx - ocx) / dt + (1 - a) * tr.vx
        tr.vy = a * (ncy - ocy) / dt + (1 - a) * tr.vy
        # the step's velocity holds along its path: teach the cells it left and reached (the cell where
        # vehicles enter learns only this way: no track is older than one step there)
        for x, y in (old_bottom, tr.bottom):
            self.field.learn(x, y, tr.vx, tr.vy)
        tr.t_last = t
        tr.frame_last = frame_no
        tr.hits += 1
        tr.classes[d.cls] += 1
        tr.history.append((t, ncx, ncy))
        if len(tr.history) > 64:
            del tr.history[:-64]

    def flush(self) -> list[Track]:
        """End every track (end of a clip loop or of the stream)."""
        ended, self.tracks = self.tracks, []
        return ended
