"""Typed records of a run (``results.json``) and the states in them, kept as data rather than English text.

The runner writes each record through ``to_dict`` and the report reads them back as attributes
(``results.load`` builds a :class:`RunRecord` after the schema upgrades), so a field a part renames breaks
here, at one place, rather than as a silently empty ``.get()`` in the report. Every record is frozen and:

- ``from_dict`` is tolerant of older files: a missing key takes the field's default, and a key this code
  does not know is kept in ``extra`` (so nothing is lost when a newer part adds one);
- ``to_dict`` gives the JSON shape back (fields in order, then ``extra``): ``from_dict(to_dict(r)) == r``,
  and a current file's dict comes back unchanged. Fields marked optional are left out while they hold
  their default, as the runner leaves them out (a knee that was not refined has no ``resolution``).

The report and the CLI word the states in their own language; the reason behind a state that is not the
happy one travels beside it (``wired_why``, ``status_detail``, a pairing's ``reason``).
"""
from __future__ import annotations

import dataclasses
import enum
import types
import typing
from dataclasses import dataclass, field
from typing import Any, ClassVar, TypeVar

R = TypeVar("R", bound="Record")


class Wiring(enum.StrEnum):
    """A part of the scenario in a run (the results' ``wired`` map)."""

    WIRED = "wired"                    # started, measured, stopped by the run
    NOT_DECLARED = "not_declared"      # the scenario has no such section
    NOT_AVAILABLE = "not_available"    # declared, but the part cannot start here (``wired_why`` says why)
    NOT_WIRED = "not_wired"            # no adapter for it in the runner


class CheckStatus(enum.StrEnum):
    """How the model check ended (the results' ``model_check.status``)."""

    DONE = "done"                      # predicted and compared (``status_detail`` says how it came out)
    NOT_AVAILABLE = "not_available"    # the simulator cannot be imported
    FAILED = "failed"                  # the check raised; the run's results are kept


class PairingStatus(enum.StrEnum):
    """Whether an out-of-sample pairing counts towards the model's score (``reason`` says why not)."""

    COUNTS = "counts"
    NOT_COMPARABLE = "not_comparable"

    @classmethod
    def _missing_(cls, value: object) -> PairingStatus | None:
        # files written before the state was a key held it with a space
        return cls.NOT_COMPARABLE if value == "not comparable" else None


class CostSource(enum.StrEnum):
    """Where a calibration cost came from: this run's measurements or the reference calibration."""

    MEASURED = "measured"
    REFERENCE = "reference"


# --- the generic part: dict <-> record by the fields' types -----------------------------------------------

def optional(default: Any = None) -> Any:
    """A field the JSON leaves out while it holds ``default``."""
    return field(default=default, metadata={"omit": True})


def _convert(hint: Any, value: Any) -> Any:
    """``value`` read from JSON as the type ``hint`` says (records, enums, tuples and dicts of them)."""
    if value is None:
        return None
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(hint) if a is not type(None)]
        return _convert(args[0], value) if len(args) == 1 else value
    if origin is tuple:
        args = typing.get_args(hint)
        if not isinstance(value, (list, tuple)):
            return value
        return tuple(_convert(args[0], v) for v in value)
    if origin is dict:
        _, vt = typing.get_args(hint)
        return {k: _convert(vt, v) for k, v in value.items()} if isinstance(value, dict) else value
    if isinstance(hint, type) and issubclass(hint, Record):
        return hint.from_dict(value) if isinstance(value, dict) else value
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        try:
            return hint(value)
        except ValueError:
            return value              # a state this code does not know is kept as it was written
    return value


def _plain(value: Any) -> Any:
    if isinstance(value, Record):
        return value.to_dict()
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


class Record:
    """Base of the frozen record dataclasses below: ``from_dict`` / ``to_dict`` by the declared fields."""

    _hints: ClassVar[dict[type, dict[str, Any]]] = {}

    @classmethod
    def _types(cls) -> dict[str, Any]:
        if cls not in Record._hints:
            Record._hints[cls] = typing.get_type_hints(cls)
        return Record._hints[cls]

    @classmethod
    def from_dict(cls: type[R], data: Any) -> R:
        """The record of ``data`` (a record of this type is returned as it is)."""
        if isinstance(data, cls):
            return data
        rest = dict(data or {})
        hints = cls._types()
        kwargs = {f.name: _convert(hints[f.name], rest.pop(f.name))
                  for f in dataclasses.fields(cls) if f.name != "extra" and f.name in rest}
        return cls(**kwargs, extra=rest)       # type: ignore[call-arg]

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for f in dataclasses.fields(self):     # type: ignore[arg-type]
            if f.name == "extra":
                continue
            v = getattr(self, f.name)
            if f.metadata.get("omit") and v == f.default:
                continue
            out[f.name] = _plain(v)
        out.update(_plain(self.extra))         # type: ignore[attr-defined]
        return out


def _extra() -> Any:
    return field(default_factory=dict, repr=False)


# --- a step, its trials and the knee ------------------------------------------------------------------------

@dataclass(frozen=True)
class SloCheck(Record):
    """One declared SLO against one trial's metric (``ok`` None: not measured)."""

    metric: str | None = None
    value: Any = None
    limit: Any = None
    ok: bool | None = None
    extra: dict[str, Any] = _extra()


@dataclass(frozen=True)
class Trial(Record):
    """One trial of a step: its metrics, its SLO checks, and whether it was cut short (``partial``)."""

    trial: int | None = None
    started_s: float | None = optional()
    duration_s: float | None = optional()
    partial: bool = False
    metrics: dict[str, Any] = field(default_factory=dict)
    slo: dict[str, SloCheck] = field(default_factory=dict)
    extra: dict[str, Any] = _extra()

    def number(self, metric: str) -> float | None:
        """A metric when it is a number (None when absent or not measured)."""
        v = self.metrics.get(metric)
        return v if isinstance(v, (int, float)) and not isinstance(v, bool) else None


@dataclass(frozen=True)
class Verdict(Record):
    """A step's verdict over its complete trials: ``ok`` None when none was judged."""

    ok: bool | None = None
    failed: dict[str, float] = field(default_factory=dict)
    fail_shares: dict[str, float] = optional(None)
    unmeasured: tuple[str, ...] = optional(None)
    severity: dict[str, float] = optional(None)
    trials: int | None = optional()
    extra: dict[str, Any] = _extra()


@dataclass(frozen=True)
class Step(Record):
    """One load step with every trial (``refinement``: a step between the planned ones, near the knee)."""

    index: int = 0
    load: dict[str, Any] = field(default_factory=dict)
    trials: tuple[Trial, ...] = ()
    verdict: Verdict = field(default_factory=Verdict)
    complete: bool | None = optional()
    refinement: bool = optional(False)
    extra: dict[str, Any] = _extra()

    def value(self, axis: str) -> Any:
        return self.load.get(axis)

    def counted(self) -> tuple[Trial, ...]:
        """The trials that ran their full length."""
        return tuple(t for t in self.trials if not t.partial)


@dataclass(frozen=True)
class PlannedStep(Record):
    """A load the run planned (``planned_steps``), before it was measured."""

    index: int = 0
    load: dict[str, Any] = field(default_factory=dict)
    extra: dict[str, Any] = _extra()


@dataclass(frozen=True)
class Knee(Record):
    """The first failing load and the SLO that binds there; the refinement fields once it was refined."""

    step: int = 0
    load: dict[str, Any] = field(default_factory=dict)
    axis: str | None = optional()
    value: float | None = None
    binding_slo: str | None = None
    fail_share: float | None = None
    failed: dict[str, float] = optional(None)
    last_passing_value: float | None = optional()
    resolution: float | None = optional()
    refinement_steps: int | None = optional()
    at_last_step: bool | None = optional()
    at_first_step: bool | None = optional()
    extra: dict[str, Any] = _extra()

    def at(self, axis: str) -> Any:
        """The knee's value on ``axis`` (a knee upgraded from schema version 1 has only its load)."""
        return self.value if self.value is not None else self.load.get(axis)


# --- the model check and the out-of-sample pairings ---------------------------------------------------------

@dataclass(frozen=True)
class UplinkCheck(Record):
    """The simulator's NVR-site uplink model against the run's shaped links
    (``benchmarks.runner.site_health.uplink_model_check``): site trials compared and within tolerance."""

    model: str = ""
    fill: float | None = None
    tolerance: dict[str, float] = field(default_factory=dict)
    rates: str = ""
    compared: int = 0
    within: int = 0
    bound_compared: int = 0
    within_share: float | None = None
    ok: bool | None = None
    sites: dict[str, dict[str, Any]] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)
    extra: dict[str, Any] = _extra()


@dataclass(frozen=True)
class ModelCheck(Record):
    """The simulator, calibrated from the run, predicting the run's own knee (``benchmarks.runner.modelcheck``)."""

    axis: str | None = None
    measured_knee: float | None = None
    predicted_knee: float | None = None
    measured_binding_slo: str | None = None
    predicted_binding_slo: str | None = None
    rel_error: float | None = None
    within_target: bool | None = None
    target: float | None = None
    status: CheckStatus | None = None
    status_detail: str = ""
    calibration: str | None = optional()
    calibration_provenance: dict[str, str] = optional(None)
    calibration_method: str | None = optional()
    delivered_fps_ratio: float | None = optional()
    delivered_fps_source: str | None = optional()
    predicted_steps: tuple[dict[str, Any], ...] = optional(None)
    simulated_as: str | None = optional()
    at_measured_knee: dict[str, Any] | None = None
    summary: str | None = optional()
    site_uplinks: UplinkCheck | None = optional()
    extra: dict[str, Any] = _extra()

    @property
    def done(self) -> bool:
        return self.status is CheckStatus.DONE


@dataclass(frozen=True)
class Pairing(Record):
    """One out-of-sample pairing: calibrated on one CPU budget's run, predicting another's knee."""

    calibrated_on: float = 0.0         # cpus of the calibrating run
    predicted_for: float = 0.0         # cpus of the run predicted
    axis: str = "cameras"
    measured_knee: float | None = None
    predicted_knee: float | None = None
    measured_binding_slo: str | None = None
    predicted_binding_slo: str | None = None
    status: PairingStatus = PairingStatus.NOT_COMPARABLE
    reason: str = ""
    rel_error: float | None = None
    within_target: bool | None = None
    summary: str | None = optional()
    predicted_steps: tuple[dict[str, Any], ...] | None = optional()
    extra: dict[str, Any] = _extra()

    @property
    def counts(self) -> bool:
        return self.status is PairingStatus.COUNTS

    def describe(self, target: float) -> str:
        """One line in English, as the CLI prints it (the report words the fields itself)."""
        head = (f"calibrated at {self.calibrated_on:g} cores -> {self.predicted_for:g} cores: predicted "
                f"{_v(self.predicted_knee)} ({self.predicted_binding_slo}) vs measured {_v(self.measured_knee)} "
                f"({self.measured_binding_slo})")
        if not self.counts:
            return f"{head}: not comparable ({self.reason})"
        err = f"error {self.rel_error:.0%}" if self.rel_error is not None else "no predicted knee"
        return f"{head}: {err}, {'within' if self.within_target else 'outside'} the {target:.0%} target"


def _v(x: float | None) -> str:
    return "none" if x is None else f"{x:g}"


@dataclass(frozen=True)
class OutOfSample(Record):
    """Every ordered pairing of a multi-budget run, and how many count and hit the target."""

    schema_version: int = 1
    target: float | None = None
    budgets: tuple[float, ...] = ()
    cost_scale: float = 1.0
    pairings: tuple[Pairing, ...] = ()
    pairs: int = 0
    counting: int = 0
    within_target: int = 0
    summary: str = ""
    extra: dict[str, Any] = _extra()


# --- the calibration the run measured -----------------------------------------------------------------------

@dataclass(frozen=True)
class OutlierTrial(Record):
    """A trial left out of the fit (the machine was busy with work not of the run)."""

    step: int | None = None
    trial: int | None = None
    reason: str = ""
    extra: dict[str, Any] = _extra()


@dataclass(frozen=True)
class CostFit(Record):
    """How the run's CPU costs were fitted (``simulator.runcal.fit_costs``); ``method`` "reference": not."""

    trials: int = 0
    method: str | None = None
    provenance: str = ""
    decode_s: float | None = optional()
    analyse_s: float | None = optional()
    steps_used: tuple[int, ...] = ()
    outlier_trials: tuple[OutlierTrial, ...] = ()
    extra: dict[str, Any] = _extra()

    @property
    def fitted(self) -> bool:
        return self.method not in (None, CostSource.REFERENCE.value)


@dataclass(frozen=True)
class CostSpread(Record):
    """A cost's bootstrap spread over resampled trials (``simulator.calspread.bootstrap``)."""

    median: float = 0.0
    low: float = 0.0
    high: float = 0.0
    rel_sd: float = 0.0
    resamples: int | None = optional()
    of: str = optional("")
    extra: dict[str, Any] = _extra()


@dataclass(frozen=True)
class Cost:
    """One calibration section as the run left it: measured or reference, why, and its spread."""

    section: str
    source: CostSource
    provenance: str
    spread: CostSpread | None


COST_SECTIONS = ("decode_ms", "detector_ms", "portal_ms", "hls")


@dataclass(frozen=True)
class PortalRequestCost(Record):
    """The portal's CPU per request (``simulator.runcal.portal_costs``): measured over the trials below the
    knee, or the reference with ``reason``; the split into the server's own CPU and the snapshot grabs."""

    provenance: CostSource | None = None
    trials: int = 0
    requests: int = 0
    includes_http: bool = False
    http_overhead_ms: float | None = None
    ms_per_request: float | None = optional()
    mix: dict[str, float] = optional(None)
    server_ms_per_request: float | None = optional()
    grab_ms_per_snapshot: float | None = optional()
    scale_vs_reference: float | None = optional()
    reason: str | None = optional()
    extra: dict[str, Any] = _extra()


@dataclass(frozen=True)
class Calibration(Record):
    """The run's ``measured_costs``: the sections it measured (in the simulator's calibration shape), how
    they were fitted, their spread, and the cores the stack had per step. A section it did not measure is
    absent and comes from the reference calibration."""

    schema_version: int = 1
    fit: CostFit | None = optional()
    stack_cores: tuple[dict[str, Any], ...] = optional(None)
    machine_cores: int | None = optional()
    provenance: dict[str, str] = optional(None)
    decode_ms: tuple[dict[str, Any], ...] | None = optional()
    detector_ms: tuple[dict[str, Any], ...] | None = optional()
    portal_ms: tuple[dict[str, Any], ...] | None = optional()
    hls: dict[str, Any] | None = optional()
    spread: dict[str, CostSpread] = optional(None)
    portal_includes_http: bool | None = optional()
    portal_request: PortalRequestCost | None = optional()
    extra: dict[str, Any] = _extra()

    @property
    def fitted(self) -> bool:
        return self.fit is not None and self.fit.fitted

    def source(self, section: str) -> CostSource:
        return CostSource.MEASURED if getattr(self, section, None) else CostSource.REFERENCE

    def costs(self) -> tuple[Cost, ...]:
        """Every calibration section with where it came from."""
        prov, spread = self.provenance or {}, self.spread or {}
        return tuple(Cost(s, self.source(s), prov.get(s, ""), spread.get(s)) for s in COST_SECTIONS)


# --- what the simulator says at city scale ------------------------------------------------------------------

@dataclass(frozen=True)
class Keyed(Record):
    """A record the report words by its ``key``: the other fields fill that message (a sized tier, an SLO
    breach), so they stay a mapping."""

    key: str | None = None
    fields: dict[str, Any] = field(default_factory=dict)
    extra: dict[str, Any] = _extra()

    @classmethod
    def from_dict(cls, data: Any) -> Keyed:
        if isinstance(data, Keyed):
            return data
        rest = dict(data or {})
        return cls(key=rest.pop("key", None), fields=rest)

    def to_dict(self) -> dict[str, Any]:
        return {"key": self.key, **self.fields} if self.key is not None else dict(self.fields)


@dataclass(frozen=True)
class BomRow(Record):
    """A bill-of-materials row as the report shows it (already worded by the city-scale step)."""

    item: str = ""
    qty: str = ""
    unit: str = ""
    total: str = ""
    extra: dict[str, Any] = _extra()


@dataclass(frozen=True)
class IntervalItem(Record):
    item: str = ""
    name: str = ""
    p95: float | None = None
    median: float | None = None
    low: float | None = None
    high: float | None = None
    min: float | None = None
    max: float | None = None
    chosen: int | None = None
    of: int | None = None
    extra: dict[str, Any] = _extra()


@dataclass(frozen=True)
class Band(Record):
    """A cost's 95% figure with its median, interval and range."""

    p95: float | None = None
    median: float | None = None
    low: float | None = None
    high: float | None = None
    min: float | None = optional()
    max: float | None = optional()
    extra: dict[str, Any] = _extra()


@dataclass(frozen=True)
class SizingInterval(Record):
    """The sizing repeated over resampled costs and seeds (``simulator.uncertainty.SizingInterval``)."""

    replications: int = 0
    planned: int | None = None
    failed: tuple[Any, ...] = ()
    window_s: float = 0.0
    items: tuple[IntervalItem, ...] = ()
    cost_usd: Band | None = None
    extra: dict[str, Any] = _extra()


@dataclass(frozen=True)
class Alternative(Record):
    """The cheapest CPU-only or GPU hardware (``simulator.alternatives``); ``why`` when none meets the SLOs."""

    kind: str = ""
    cost_usd: float | None = optional()
    cost_per_camera_usd: float | None = optional()
    hardware: str | None = optional()
    why: str | None = optional()
    extra: dict[str, Any] = _extra()


@dataclass(frozen=True)
class SensitivityBar(Record):
    key: str = ""
    label: str = ""
    source: str = ""
    low_cost: float | None = None
    high_cost: float | None = None
    why: str = ""
    extra: dict[str, Any] = _extra()


@dataclass(frozen=True)
class Sensitivity(Record):
    """The total cost with each assumption off by ``swing`` either way (``simulator.tornado``)."""

    swing: float = 0.0
    window_s: float | None = None
    base_cost: float | None = None
    bars: tuple[SensitivityBar, ...] = ()
    extra: dict[str, Any] = _extra()


@dataclass(frozen=True)
class Sizing(Record):
    """The Semarang target sized with the run's calibration, as the city-scale step stores it."""

    target: str | None = None
    summary: str = ""
    cost_usd: float | None = None
    cost_text: str = ""
    peak_utilisation: float | None = None
    headroom: float | None = None
    binding: str | None = None
    storage_tb: float | None = None
    ingest_gbps: float | None = None
    egress_gbps: float | None = None
    hardware: dict[str, Any] | None = None
    bom: tuple[BomRow, ...] = ()
    tiers: tuple[Keyed, ...] = ()
    source: str | None = None
    interval: SizingInterval | None = None
    alternatives: tuple[Alternative, ...] = ()
    sensitivity: Sensitivity | None = None
    skipped: dict[str, str] = optional(None)
    extra: dict[str, Any] = _extra()


@dataclass(frozen=True)
class Curve(Record):
    """A simulated city-scale curve with its 95% band; older results carry English labels, no ``key``."""

    key: str | None = optional()
    axis: str | None = optional()
    label: str = ""
    x_label: str = ""
    y_label: str = ""
    x: tuple[float, ...] = ()
    mean: tuple[float, ...] = ()
    low: tuple[float, ...] = ()
    high: tuple[float, ...] = ()
    limit: float | None = None
    extra: dict[str, Any] = _extra()


@dataclass(frozen=True)
class Break(Record):
    """The first multiple of the target at which most seeds break an SLO; ``breaches`` None in results
    written before breaches were kept as data (``violations`` then holds the English lines)."""

    factor: float = 0.0
    violations: tuple[str, ...] = ()
    breaches: tuple[Keyed, ...] | None = optional()
    extra: dict[str, Any] = _extra()


@dataclass(frozen=True)
class Limit(Record):
    """How far past the target the sized hardware holds on one axis."""

    axis: str | None = None
    holds: float | None = None
    breaks: Break | None = None
    largest: float | None = None
    extra: dict[str, Any] = _extra()


@dataclass(frozen=True)
class Simulation(Record):
    """The city-scale step's output (``benchmarks.runner.citysim.city_scale``): sizing and curves, each
    with why it is missing."""

    calibration: str | None = optional()
    target_scenario: str | None = optional()
    sizing: Sizing | None = optional()
    sizing_why: str | None = optional()
    curves: tuple[Curve, ...] = optional(())
    curves_seeds: int | None = optional()
    limits: tuple[Limit, ...] = optional(())
    curves_why: str | None = optional()
    wall_s: float | None = optional()
    extra: dict[str, Any] = _extra()


# --- the whole run ----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ScenarioRef(Record):
    name: str | None = None
    path: str | None = optional()
    config: dict[str, Any] = optional(None)
    extra: dict[str, Any] = _extra()

    def external_stack(self) -> tuple[str, str] | None:
        """(name, process type: owned or observed) when the scenario's stack is an external system."""
        stack = (self.config or {}).get("stack") or {}
        if stack.get("type") != "external":
            return None
        return stack.get("name", "?"), (stack.get("process") or {}).get("type", "owned")


@dataclass(frozen=True)
class MachineInfo(Record):
    """The machine the run measured on (``common.resultmeta.machine_info``; the rest kept in ``extra``)."""

    cpu_model: str | None = optional()
    cpu_count_logical: int | None = optional()
    memory_bytes: int | None = optional()
    extra: dict[str, Any] = _extra()


@dataclass(frozen=True)
class CommitInfo(Record):
    id: str | None = None
    dirty: bool = False
    branch: str | None = optional()
    time: str | None = optional()
    extra: dict[str, Any] = _extra()


@dataclass(frozen=True)
class RunSettings(Record):
    """How the run stepped the load (``benchmarks.runconfig.RunConfig``, as dumped)."""

    trials: int | None = None
    step_duration_s: float | None = None
    warmup_s: float | None = None
    fail_fraction: float | None = None
    refine_to: float | None = optional()
    extra: dict[str, Any] = _extra()


@dataclass(frozen=True)
class RunRecord(Record):
    """A whole ``results.json`` at the current schema version (``benchmarks.results.load``). ``dir`` is
    where it was read from (not written back)."""

    kind: str = "tilikbench.run"
    schema_version: int = 0
    datetime: str | None = optional()
    machine_info: MachineInfo = field(default_factory=MachineInfo)
    commit_info: CommitInfo = field(default_factory=CommitInfo)
    run_id: str | None = None
    scenario: ScenarioRef = field(default_factory=ScenarioRef)
    complete: bool = False
    stop_reason: str | None = None
    wired: dict[str, Wiring] = field(default_factory=dict)
    wired_why: dict[str, str] = field(default_factory=dict)
    steps: tuple[Step, ...] = ()
    knee: Knee | None = None
    model_check: ModelCheck | None = None
    notes: tuple[str, ...] = ()
    slos: dict[str, float] = optional(None)
    run: RunSettings | None = optional()
    axis: str | None = optional()
    planned_steps: tuple[PlannedStep, ...] = optional(None)
    hardware_budget: dict[str, Any] | None = optional()
    hosts: tuple[dict[str, Any], ...] | None = optional()
    measured_costs: Calibration | None = optional()
    simulation: Simulation | None = optional()
    out_of_sample: OutOfSample | None = optional()
    dir: str | None = optional()
    extra: dict[str, Any] = _extra()

    @classmethod
    def from_dict(cls, data: Any) -> RunRecord:
        if isinstance(data, RunRecord):
            return data
        rest = dict(data or {})
        where = rest.pop("_dir", None)
        rec = super().from_dict(rest)
        return dataclasses.replace(rec, dir=where) if where is not None else rec

    def to_dict(self) -> dict[str, Any]:
        out = super().to_dict()
        out.pop("dir", None)
        return out

    @property
    def judged(self) -> tuple[Step, ...]:
        """The steps with a verdict (every complete trial judged)."""
        return tuple(s for s in self.steps if s.verdict.ok is not None)

    def step(self, index: int) -> Step | None:
        return next((s for s in self.steps if s.index == index), None)
