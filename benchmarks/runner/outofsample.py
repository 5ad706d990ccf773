"""Out-of-sample model check: calibrate on one CPU budget's run, predict the knee under every other.

A multi-budget run (``run.hardware``) finds the knee of the same scenario once per CPU budget. For each
ordered pair (calibrating budget A, predicted budget B, A != B):

- the calibration is A's ``measured_costs``: fitted on A's trials strictly below A's knee, outlier trials
  left out (``simulator.runcal``, ``simulator.calspread``); nothing of B's run is used but its load points;
- B's hardware is simulated as a machine of B's size: the stack's cores are ``min(B's cpus, the machine's
  cores less the run's other parts and outside load)``, the latter from A's run (``simulator.runcal.cores_at``),
  with the stack's detector workers sharing them with decoding (``modelcheck.local_hardware``);
- every load B planned or measured (refinement steps included) is simulated in order along the axis and
  the run's SLOs are checked on the model's outputs; the first failing load, refined halfway towards the
  last passing one as the run refines its own (``run.refine_to``), is the predicted knee.

A pairing **counts** only when B's measured knee lies inside the stepped range (neither at the first step
nor at the last planned one, where nothing beyond was measured) and both sides' binding SLOs are of the
same family (``common.vocabulary.slo_family``); otherwise it is **not comparable**, with the reason. A
counting pairing is within target when ``|predicted - measured| / measured <= 15%``.
"""
from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable
from typing import Any

import numpy as np

from benchmarks.records import OutOfSample, Pairing, PairingStatus
from benchmarks.runner.modelcheck import (
    TARGET,
    _machine_cores,
    _workload,
    delivery_ratio,
    load_points,
    local_hardware,
    predicted_slos,
)
from common.vocabulary import slo_family

log = logging.getLogger(__name__)


def _cpus(run: dict[str, Any]) -> float:
    return float((run.get("hardware_budget") or {}).get("cpus") or _machine_cores(run))


def predict_knee(target: dict[str, Any], calibrating: dict[str, Any], scenario, cal,
                 simulate: Callable | None = None) -> tuple[float | None, str | None, list[dict[str, Any]]]:
    """The knee the simulator predicts for ``target``'s budget, calibrated on ``calibrating``'s run."""
    from simulator.model import simulate as simulate_model
    from simulator.runcal import cores_at
    simulate = simulate or simulate_model
    axis = target.get("axis", "cameras")
    cpus = _cpus(target)
    machine = _machine_cores(calibrating)
    table = (calibrating.get("measured_costs") or {}).get("stack_cores") or []
    if (target.get("hardware_budget") or {}).get("reserve"):
        # a reserved budget keeps its cores against work not of this run: only the run's own parts count
        table = [{**r, "cores": r["cores"] + r.get("external_cores", 0.0), "external_cores": 0.0} for r in table]
    delivery, _ = delivery_ratio(calibrating, scenario)
    stack_workers = int(scenario.stack.workers) if scenario.stack is not None else 1
    workers = max(1, min(stack_workers, int(np.ceil(cpus))))
    steps: list[dict[str, Any]] = []

    def probe(load: dict[str, Any]) -> dict[str, Any]:
        sc, w = _workload(target, scenario, load)
        free, _ = cores_at(table, float(load[axis]), machine)
        cores = min(cpus, free)
        decode = sum(c.online * c.fps * delivery * cal.decode(c.codec, c.width, c.height)
                     for c in w.classes if c.sample_every) / 1000.0
        r = simulate(sc, cal, local_hardware(cores, workers, decode), rng=np.random.default_rng(int(scenario.seed)))
        checks = predicted_slos(target, r, w, float(load["sampling_fps"]), delivery)
        failed = {k: v for k, v in checks.items() if v["ok"] is False}
        step = {"load": load, "stack_cores": round(cores, 3), "ok": not failed,
                "binding_slo": max(failed, key=lambda k: failed[k]["severity"]) if failed else None,
                "overloaded": str(checks.get("overload", {}).get("value", ""))}
        steps.append(step)
        return step

    passing = None
    for load in load_points(target):
        step = probe(load)
        if step["ok"]:
            passing = load
            continue
        # resolved like the run's own knee: halfway between the last pass and the failure, to refine_to
        refine_to = (target.get("run") or {}).get("refine_to")
        while (passing is not None and refine_to
               and (step["load"][axis] - passing[axis]) / step["load"][axis] > refine_to):
            mid = midpoint(passing, step["load"])
            if mid[axis] in (passing[axis], step["load"][axis]):
                break
            m = probe(mid)
            if m["ok"]:
                passing = mid
            else:
                step = m
        return float(step["load"][axis]), step["binding_slo"], steps
    return None, None, steps


def midpoint(low: dict[str, Any], high: dict[str, Any]) -> dict[str, Any]:
    """The load halfway between two (whole cameras and viewers), as ``RunConfig.between`` steps the run."""
    from benchmarks.runconfig import RunConfig, StepLoad
    a, b = (StepLoad(0, int(x["cameras"]), float(x["sampling_fps"]), int(x["viewers"])) for x in (low, high))
    return RunConfig.between(a, b, 0).as_dict()


def _not_comparable(calibrating: dict[str, Any], target: dict[str, Any]) -> str | None:
    """Why a pairing cannot count before anything is predicted (None: it can)."""
    fit = (calibrating.get("measured_costs") or {}).get("fit") or {}
    if fit.get("method") in (None, "reference"):
        return (f"the {_cpus(calibrating):g}-core run fitted no costs below its knee "
                f"({fit.get('provenance', 'no trials')})")
    knee = target.get("knee")
    if not knee:
        return f"the {_cpus(target):g}-core run found no knee within its stepped range"
    if knee.get("at_first_step"):
        return f"the {_cpus(target):g}-core run failed at its first step: the knee lies below the stepped range"
    if knee.get("at_last_step"):
        return f"the {_cpus(target):g}-core run's knee is at its last planned step: nothing beyond it was measured"
    return None


def pair(calibrating: dict[str, Any], target: dict[str, Any], scenario, *, cost_scale: float = 1.0,
         simulate: Callable | None = None) -> tuple[Pairing, list[dict[str, Any]]]:
    """One pairing; ``cost_scale`` multiplies the calibration's CPU costs (a deliberately wrong model)."""
    from simulator.calibration import calibration_from_results
    from simulator.uncertainty import scale_costs
    axis = target.get("axis", "cameras")
    knee = target.get("knee") or {}
    measured, m_slo = knee.get("value"), knee.get("binding_slo")
    why = _not_comparable(calibrating, target)
    pred = p_slo = None
    steps: list[dict[str, Any]] = []
    fitted = ((calibrating.get("measured_costs") or {}).get("fit") or {}).get("method") not in (None, "reference")
    if fitted:                       # predicted even when not comparable, to show what the model says
        cal = calibration_from_results(calibrating)
        if cost_scale != 1.0:
            cal = scale_costs(cal, {"decode_ms": cost_scale, "detector_ms": cost_scale},
                              label=f"{cal.label}, CPU costs x{cost_scale:g}")
        pred, p_slo, steps = predict_knee(target, calibrating, scenario, cal, simulate)
    err = within = None
    if why is None:
        overloaded = steps[-1]["overloaded"] if steps and pred is not None else ""
        fam_m, fam_p = slo_family(m_slo), slo_family(p_slo, overloaded)
        if pred is not None and fam_m != fam_p:
            why = f"the binding SLOs differ in family: measured {m_slo} ({fam_m}), predicted {p_slo} ({fam_p})"
        elif pred is None:
            within = False           # counts, and misses: the model sees no knee where the run found one
        else:
            err = abs(pred - measured) / measured
            within = err <= TARGET
    status = PairingStatus.NOT_COMPARABLE if why else PairingStatus.COUNTS
    return Pairing(_cpus(calibrating), _cpus(target), axis, measured, pred, m_slo, p_slo, status,
                   why or ("the model predicts no knee within the stepped range" if pred is None else ""),
                   round(err, 4) if err is not None else None, within), steps


def out_of_sample(runs: list[dict[str, Any]], scenario, *, cost_scale: float = 1.0,
                  simulate: Callable | None = None) -> dict[str, Any]:
    """Every ordered pairing of the runs (one per CPU budget), and how many count and hit the target."""
    pairings, details = [], []
    for a in runs:
        for b in runs:
            if a is b:
                continue
            try:
                p, steps = pair(a, b, scenario, cost_scale=cost_scale, simulate=simulate)
            except Exception as e:          # the check must never lose the runs' results
                log.exception("out-of-sample pairing failed")
                p, steps = Pairing(_cpus(a), _cpus(b), b.get("axis", "cameras"), (b.get("knee") or {}).get("value"),
                                   None, (b.get("knee") or {}).get("binding_slo"), None,
                                   PairingStatus.NOT_COMPARABLE, f"the simulator failed: {type(e).__name__}: {e}",
                                   None, None), []
            pairings.append(p)
            details.append(dataclasses.replace(p, summary=p.describe(TARGET), predicted_steps=tuple(steps)))
    counting = [p for p in pairings if p.counts]
    within = [p for p in counting if p.within_target]
    return OutOfSample(target=TARGET, budgets=tuple(_cpus(r) for r in runs), cost_scale=cost_scale,
                       pairings=tuple(details), pairs=len(pairings), counting=len(counting),
                       within_target=len(within),
                       summary=f"{len(within)} of {len(pairings)} pairings within {TARGET:.0%} with the same "
                               f"binding SLO family ({len(counting)} comparable)").to_dict()
