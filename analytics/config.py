"""Config models of the stack under test (the scenario's ``stack:`` section).

Detector backends and analytic rules are discriminated unions keyed by ``type``: a misspelt type
or key is an error that names its YAML path. Zones and lines are in normalised image coordinates
(0..1); left out, they default to the generated scene's geometry read from the clip's ground truth.
"""
from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal, Union

from pydantic import Field, field_validator, model_validator

from common.config import StrictModel

DEFAULT_WEIGHTS = "models/tilik-yolov8n.pt"
CLASS_NAMES = ("car", "motorcycle", "bus", "truck", "person")
VEHICLES = ("car", "motorcycle", "bus", "truck")

Point = tuple[float, float]
# the tracker backends of analytics/trackers.py
TrackerName = Literal["motion_field", "ultralytics_bytetrack", "ultralytics_botsort", "sv_bytetrack"]


def _check_points(points: list[Point] | None, what: str) -> list[Point] | None:
    if points is None:
        return None
    for i, (x, y) in enumerate(points):
        if not (0.0 <= x <= 1.0 and 0.0 <= y <= 1.0):
            raise ValueError(f"{what} point [{i}] = ({x:g}, {y:g}) is outside the frame; "
                             f"coordinates are normalised, 0..1")
    return points


class _InFrame(StrictModel):
    """Base of the rules with points in normalised coordinates (line, zone, region): all in the frame."""

    @field_validator("line", "zone", "region", check_fields=False)
    @classmethod
    def _points_in_frame(cls, v, info):
        return _check_points(v, info.field_name)


# --------------------------------------------------------------------------- detectors
class _DetectorBase(StrictModel):
    weights: str = Field(DEFAULT_WEIGHTS, description="weights file: a .pt for ultralytics, the "
                         "exported .onnx file or OpenVINO .xml (or its folder) for the export backends; "
                         "default: the project's own detector trained on generated footage")
    imgsz: int = Field(320, ge=32, le=1920, description="network input size (square, multiple of 32)")
    conf: float = Field(0.25, gt=0, lt=1, description="minimum detection confidence")
    iou: float = Field(0.5, gt=0, lt=1, description="IoU threshold of non-maximum suppression")
    batch: int = Field(8, ge=1, le=256, description="most frames per detector call (across cameras)")
    threads: int = Field(0, ge=0, le=256, description="intra-op threads (0: the library default)")

    @field_validator("imgsz")
    @classmethod
    def _mult32(cls, v: int) -> int:
        if v % 32:
            raise ValueError(f"imgsz must be a multiple of 32, got {v}")
        return v


class UltralyticsDetector(_DetectorBase):
    type: Literal["ultralytics"] = "ultralytics"
    device: str = Field("cpu", description="'cpu' or a CUDA device index such as '0'")


class OnnxDetector(_DetectorBase):
    type: Literal["onnx"]
    weights: str = Field(..., description="ONNX file exported from Ultralytics (tilikbench detector export)")


class OpenVinoDetector(_DetectorBase):
    type: Literal["openvino"]
    weights: str = Field(..., description="OpenVINO model (.xml, or the *_openvino_model folder)")
    precision: Literal["default", "f32", "bf16"] = Field(
        "default", description="inference precision hint (default: OpenVINO's choice for this CPU)")


DetectorConfig = Annotated[Union[UltralyticsDetector, OnnxDetector, OpenVinoDetector],
                           Field(discriminator="type")]


# --------------------------------------------------------------------------- rules
class LineCountRule(_InFrame):
    type: Literal["line_count"]
    line: list[Point] | None = Field(None, min_length=2, max_length=2,
                                     description="counting line [[x1,y1],[x2,y2]], normalised; "
                                     "default: the scene's counting line")
    classes: list[str] = Field(list(VEHICLES), description="classes counted")


class ZonePeopleRule(_InFrame):
    type: Literal["zone_people"]
    zone: list[Point] | None = Field(None, min_length=3, description="polygon, normalised; default: "
                                     "the whole frame")
    window_s: float = Field(10.0, gt=0, description="one event per window: mean and peak count")
    crowd_levels: list[int] = Field([5, 15], min_length=2, max_length=2,
                                    description="people count at which the level becomes medium, high")


class IllegalParkingRule(_InFrame):
    type: Literal["illegal_parking"]
    zone: list[Point] | None = Field(None, min_length=3, description="no-parking polygon, normalised; "
                                     "default: the scene's no-parking zone")
    min_dwell_s: float = Field(10.0, gt=0, description="a vehicle in the zone longer than this is parked")
    max_speed: float = Field(0.03, gt=0, description="most movement (frame heights per second, over >= 1 s) of a "
                             "vehicle that counts as standing still")


class FloodLevelRule(_InFrame):
    type: Literal["flood_level"]
    region: list[Point] | None = Field(None, min_length=3, description="road region watched for water; "
                                       "default: the scene's flood region")
    window_s: float = Field(10.0, gt=0, description="one level reading per window")


class GarbagePresenceRule(_InFrame):
    type: Literal["garbage_presence"]
    region: list[Point] | None = Field(None, min_length=3, description="region watched for garbage; "
                                       "default: the scene's garbage region")
    window_s: float = Field(10.0, gt=0, description="one reading per window")


class MaskComplianceRule(StrictModel):
    type: Literal["mask_compliance"]
    model: str | None = Field(None, description="a face-mask classifier; none ships with tilikbench, so "
                              "the rule reports 'disabled: needs a mask model' and emits nothing")


RuleConfig = Annotated[Union[LineCountRule, ZonePeopleRule, IllegalParkingRule, FloodLevelRule,
                             GarbagePresenceRule, MaskComplianceRule], Field(discriminator="type")]


# --------------------------------------------------------------------------- ingest
class IngestClass(StrictModel):
    """How the cameras of one camera class (``cameras.classes[].name``) are ingested and analysed."""

    name: str = Field(..., min_length=1, description="camera class name, as in cameras.classes")
    decode: Literal["all", "sampled", "keyframes"] = Field(
        "sampled", description="analyse every frame, a sampled rate, or keyframes only")
    sample_fps: float = Field(1.0, gt=0, le=60, description="analysed frames per second when sampled")
    queue: int = Field(4, ge=1, le=1000, description="frames waiting per camera before new ones drop")
    rules: list[RuleConfig] = Field(default_factory=list, description="analytic rules of this class")
    tracker: TrackerName = Field("motion_field", description="tracker of this class's cameras: the project's "
                                 "motion_field, ultralytics_bytetrack, ultralytics_botsort, or sv_bytetrack "
                                 "(the ByteTrack supervision's zones are used with); see analytics/trackers.py")


class ReconnectConfig(StrictModel):
    initial_s: float = Field(0.5, gt=0, description="first wait before reconnecting")
    max_s: float = Field(4.0, gt=0, description="longest wait between tries")
    factor: float = Field(2.0, ge=1, description="backoff factor")
    jitter: float = Field(0.25, ge=0, le=1, description="random fraction added to or taken from a wait")
    open_timeout_s: float = Field(10.0, gt=0, description="give up opening a stream after this long")
    offline_after: int = Field(3, ge=1, description="failed tries after which a camera is marked offline "
                               "(retries go on)")


class StackConfig(StrictModel):
    type: Literal["builtin"] = Field("builtin", description="the project's own ingest-and-analytics stack (the "
                                     "default); `external` measures another system (docs/external.md)")
    workers: int = Field(1, ge=1, le=256, description="ingest worker processes; cameras are split among them")
    store: str = Field("sqlite:///results/events.db", description="event store DSN: sqlite:///PATH or "
                       "postgresql://...")
    detector: DetectorConfig = Field(default_factory=UltralyticsDetector, description="detector backend")
    classes: list[IngestClass] = Field(default_factory=list, description="per camera class settings; a "
                                       "class left out is sampled at 1 fps with no rules")
    reconnect: ReconnectConfig = Field(default_factory=ReconnectConfig, description="reconnect policy")
    stats_interval_s: float = Field(1.0, gt=0, description="how often workers write their stats snapshot")
    flush_interval_s: float = Field(0.5, gt=0, description="most time an event waits before it is stored")
    decode_threads: int = Field(1, ge=0, le=16, description="FFmpeg threads per stream decoder (0: auto)")

    @field_validator("store")
    @classmethod
    def _dsn(cls, v: str) -> str:
        if not v.startswith(("sqlite://", "postgresql://", "postgres://")):
            raise ValueError("event store DSN must be sqlite:///PATH or postgresql://...")
        return v

    @model_validator(mode="after")
    def _unique_classes(self) -> "StackConfig":
        names = [c.name for c in self.classes]
        dup = {n for n in names if names.count(n) > 1}
        if dup:
            raise ValueError(f"camera class listed twice in stack.classes: {', '.join(sorted(dup))}")
        return self

    def for_class(self, name: str) -> IngestClass:
        for c in self.classes:
            if c.name == name:
                return c
        return IngestClass(name=name)


def resolve_path(path: str, root: Path | None = None) -> Path:
    """A path from the scenario: absolute, or relative to the working dir, else to the repository."""
    p = Path(path)
    if p.is_absolute() or p.exists():
        return p
    repo = root or Path(__file__).resolve().parent.parent
    return repo / p
