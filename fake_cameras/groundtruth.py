"""Ground truth of a generated clip: what was drawn in each frame and which scene events happened.

``GroundTruthBuilder`` collects per-frame objects while a clip is rendered and derives the events
(line crossings, parking dwell, flood level, garbage presence); ``load_ground_truth`` reads the JSON
back as typed records with the queries analytics tests compare against. The format is documented in
docs/footage.md.
"""
from __future__ import annotations

import json
import math
from collections import Counter
from pathlib import Path
from typing import Literal

from pydantic import Field, ValidationError

from common.config import StrictModel
from common.errors import InputError
from common.resultmeta import write_json_atomic
from fake_cameras.scene import CLASSES, GTObject, SceneSpec
from fake_cameras.scene import geometry
from fake_cameras.scene.plan import Track
from fake_cameras.scene.weather import flood_level

SCHEMA_VERSION = 1
Direction = Literal["left_to_right", "right_to_left"]


class ObjectRecord(StrictModel):
    track_id: int
    cls: str
    box: tuple[int, int, int, int] = Field(..., description="x1, y1, x2, y2 in pixels; x2, y2 exclusive")
    visible: float = Field(..., ge=0, le=1, description="fraction of the box not occluded and inside the frame")


class FrameRecord(StrictModel):
    frame: int
    t: float
    objects: list[ObjectRecord]


class TrackRecord(StrictModel):
    track_id: int
    cls: str
    lane: str
    first_frame: int
    last_frame: int


class Crossing(StrictModel):
    track_id: int
    cls: str
    direction: Direction
    frame: int = Field(..., description="first frame with the box centre on the far side of the line")
    t: float


class Dwell(StrictModel):
    track_id: int
    cls: str
    start_t: float
    end_t: float
    start_frame: int
    end_frame: int

    @property
    def duration_s(self) -> float:
        return self.end_t - self.start_t


class FloodSample(StrictModel):
    t: float
    level: float = Field(..., ge=0, le=1)


class GarbageInterval(StrictModel):
    appear_t: float
    remove_t: float | None


class Events(StrictModel):
    line_crossings: list[Crossing]
    parking: list[Dwell]
    flood: list[FloodSample]
    garbage: GarbageInterval | None


class GroundTruth(StrictModel):
    """A ground-truth file, validated."""

    schema_version: int
    generator: str
    spec: dict
    width: int
    height: int
    fps: float
    frames: int
    duration_s: float
    classes: list[str]
    geometry: dict
    tracks: list[TrackRecord]
    per_frame: list[FrameRecord]
    events: Events

    def objects_at(self, frame: int) -> list[ObjectRecord]:
        return self.per_frame[frame].objects

    def crossings(self, cls: str | None = None, direction: Direction | None = None,
                  since: float | None = None, until: float | None = None) -> list[Crossing]:
        return [c for c in self.events.line_crossings
                if (cls is None or c.cls == cls) and (direction is None or c.direction == direction)
                and (since is None or c.t >= since) and (until is None or c.t < until)]

    def crossings_by_class(self, direction: Direction | None = None) -> dict[str, int]:
        """Line crossings counted per class (every class present, zero when none)."""
        counts = Counter(c.cls for c in self.crossings(direction=direction))
        return {cls: counts.get(cls, 0) for cls in self.classes}

    def dwell_intervals(self, min_dwell_s: float = 0.0) -> list[Dwell]:
        return [d for d in self.events.parking if d.duration_s >= min_dwell_s]

    def flood_level_at(self, t: float) -> float:
        """Flood level at t, linear between the 1 Hz samples."""
        s = self.events.flood
        if not s:
            return 0.0
        if t <= s[0].t:
            return s[0].level
        for a, b in zip(s, s[1:]):
            if a.t <= t <= b.t:
                return a.level + (b.level - a.level) * (t - a.t) / max(1e-9, b.t - a.t)
        return s[-1].level

    def garbage_present_at(self, t: float) -> bool:
        gi = self.events.garbage
        return gi is not None and t >= gi.appear_t and (gi.remove_t is None or t < gi.remove_t)


class GroundTruthBuilder:
    """Collects frames as they are rendered; ``finish()`` returns the JSON document."""

    def __init__(self, spec: SceneSpec, width: int, height: int, fps: float, tracks: list[Track],
                 generator: str):
        self.spec, self.W, self.H, self.fps = spec, width, height, fps
        self.tracks = {tr.track_id: tr for tr in tracks}
        self.generator = generator
        self.frames: list[dict] = []
        self.first: dict[int, int] = {}
        self.last: dict[int, int] = {}
        self.prev_cx: dict[int, float] = {}
        self.crossings: list[dict] = []
        self.line_x = geometry.COUNTING_LINE[0][0] * width

    def add(self, index: int, objects: list[GTObject]) -> None:
        t = index / self.fps
        recs = []
        for o in objects:
            recs.append({"track_id": o.track_id, "cls": o.cls, "box": list(o.box), "visible": o.visible_fraction})
            self.first.setdefault(o.track_id, index)
            self.last[o.track_id] = index
            cx = (o.box[0] + o.box[2]) / 2
            prev = self.prev_cx.get(o.track_id)
            if prev is not None:
                if prev < self.line_x <= cx:
                    self._cross(o, "left_to_right", index, t)
                elif prev >= self.line_x > cx:
                    self._cross(o, "right_to_left", index, t)
            self.prev_cx[o.track_id] = cx
        self.frames.append({"frame": index, "t": round(t, 4), "objects": recs})

    def _cross(self, o: GTObject, direction: str, index: int, t: float) -> None:
        self.crossings.append({"track_id": o.track_id, "cls": o.cls, "direction": direction, "frame": index,
                               "t": round(t, 4)})

    def finish(self) -> dict:
        n = len(self.frames)
        duration = n / self.fps
        parking = []
        for tr in self.tracks.values():
            if tr.parked is not None:
                t0, t1 = tr.parked
                parking.append({"track_id": tr.track_id, "cls": tr.cls, "start_t": round(t0, 4),
                                "end_t": round(t1, 4), "start_frame": math.ceil(t0 * self.fps - 1e-9),
                                "end_frame": min(n - 1, math.floor(t1 * self.fps + 1e-9))})
        flood = []
        if self.spec.flood is not None:
            flood = [{"t": float(s), "level": round(flood_level(self.spec.flood, s), 4)}
                     for s in range(int(math.floor(duration)) + 1)]
        gb = self.spec.garbage
        garbage = None
        if gb is not None and gb.appear_s < duration:
            garbage = {"appear_t": gb.appear_s,
                       "remove_t": gb.remove_s if gb.remove_s is not None and gb.remove_s < duration else None}
        tracks = [{"track_id": tid, "cls": self.tracks[tid].cls, "lane": self.tracks[tid].lane,
                   "first_frame": self.first[tid], "last_frame": self.last[tid]} for tid in sorted(self.first)]
        return {
            "schema_version": SCHEMA_VERSION,
            "generator": self.generator,
            "spec": self.spec.model_dump(mode="json"),
            "width": self.W, "height": self.H, "fps": self.fps, "frames": n, "duration_s": duration,
            "classes": list(CLASSES),
            "geometry": geometry.as_dict(),
            "tracks": tracks,
            "per_frame": self.frames,
            "events": {"line_crossings": self.crossings, "parking": parking, "flood": flood, "garbage": garbage},
        }


def write_ground_truth(path: Path, doc: dict) -> Path:
    """Write compact JSON through a temporary file in the same folder (never half-written)."""
    return write_json_atomic(path, doc, compact=True)


def load_ground_truth(path: Path | str) -> GroundTruth:
    """Read and validate a ground-truth file; a missing or malformed file is an InputError naming it."""
    path = Path(path)
    try:
        raw = json.loads(path.read_text())
    except FileNotFoundError:
        raise InputError("ground-truth file not found", where=str(path)) from None
    except (OSError, json.JSONDecodeError, UnicodeDecodeError) as e:
        raise InputError(f"cannot read ground truth: {e}", where=str(path)) from None
    try:
        gt = GroundTruth.model_validate(raw)
    except ValidationError as e:
        first = e.errors()[0]
        loc = ".".join(str(p) for p in first["loc"])
        raise InputError(f"invalid ground truth at {loc}: {first['msg']} ({e.error_count()} error(s))",
                         where=str(path)) from None
    if gt.schema_version != SCHEMA_VERSION:
        raise InputError(f"ground-truth schema_version {gt.schema_version} is not supported "
                         f"(this version reads {SCHEMA_VERSION})", where=str(path))
    return gt
