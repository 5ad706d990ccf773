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
