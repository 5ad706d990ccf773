"""Config of a scenario run: the SLOs that define the knee (``slos:``) and how the load steps (``run:``).

A run steps three axes together: cameras online, analytic sampling fps and viewers. Each axis is a
list of values, one per step; a list of one value holds that axis constant. Every step is measured
``trials`` times; the knee is the first step where an SLO fails in more than ``fail_fraction`` of them.
"""
from __future__ import annotations

from dataclasses import dataclass

from pydantic import Field, model_validator

from common.config import StrictModel
from common.vocabulary import Axis

AXES = tuple(Axis)          # the run's step axes: common.vocabulary, shared with the simulator


class SLOConfig(StrictModel):
    """Service-level objectives; a step passes when every declared (non-null) one holds. The field names are
    ``common.vocabulary.RUN_SLOS`` (tests/common/test_vocabulary.py checks both agree)."""

    min_analysed_fps: float | None = Field(
        None, gt=0, description="minimum analysed frames per second of the worst online camera")
    min_analysed_share: float | None = Field(
        None, gt=0, le=1, description="minimum analysed fps of the worst online camera, as a share of the "
                                      "step's sampling fps (0.9: at most 10% of sampled frames lost)")
    analytics_lag_p95_s: float | None = Field(
        None, gt=0, description="maximum p95 end-to-end analytics lag (frame capture to event stored), seconds")
    viewer_p95_ms: float | None = Field(
        None, gt=0, description="maximum p95 response time of the portal's viewer requests, milliseconds")
    viewer_ttff_p95_ms: float | None = Field(
        None, gt=0, description="maximum p95 time to first decoded frame of the browser viewers "
                                "(load.browsers), from pressing play, milliseconds")
    portal_error_rate: float | None = Field(
        None, ge=0, le=1, description="maximum share of portal requests that fail (errors and 503s)")
    stream_loss: float | None = Field(
        None, ge=0, le=1, description="maximum share of online cameras whose stream is not ready or not read")

    def declared(self) -> dict[str, float]:
        """The SLOs that are set, by name."""
        return {k: v for k, v in self.model_dump().items() if v is not None}


@dataclass(frozen=True)
class StepLoad:
    """The load of one step: a point on the run's axes."""

    index: int
    cameras: int
    sampling_fps: float
    viewers: int

    def as_dict(self) -> dict[str, float]:
        return {"cameras": self.cameras, "sampling_fps": self.sampling_fps, "viewers": self.viewers}


class HardwareBudget(StrictModel):
    """Emulated hardware for the stack under test: a CPU budget (``common.cpubudget``)."""

    cpus: float = Field(..., gt=0, le=1024, description="cores the stack may use: whole cores by CPU affinity, "
                                                        "a fraction by a CFS quota (0.5: half a core)")
    portal: bool = Field(False, description="put the portal inside the same budget too")
    reserve: bool = Field(False, description=(
        "give the budget the highest scheduling weight (100x a default process group), so that other work "
        "on a shared machine takes little of its cores; the run's parts outside the budget then get less"))

    @property
    def label(self) -> str:
        return f"cpus-{self.cpus:g}"


class RunConfig(StrictModel):
    """How a run steps the load and how often it repeats each step."""

    cameras: list[int] = Field([1], min_length=1, description="cameras online, per step (one value: constant)")
    sampling_fps: list[float] = Field([1.0], min_length=1,
                                      description="analytic sampling fps per camera, per step (one value: constant)")
    viewers: list[int] = Field([0], min_length=1,
                               description="concurrent portal viewers, per step (one value: constant)")
    trials: int = Field(2, ge=1, le=20, description="repeated measurements of each step")
    fail_fraction: float = Field(0.5, ge=0, lt=1,
                                 description="a step fails when an SLO fails in more than this share of its trials")
    step_duration_s: float = Field(10.0, gt=0, le=3600, description="measuring time of one trial, seconds")
    warmup_s: float = Field(3.0, ge=0, le=600, description="settling time after the load changes, not measured")
    max_steps: int | None = Field(None, ge=1, description="stop after this many steps even without a knee")
    hardware: list[HardwareBudget] = Field(default_factory=list, description=(
        "CPU budgets to find the knee under, one run each (e.g. [{cpus: 0.5}, {cpus: 1}, {cpus: 2}]); "
        "empty: the whole machine. With two or more the model is checked out of sample across them"))
    refine_to: float | None = Field(0.15, gt=0, lt=1, description=(
        "after the knee, step between the last passing and the first failing load until they are within "
        "this share of the failing one (null: no refinement)"))
    impairments: bool = Field(False, description="apply the scenario's camera impairments during the run "
                              "(off by default: a knee search measures steady load)")

    @model_validator(mode="after")
    def _axes_agree(self) -> "RunConfig":
        lengths = {name: len(getattr(self, name)) for name in AXES}
        stepped = {n: k for n, k in lengths.items() if k > 1}
        if len(set(stepped.values())) > 1:
            raise ValueError("stepped axes must have the same number of values, got "
                             + ", ".join(f"{n}: {k}" for n, k in stepped.items()))
        if any(c < 0 for c in self.cameras) or any(v < 0 for v in self.viewers):
            raise ValueError("cameras and viewers must be >= 0")
        if any(f <= 0 for f in self.sampling_fps):
            raise ValueError("sampling_fps values must be > 0")
        cpus = [h.cpus for h in self.hardware]
        if len(set(cpus)) != len(cpus):
            raise ValueError(f"hardware lists a CPU budget twice: {cpus}")
        return self

    @property
    def n_steps(self) -> int:
        n = max(len(getattr(self, a)) for a in AXES)
        return min(n, self.max_steps) if self.max_steps else n

    def steps(self) -> list[StepLoad]:
        def at(values: list, i: int):
            return values[0] if len(values) == 1 else values[i]
        return [StepLoad(i, at(self.cameras, i), at(self.sampling_fps, i), at(self.viewers, i))
                for i in range(self.n_steps)]

    @staticmethod
    def between(low: StepLoad, high: StepLoad, index: int) -> StepLoad:
        """The load halfway between two steps on every axis (whole cameras and viewers, rounded down)."""
        return StepLoad(index, (low.cameras + high.cameras) // 2, (low.sampling_fps + high.sampling_fps) / 2,
                        (low.viewers + high.viewers) // 2)

    def stepped_axis(self) -> Axis:
        """The axis the load grows along (the first that changes; cameras if none does)."""
        for a in AXES:
            if len(set(getattr(self, a))) > 1:
                return a
        return Axis.CAMERAS
