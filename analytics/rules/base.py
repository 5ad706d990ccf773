"""What every analytic rule sees and returns."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from analytics.detect.prepost import Detection
from analytics.track import Track


@dataclass(frozen=True)
class FrameInfo:
    """One analysed frame of one camera, placed in stream and clip time."""

    camera_id: str
    frame_no: int          # index in the stream since it started (from its timestamps)
    loop: int              # which pass over the looping clip
    clip_frame: int        # index inside the clip
    t_clip: float          # seconds since the clip's start
    t_capture: float       # wall-clock (epoch) time the frame was received
    width: int
    height: int


@dataclass(frozen=True)
class RuleEvent:
    """An event a rule found; ``ident`` makes its idempotency key unique inside (camera, rule, loop)."""

    type: str
    ident: str
    frame: FrameInfo
    payload: dict = field(default_factory=dict)


class Rule:
    """A plug-in: sees every analysed frame with the camera's tracks, returns events."""

    type = "rule"
    needs_tracks = True
    status = "active"

    def on_frame(self, f: FrameInfo, image: np.ndarray, dets: list[Detection],
                 tracks: list[Track], names: list[str]) -> list[RuleEvent]:
        return []

    def on_tracks_ended(self, f: FrameInfo, ended: list[Track], names: list[str]) -> list[RuleEvent]:
        return []

    def on_loop_end(self, f: FrameInfo | None, names: list[str]) -> list[RuleEvent]:
        """The clip loops (or the stream ends): close whatever is open."""
        return []


class WindowClock:
    """Windows of ``window_s`` clip seconds for the windowed rules, and when one can be closed.

    A window is decided at its last analysed frame: the next analysed frame is expected one sampling
    interval later (the smallest gap seen between analysed frames), so when that falls in the next
    window the window closes at once instead of waiting for the next window's first frame. Until a gap
    has been seen (the first frames), or when frames arrive irregularly, the next window's first frame
    closes it as a fallback.
    """

    def __init__(self, window_s: float):
        self.window_s = window_s
        self.gap: float | None = None
        self._t_prev: float | None = None

    def index(self, t: float) -> int:
        return int(t // self.window_s)

    def is_last(self, t: float) -> bool:
        """Record an analysed frame at clip time ``t``; True when it is the last of its window."""
        if self._t_prev is not None and t > self._t_prev:
            g = t - self._t_prev
            self.gap = g if self.gap is None else min(self.gap, g)
        self._t_prev = t
        return self.gap is not None and self.index(t + self.gap + 1e-6) != self.index(t)

    def restart(self) -> None:
        """The clip looped or the stream restarted: the next gap is not a sampling interval."""
        self._t_prev = None


class WindowedRule(Rule):
    """One reading per analysed frame; one event per window, decided at the window's last analysed
    frame (``WindowClock``), which is the event's frame. Subclasses give ``reading`` and ``event``."""

    def __init__(self, window_s: float):
        self.window_s = window_s
        self.clock = WindowClock(window_s)
        self._win: int | None = None
        self._vals: list[float] = []
        self._last: FrameInfo | None = None

    def reading(self, f: FrameInfo, image: np.ndarray, dets: list[Detection], names) -> float:  # pragma: no cover
        raise NotImplementedError

    def event(self, f: FrameInfo, vals: list[float]) -> RuleEvent:  # pragma: no cover - overridden
        raise NotImplementedError

    def _close(self) -> list[RuleEvent]:
        if self._win is None or not self._vals:
            return []
        ev = self.event(self._last, self._vals)
        self._vals = []
        return [ev]

    def on_frame(self, f, image, dets, tracks, names):
        win = self.clock.index(f.t_clip)
        out = self._close() if self._win is not None and win != self._win else []
        self._win = win
        self._vals.append(self.reading(f, image, dets, names))
        self._last = f
        if self.clock.is_last(f.t_clip):
            out += self._close()
        return out

    def on_loop_end(self, f, names):
        out = self._close()
        self._win = None
        self.clock.restart()
        return out
