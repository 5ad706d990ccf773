"""Config of the simulation: the scenario's ``simulation:`` section.

The ``cameras:`` section (the camera farm's config) says what cameras exist; this section adds what
only the simulator needs: how often analytics sample each class, viewer demand over the day, scripted spikes,
retention, the SLOs for sizing, the hardware set to simulate, the headroom rule, replications and seed.

``SimScenario`` is what the simulator's entry points take: the scenario's ``cameras:`` (the fields the
simulator reads), ``simulation:`` and ``seed``. A caller holding a YAML dict or a whole scenario model turns it
into one at its boundary with ``SimScenario.of``, which names the bad key when it is not valid.
"""
from __future__ import annotations

from collections.abc import Mapping

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from common.config import StrictModel
from common.errors import InputError
from common.profiles import CameraProfile
from common.vocabulary import Backend, BackendName, Slo
from simulator.infra import INPUT_NAMES
from simulator.policy import (
    DecodeMode,
    NetworkPolicy,
    RedundancyPolicy,
    StartupPolicy,
    StoragePolicy,
)

# Share of the peak-hour viewers watching in each hour of the day (0..23, local time). Evening peak at
# 19-21 h (after work, ronda/citizen-patrol viewing), a smaller morning-commute bump, quiet nights.
# An assumption (no public figures on portal use); change it per scenario.
EVENING_PEAK = [0.10, 0.06, 0.04, 0.04, 0.05, 0.12, 0.30, 0.45, 0.40, 0.35, 0.35, 0.38,
                0.40, 0.38, 0.36, 0.40, 0.48, 0.60, 0.78, 0.95, 1.00, 0.90, 0.60, 0.30]


class ViewerDemand(StrictModel):
    peak_concurrent: int = Field(1000, ge=0, description="concurrent live viewers in the peak hour")
    hourly_share: list[float] = Field(default_factory=lambda: list(EVENING_PEAK), min_length=24,
                                      max_length=24, description="share of the peak per hour 0..23")
    session_min: float = Field(6.0, gt=0, description="mean length of one viewing session, minutes")
    api_requests_per_viewer_min: float = Field(2.0, ge=0,
                                               description="camera-list/events requests per viewer per minute")
    snapshot_share: float = Field(0.1, ge=0, le=1,
                                  description="share of API requests that are JPEG snapshots")
    downlink_mbps: float = Field(10.0, gt=0, description="a viewer's own downlink (caps start time)")
    watched_bitrate_kbps: float | None = Field(None, gt=0,
                                               description="bitrate of a watched stream; default: mean "
                                                           "bitrate of the online cameras")

    @field_validator("hourly_share")
    @classmethod
    def _shares(cls, v: list[float]) -> list[float]:
        if any(s < 0 for s in v) or max(v) <= 0:
            raise ValueError("hourly shares must be >= 0 with at least one > 0")
        return v


class Spike(StrictModel):
    name: str = Field(..., description="what happens (demonstration at Simpang Lima, flood, ...)")
    start_hour: float = Field(..., ge=0, lt=24, description="start, hours since midnight")
    duration_min: float = Field(..., gt=0, le=24 * 60)
    viewer_multiplier: float = Field(2.0, ge=1, description="concurrent viewers x this during the spike")


class DetectorSettings(StrictModel):
    backend: BackendName = Field(Backend.ONNX, description="calibrated backend used on CPU workers "
                                 "(ultralytics, onnx, openvino; the stack's detector.type)")
    model: str = Field("yolov8n", description="detector model (GPU throughput is per model)")
    input_size: int = Field(640, gt=0, description="square detector input side in pixels")
    max_batch: int = Field(8, ge=1, le=256, description="largest batch a worker takes from its queue")
    max_lag_s: float = Field(5.0, gt=0, description="a frame waiting longer is dropped as stale")
    service_cv: float = Field(0.05, ge=0, le=1, description="coefficient of variation of batch time")


class SimSLOs(StrictModel):
    frame_to_event_p95_s: float = Field(2.0, gt=0, description="frame-to-event lag, 95th percentile")
    viewer_start_p95_s: float = Field(3.0, gt=0, description="live view start time, 95th percentile")
    api_p95_ms: float = Field(300.0, gt=0, description="portal API response time, 95th percentile")
    max_frame_drop: float = Field(0.01, ge=0, le=1, description="largest share of sampled frames dropped")

    def with_run_slos(self, slos: Mapping[str, float], sampling_fps: float) -> "SimSLOs":
        """These limits with a run's SLOs (``common.vocabulary.Slo`` names) put in the simulator's terms, those
        it models: the analytics lag is the frame-to-event p95, the viewer request p95 the API p95, and an
        analysed fps or share floor the largest share of sampled frames the model may drop."""
        run = {Slo.parse(k): float(v) for k, v in slos.items()}
        update: dict[str, float] = {}
        for slo, field in RUN_TO_SIM_LIMIT.items():
            if slo in run:
                update[field] = run[slo]
        drops = []
        if Slo.MIN_ANALYSED_FPS in run:
            drops.append(1.0 - run[Slo.MIN_ANALYSED_FPS] / sampling_fps)
        if Slo.MIN_ANALYSED_SHARE in run:
            drops.append(1.0 - run[Slo.MIN_ANALYSED_SHARE])
        if drops:
            update["max_frame_drop"] = max(0.0, min(1.0, min(drops)))
        return self.model_validate({**self.model_dump(), **update})


# The run's SLOs the simulator checks under another name (the analysed fps and share floors become
# ``max_frame_drop``, see ``SimSLOs.with_run_slos``; the others it does not model).
RUN_TO_SIM_LIMIT: dict[Slo, str] = {Slo.ANALYTICS_LAG_P95_S: "frame_to_event_p95_s", Slo.VIEWER_P95_MS: "api_p95_ms"}


class TierSpec(StrictModel):
    server: str = Field(..., description="CPU server name from the hardware catalogue")
    count: int = Field(1, ge=1, description="servers in this tier")


class IngestTier(TierSpec):
    gpu: str | None = Field(None, description="GPU name from the catalogue; none: detect on CPU cores")
    gpus_per_server: int = Field(0, ge=0)
    detector_cores: int | None = Field(None, ge=1,
                                       description="CPU detection only: cores running detector workers "
                                                   "(default: half the server's cores)")

    @model_validator(mode="after")
    def _gpu_count(self) -> "IngestTier":
        if self.gpu and self.gpus_per_server < 1:
            raise ValueError("gpu set but gpus_per_server is 0")
        return self


class HardwareSetSpec(StrictModel):
    ingest: IngestTier = Field(..., description="ingest + decode + detection servers")
    portal: TierSpec = Field(..., description="portal servers (API and HLS restream)")
    nic: str = Field(..., description="NIC name from the catalogue (one per server)")
    disk: str = Field(..., description="disk name from the catalogue for recordings")
    decode: dict[str, DecodeMode] = Field(default_factory=dict,
                                          description="camera class -> decode placement (default cpu_all)")


class SimulationConfig(StrictModel):
    analytic_fps: dict[str, float] = Field(default_factory=dict,
                                           description="camera class name -> analytic sampling fps")
    default_analytic_fps: float = Field(0.5, ge=0, description="for classes not in analytic_fps")
    availability_by_hour: list[float] | None = Field(None, min_length=24, max_length=24,
                                                     description="multiplies each class's online_share")
    viewers: ViewerDemand = Field(default_factory=ViewerDemand)
    spikes: list[Spike] = Field(default_factory=list)
    detector: DetectorSettings = Field(default_factory=DetectorSettings)
    retention_days: float = Field(30.0, gt=0, description="days of recordings kept centrally")
    recorded_share: float = Field(1.0, ge=0, le=1, description="share of online cameras recorded centrally")
    slos: SimSLOs = Field(default_factory=SimSLOs)
    hardware: HardwareSetSpec | None = Field(None, description="hardware set to simulate")
    catalogue: str | None = Field(None, description="hardware catalogue YAML (default: the shipped one)")
    calibration: str | None = Field(None, description="calibration JSON (default: the reference one)")
    headroom: float = Field(0.70, gt=0, le=1, description="largest peak utilisation sizing accepts")
    hour: int | None = Field(None, ge=0, le=23, description="hour to simulate (default: the viewer peak)")
    duration_s: float = Field(3600.0, gt=0, le=86400, description="simulated time")
    replications: int = Field(1, ge=1, le=100)
    decode_placement: dict[str, DecodeMode] = Field(
        default_factory=dict, description="camera class -> decode placement sizing must use (others: the cheaper)")
    storage: StoragePolicy = Field(default_factory=StoragePolicy)
    network: NetworkPolicy = Field(default_factory=NetworkPolicy)
    redundancy: RedundancyPolicy = Field(default_factory=RedundancyPolicy)
    startup: StartupPolicy = Field(default_factory=StartupPolicy)
    model_inputs: dict[str, float] = Field(default_factory=dict,
                                           description="override catalogue inputs by name (zipf_exponent, ...)")
    seed: int | None = Field(None, ge=0, description="default: the scenario's seed")

    @field_validator("model_inputs")
    @classmethod
    def _inputs(cls, v: dict[str, float]) -> dict[str, float]:
        unknown = sorted(set(v) - set(INPUT_NAMES))
        if unknown:
            raise ValueError(f"unknown model inputs {unknown}; known: {', '.join(INPUT_NAMES)}")
        return v

    @field_validator("analytic_fps")
    @classmethod
    def _rates(cls, v: dict[str, float]) -> dict[str, float]:
        bad = {k: r for k, r in v.items() if r < 0}
        if bad:
            raise ValueError(f"analytic fps must be >= 0: {bad}")
        return v


class SimCameraClass(BaseModel):
    """A camera class as the simulator reads it. Other keys of the camera farm's class (footage, districts)
    are the farm's to check and are ignored here."""

    model_config = ConfigDict(extra="ignore")

    name: str = Field(..., min_length=1)
    count: int = Field(..., ge=0)
    group: str = ""
    profile: str | CameraProfile = Field(..., description="a named profile of common.profiles or the profile")
    online_share: float = Field(1.0, ge=0.0, le=1.0)


class SimCameras(BaseModel):
    """The scenario's ``cameras:`` section as the simulator reads it (the farm's own keys are ignored)."""

    model_config = ConfigDict(extra="ignore")

    classes: list[SimCameraClass] = Field(..., min_length=1)


class SimScenario(BaseModel):
    """The simulator's input: cameras, the simulation section and the seed of a scenario. The scenario's other
    sections (stack, portal, load, run) belong to other parts and are ignored."""

    model_config = ConfigDict(extra="ignore")

    name: str = ""
    seed: int = Field(0, ge=0)
    cameras: SimCameras
    simulation: SimulationConfig = Field(default_factory=SimulationConfig)

    @field_validator("simulation", mode="before")
    @classmethod
    def _default_simulation(cls, v):
        return SimulationConfig() if v is None else v

    @property
    def effective_seed(self) -> int:
        """``simulation.seed`` when set, else the scenario's."""
        return self.simulation.seed if self.simulation.seed is not None else self.seed

    @classmethod
    def of(cls, scenario: "SimScenario | Mapping[str, object] | BaseModel",
           where: str = "scenario") -> "SimScenario":
        """The simulator's view of a scenario: a SimScenario as is, a YAML mapping or another scenario model
        (read by attribute) validated; an invalid one is an ``InputError`` naming the first bad key."""
        if isinstance(scenario, cls):
            return scenario
        try:
            if isinstance(scenario, Mapping):
                return cls.model_validate(dict(scenario))
            if isinstance(scenario, BaseModel):
                return cls.model_validate(scenario, from_attributes=True)
        except ValidationError as e:
            first = e.errors()[0]
            loc = ".".join(str(p) for p in first["loc"]) or "(top level)"
            raise InputError(f"{loc}: {first['msg']}", where=where) from None
        raise InputError(f"expected a scenario (a mapping or a scenario model), got {type(scenario).__name__}",
                         where=where)

