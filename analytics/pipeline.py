"""Per-camera analytics after detection: stream clock -> tracker -> rules -> keyed events.

Idempotency key = hash(camera, rule, loop of the clip, the rule's identifier of the event inside the
loop: crossing frame and position, parking start frame, window index). The loop and the frame inside
the clip come from the stream's timestamps, so re-processing the same frames after a restart gives
the same keys, and the next pass over a looping clip gives new ones. A ``key_epoch`` (empty by default)
separates deliberate, independent stacks over the same cameras, such as the steps of a scenario run, whose
streams start the clip again from its first frame: their events are new, not re-processed ones.
"""
from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass

import numpy as np

from analytics.detect.prepost import Detection
from analytics.rules import FrameInfo, Rule, RuleEvent
from analytics.store import Event
from analytics.track import Tracker
from analytics.trackers import LibraryTracker, make_tracker

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class StreamClock:
    """Maps a frame's stream timestamp to (frame number, loop, frame in clip)."""

    fps: float
    clip_frames: int | None     # None: not a looping clip (every frame is loop 0)

    def place(self, t_stream: float) -> tuple[int, int, int]:
        n = int(round(t_stream * self.fps))
        if not self.clip_frames:
            return n, 0, n
        return n, n // self.clip_frames, n % self.clip_frames


def event_key(camera_id: str, rule_index: int, rule_type: str, loop: int, ident: str, epoch: str = "") -> str:
    raw = f"{camera_id}|{rule_index}:{rule_type}|{loop}|{ident}".encode()
    if epoch:
        raw = f"{epoch}|".encode() + raw
    return hashlib.sha256(raw).hexdigest()[:32]


class CameraPipeline:
    """Tracks and rules of one camera; feed it analysed frames in stream order."""

    def __init__(self, camera_id: str, rules: list[Rule], clock: StreamClock, names: list[str],
                 key_epoch: str = "", tracker: str = "motion_field", sample_fps: float | None = None):
        self.camera_id = camera_id
        self.key_epoch = key_epoch
        self.rules = rules
        self.clock = clock
        self.names = names
        self.tracker_name = tracker
        self.sample_fps = sample_fps or clock.fps
        self.tracker: Tracker | LibraryTracker | None = None
        self.loop: int | None = None
        self.last: FrameInfo | None = None
        self.needs_tracks = any(r.needs_tracks for r in rules)
        self.live_tracks: list = []       # the tracker's live tracks after the last analysed frame

    def frame_info(self, t_stream: float, t_capture: float, width: int, height: int) -> FrameInfo:
        n, loop, k = self.clock.place(t_stream)
        return FrameInfo(self.camera_id, n, loop, k, k / self.clock.fps, t_capture, width, height)

    def _to_events(self, i: int, rule: Rule, found: list[RuleEvent]) -> list[Event]:
        # every event carries the clip position of the frame it was decided at (from the stream's
        # timestamps): scoring places it on the stream timeline without any wall-clock offset
        return [Event(key=event_key(self.camera_id, i, rule.type, e.frame.loop, e.ident, self.key_epoch),
                      camera_id=self.camera_id,
                      type=e.type, t_frame=e.frame.t_capture,
                      payload={**e.payload, "loop": e.frame.loop, "clip_frame": e.frame.clip_frame}) for e in found]

    def _end_loop(self) -> list[Event]:
        out: list[Event] = []
        if self.tracker is not None:
            ended = self.tracker.flush()
            for i, r in enumerate(self.rules):
                out += self._to_events(i, r, r.on_tracks_ended(self.last, ended, self.names))
        for i, r in enumerate(self.rules):
            out += self._to_events(i, r, r.on_loop_end(self.last, self.names))
        return out

    def process(self, f: FrameInfo, image: np.ndarray, dets: list[Detection]) -> list[Event]:
        out: list[Event] = []
        if self.last is not None and (f.loop != self.loop or f.frame_no < self.last.frame_no):
            out += self._end_loop()           # the clip looped, or the stream restarted
        if self.tracker is None or self.tracker.frame_h != f.height:
            self.tracker = make_tracker(self.tracker_name, f.width, f.height, self.sample_fps)
        self.loop = f.loop
        tracks, ended = (self.tracker.update(f.t_clip, f.frame_no, dets) if self.needs_tracks else ([], []))
        self.live_tracks = tracks
        for i, r in enumerate(self.rules):
            if ended:
                out += self._to_events(i, r, r.on_tracks_ended(f, ended, self.names))
            out += self._to_events(i, r, r.on_frame(f, image, dets, tracks, self.names))
        self.last = f
        return out

    def finish_tracks(self) -> list[Event]:
        """At a stop: report what finished tracks hold (windows still open are left to a re-run)."""
        if self.tracker is None or self.last is None:
            return []
        ended = self.tracker.flush()
        out: list[Event] = []
        for i, r in enumerate(self.rules):
            out += self._to_events(i, r, r.on_tracks_ended(self.last, ended, self.names))
        return out
