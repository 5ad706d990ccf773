"""The step driver: start the parts, step the load, measure every trial, stop at the knee.

Results are rewritten (atomically) after every trial with ``complete: false``; a stop request (Ctrl-C)
ends the current trial early, stops every part by PID and keeps what was measured. A trial cut short
is kept but marked ``partial`` and does not count towards a step's verdict.
"""
from __future__ import annotations

import dataclasses
import datetime as _dt
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchmarks.deploy.manifest import FleetManifest
from benchmarks.results import new_results, write_results
from benchmarks.runconfig import HardwareBudget, RunConfig, StepLoad
from benchmarks.runner.components import Component
from benchmarks.runner.context import RunContext
from benchmarks.runner.knee import check_slos, measured_knee, refined_knee, step_verdict
from benchmarks.runner.procstats import ProcStats
from benchmarks.records import Calibration, Knee, ModelCheck, Simulation, Step, Trial, Verdict, Wiring
from benchmarks.runner.wiring import build_components
from common.cpubudget import CpuBudget
from common.errors import InputError

log = logging.getLogger(__name__)

RESERVED_WEIGHT = 10_000     # cgroup v2 scale (100: a default group; 10,000 the most): a reserved budget

SHOWN = ("analysed_fps_min", "analysed_share_min", "analytics_lag_p95_s", "viewer_p95_ms", "viewer_ttff_p95_ms",
         "cold_start_share", "portal_error_rate", "stream_loss", "cpu_pct.total")


@dataclass
class RunOptions:
    out: Path = Path("results")
    max_steps: int | None = None
    trials: int | None = None
    step_duration_s: float | None = None
    warmup_s: float | None = None
    free_ports: bool = False
    cache_dir: Path = Path("cache")
    run_id: str | None = None
    model_check: bool = True
    city_scale: bool = True
    city_budget_s: float = 240.0
    budget: HardwareBudget | None = None      # run the stack inside this CPU budget
    overrides: dict[str, Any] = field(default_factory=dict)
    remote: FleetManifest | None = None     # cameras and load workers already running elsewhere
    i_own_target: bool = False   # non-loopback targets (an external system, a remote load target) are ours


def checked_run_config(scenario, path: str, options: RunOptions) -> tuple[RunConfig, dict[str, float]]:
    """The run config with command-line overrides applied, and the declared SLOs; clear errors if none."""
    slos = scenario.slos.declared() if scenario.slos is not None else {}
    if not slos:
        raise InputError("the scenario declares no SLOs, so a run has no knee to find; add a `slos:` "
                         "section (e.g. min_analysed_fps, stream_loss, viewer_p95_ms)", where=f"{path}: slos")
    if scenario.run is None:
        raise InputError("the scenario has no `run:` section saying how to step the load "
                         "(cameras, sampling_fps, viewers per step)", where=f"{path}: run")
    upd: dict[str, Any] = {}
    if options.trials is not None:
        upd["trials"] = options.trials
    if options.max_steps is not None:
        upd["max_steps"] = options.max_steps
    if options.step_duration_s is not None:
        upd["step_duration_s"] = options.step_duration_s
    if options.warmup_s is not None:
        upd["warmup_s"] = options.warmup_s
    run = RunConfig.model_validate({**scenario.run.model_dump(), **upd})
    available = len(scenario.cameras.camera_ids())
    peak = max(run.cameras[: run.n_steps])
    if peak > available:
        raise InputError(f"a step asks for {peak} cameras online but the scenario's cameras section "
                         f"declares {available}", where=f"{path}: run.cameras")
    return run, slos


def _peak(steps: list[StepLoad]) -> StepLoad:
    return StepLoad(-1, max(s.cameras for s in steps), max(s.sampling_fps for s in steps),
                    max(s.viewers for s in steps))


def _fmt(metrics: dict[str, Any]) -> str:
    parts = []
    for k in SHOWN:
        v = metrics.get(k)
        if isinstance(v, (int, float)):
            parts.append(f"{k}={v:.3g}")
    return " ".join(parts)


class ScenarioRun:
    def __init__(self, scenario, scenario_path: str, options: RunOptions, ctx: RunContext | None = None,
                 components: list[Component] | None = None) -> None:
        self.scenario = scenario
        self.path = scenario_path
        self.options = options
        self.run, self.slos = checked_run_config(scenario, scenario_path, options)
        run_id = options.run_id or (f"{scenario.name}-"
                                    f"{_dt.datetime.now(_dt.UTC).strftime('%Y%m%dT%H%M%SZ')}")
        self.run_dir = Path(options.out) / run_id
        self.ctx = ctx or RunContext(run_dir=self.run_dir, seed=scenario.seed)
        self.ctx.run_dir = self.run_dir
        self.data = new_results(run_id, scenario.model_dump(mode="json"), scenario_path)
        self.data["slos"] = self.slos
        self.data["run"] = self.run.model_dump()
        self.data["axis"] = self.run.stepped_axis()
        self.data["planned_steps"] = [{"index": s.index, "load": s.as_dict()} for s in self.run.steps()]
        if components is None:
            components, wired, whys = build_components(scenario, options)
        else:
            wired, whys = {c.name: Wiring.WIRED for c in components}, {}
        self.components = components
        self.data["wired"] = {k: str(v) for k, v in wired.items()}
        self.data["wired_why"] = whys

    def _save(self) -> None:
        write_results(self.run_dir, self.data)

    def _pids(self) -> dict[str, list[int]]:
        return {c.name: c.pids() for c in self.components if c.started and c.measured_by_pid()}

    def execute(self) -> dict[str, Any]:
        """Run every step (inside the CPU budget when the options name one) and return the results."""
        spec = self.options.budget
        if spec is None:
            return self._execute()
        with CpuBudget(spec.cpus, weight=RESERVED_WEIGHT if spec.reserve else None) as budget:
            self.ctx.budget = budget
            self.data["hardware_budget"] = {**budget.describe(), "portal": spec.portal, "reserve": spec.reserve}
            try:
                return self._execute()
            finally:
                self.data["hardware_budget"]["throttling"] = budget.throttling()
                self.ctx.budget = None
                self._save()

    def _execute(self) -> dict[str, Any]:
        ctx, run = self.ctx, self.run
        steps = run.steps()
        self.run_dir.mkdir(parents=True, exist_ok=True)
        self._save()
        ctx.progress(f"run {self.data['run_id']}: {len(steps)} step(s) x {run.trials} trial(s) of "
                     f"{run.step_duration_s:g} s; parts: "
                     + ", ".join(f"{k} ({self.data['wired_why'].get(k, v)})"
                                 for k, v in self.data["wired"].items()))
        stop_reason = "completed: every step passed"
        try:
            for c in self.components:
                if ctx.stop.is_set():
                    break
                ctx.progress(f"starting {c.name} ...")
                c.start(ctx, _peak(steps))
            for step in steps:
                if ctx.stop.is_set():
                    break
                record = self._run_step(step)
                if record["verdict"]["ok"] is False:
                    self.data["knee"] = measured_knee(self.data["steps"], self.data["axis"])
                    self._refine(steps, step)
                    k = self.data["knee"]
                    stop_reason = f"knee: {k['binding_slo']} failed at {k['axis']}={k['value']:g}"
                    ctx.progress(f"KNEE at step {step.index + 1}: {self.data['axis']}={k['value']:g}, "
                                 f"binding SLO {k['binding_slo']} (failed in {k['fail_share']:.0%} of trials)")
                    break
            else:
                if len(steps) < max(len(getattr(run, a)) for a in ("cameras", "sampling_fps", "viewers")):
                    stop_reason = f"max_steps ({len(steps)}) reached without a knee"
            if ctx.stop.is_set():
                stop_reason = "interrupted: stopped on request; the results hold what was measured"
        finally:
            for c in reversed(self.components):
                try:
                    c.stop()
                except Exception:      # stopping the others matters more than this error
                    log.exception("stopping %s failed", c.name)
            interrupted = ctx.stop.is_set()
            costs: dict[str, Any] = {}
            for c in self.components:
                costs.update(c.measured_costs())
            try:                         # the stack's CPU costs fitted over the trials (simulator.runcal)
                from benchmarks.runner.modelcheck import run_costs
                fitted = run_costs(self.data, self.scenario) or {}
            except Exception:            # a calibration problem must not lose the run's results
                log.exception("fitting the run's costs failed")
                fitted = {}
            costs = {**fitted, **costs}
            hosts = [h for c in self.components for h in c.hosts()]
            if hosts:                    # parts on other hosts: their per-host figures are in the trials
                self.data["hosts"] = hosts
            if costs:
                self.data["measured_costs"] = Calibration.from_dict({**costs, "schema_version": 1}).to_dict()
            self.data["stop_reason"] = stop_reason if not interrupted else \
                "interrupted: stopped on request; the results hold what was measured"
            self._save()
        if self.options.model_check and self.data["steps"]:
            from benchmarks.runner.modelcheck import model_check
            check = model_check(self.data, self.scenario)
            from benchmarks.runner.site_health import uplink_model_check
            try:                         # NVR sites: the uplink model against the shaped links
                uplinks = uplink_model_check(self.data)
            except Exception:            # the check must never lose a run's results
                log.exception("the site uplink model check failed")
                uplinks = None
            if uplinks is not None and isinstance(check, dict):
                check["site_uplinks"] = uplinks
            self.data["model_check"] = ModelCheck.from_dict(check).to_dict()
            self._save()
        if self.options.city_scale and self.data["steps"] and not interrupted:
            from benchmarks.runner.citysim import city_scale
            self.ctx.progress("simulating the Semarang target at city scale (sizing and curves) ...")
            sim = city_scale(self.data, self.run_dir, self.options.city_budget_s)
            self.data["simulation"] = Simulation.from_dict(sim).to_dict()
        self.data["complete"] = not interrupted
        self._save()
        return self.data

    def _refine(self, steps: list[StepLoad], failing: StepLoad) -> None:
        """Step between the last passing and the first failing load until they lie within ``refine_to``
        of the failing value on the stepped axis (or no whole value lies between); the knee is then the
        lowest failing load. The knee record says how it was resolved, and whether it is at the last
        planned step (nothing measured beyond it) or the first (no passing step below it)."""
        run, axis, ctx = self.run, self.data["axis"], self.ctx
        knee = self.data["knee"]
        knee["at_last_step"] = failing.index == len(steps) - 1
        knee["at_first_step"] = failing.index == 0
        if failing.index == 0:
            return
        low, high = steps[failing.index - 1], failing
        index = len(steps)
        while run.refine_to is not None and not ctx.stop.is_set():
            lo_v, hi_v = low.as_dict()[axis], high.as_dict()[axis]
            if (hi_v - lo_v) / hi_v <= run.refine_to:
                break
            mid = run.between(low, high, index)
            if mid.as_dict()[axis] in (lo_v, hi_v):
                break                              # no whole value lies between
            index += 1
            ctx.progress(f"refining the knee between {axis}={lo_v:g} and {hi_v:g}")
            record = self._run_step(mid)
            record["refinement"] = True
            if record["verdict"]["ok"] is False:
                high = mid
            elif record["verdict"]["ok"] is True:
                low = mid
            else:
                break                              # cut short: keep what is resolved
        rec = Knee.from_dict(refined_knee(self.data["steps"], axis, low.as_dict()[axis], high.index))
        self.data["knee"] = dataclasses.replace(rec, at_last_step=rec.value == steps[-1].as_dict()[axis],
                                                at_first_step=False).to_dict()

    def _run_step(self, step: StepLoad) -> dict[str, Any]:
        ctx, run = self.ctx, self.run
        n = run.n_steps
        for c in self.components:
            c.apply(step, ctx)
        record = Step(index=step.index, load=step.as_dict()).to_dict()
        self.data["steps"].append(record)
        ctx.progress(f"step {step.index + 1}/{n}: cameras={step.cameras} sampling_fps={step.sampling_fps:g} "
                     f"viewers={step.viewers} (warm-up {run.warmup_s:g} s)")
        ctx.sleep(run.warmup_s)
        stats = ProcStats(ctx.clock)
        for c in self.components:
            c.set_trial_duration(run.step_duration_s)
        for t in range(run.trials):
            if ctx.stop.is_set():
                break
            stats.begin(self._pids())
            for c in self.components:
                c.begin_trial(ctx)
            t0 = ctx.clock()
            full = ctx.sleep(run.step_duration_s)
            duration = ctx.clock() - t0
            metrics: dict[str, Any] = {}
            for c in self.components:
                metrics.update(c.measure(ctx, duration))
            metrics.update(stats.end(self._pids()))
            slo = check_slos(self.slos, metrics)
            record["trials"].append(Trial(trial=t, started_s=round(t0 - ctx.t0, 3), duration_s=round(duration, 3),
                                          partial=not full, metrics=metrics, slo=slo).to_dict())
            failed = [k for k, v in slo.items() if v["ok"] is False]
            ctx.progress(f"  trial {t + 1}/{run.trials}{' (cut short)' if not full else ''}: {_fmt(metrics)} "
                         f"-> {'FAIL ' + ','.join(failed) if failed else 'ok'}")
            self._save()
        counted = [t for t in record["trials"] if not t["partial"]]
        record["verdict"] = step_verdict(counted, run.fail_fraction) if counted else \
            Verdict(ok=None, fail_shares={}, unmeasured=(), trials=0).to_dict()
        record["complete"] = len(counted) == run.trials
        self._save()
        return record
