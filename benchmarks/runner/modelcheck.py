"""Model check: calibrate the simulator from the run, predict the run's own knee, compare.

Calibration (``run_costs``, stored as the run's ``measured_costs``): the stack's CPU per decoded and per
analysed frame fitted over the run's trials (``simulator.runcal``: measured CPU and frame rates only,
never the SLO verdicts), and the cores the stack had at each step (machine cores minus the measured CPU
of the fleet, portal and load generator).

Prediction (``model_check``): every planned step as the run stepped it (cameras, sampling fps and viewers
together) is simulated on this machine (a catalogue server with the machine's cores, each giving the
stack its measured share) with the run's calibration; the run's SLOs are checked on the model's outputs
(analysed share / fps: the sampling rule on the frames the cameras delivered before the knee, less the
model's drops; lag p95: frame-to-event p95; viewer p95: API p95). The first failing step is the
predicted knee. Stored as ``model_check`` with the relative error, the binding SLO on both sides and
whether it is within the 15% target. When the simulator cannot answer, the record says why.
"""
from __future__ import annotations

import logging
import os
import statistics
from typing import Any

from analytics.config import StackConfig
from benchmarks.records import CheckStatus
from benchmarks.runner.fleet_component import fleet_for
from common.vocabulary import ANALYTICS_STATIONS, Backend, Slo

log = logging.getLogger(__name__)

TARGET = 0.15


def run_as_scenario(results: dict[str, Any], scenario, step: dict[str, Any]):
    """The scenario the simulator sees: the run's fleet at ``step``'s load on this machine."""
    from simulator.config import SimScenario, SimSLOs, SimulationConfig
    from simulator.hardware import local_spec
    load = step["load"]
    cams = fleet_for(scenario.cameras, int(load["cameras"]), free_ports=False)
    base = scenario.simulation.model_dump() if scenario.simulation is not None else {}
    base.update({
        "analytic_fps": {c.name: float(load["sampling_fps"]) for c in cams.classes},
        "hardware": local_spec().model_dump(),
        "viewers": {**base.get("viewers", {}), "peak_concurrent": int(load.get("viewers", 0)),
                    "hourly_share": [1.0] * 24},
        "spikes": [],
        "availability_by_hour": None,
        "hour": 12,
        "slos": SimSLOs.model_validate(base.get("slos", {})).with_run_slos(
            results.get("slos", {}), float(load["sampling_fps"])).model_dump(),
        "duration_s": min(float(base.get("duration_s", 600.0)), 600.0),
    })
    if isinstance(scenario.stack, StackConfig):          # an external system runs the simulator's default
        det = scenario.stack.detector
        base["detector"] = {**base.get("detector", {}), "input_size": det.imgsz, "max_batch": det.batch,
                            "backend": Backend.parse(det.type)}
    return SimScenario.of(scenario.model_copy(update={"cameras": cams,
                                                      "simulation": SimulationConfig.model_validate(base)}))


def _machine_cores(results: dict[str, Any]) -> int:
    mi = results.get("machine_info") or {}
    return int(mi.get("cpu_count_logical") or os.cpu_count() or 1)


def _detector_key(scenario) -> dict[str, Any]:
    from simulator.config import DetectorSettings
    det = DetectorSettings()
    key = {"backend": det.backend, "model": det.model, "input_size": det.input_size}
    if isinstance(scenario.stack, StackConfig):
        d = scenario.stack.detector
        key.update(backend=Backend.parse(d.type), input_size=int(d.imgsz))
    return key


def _workload(results: dict[str, Any], scenario, load: dict[str, Any]):
    from simulator.model import split_scenario
    from simulator.workload import build_workload
    sc = run_as_scenario(results, scenario, {"load": load})
    cams, cfg, _ = split_scenario(sc)
    return sc, build_workload(cams, cfg)


def run_costs(results: dict[str, Any], scenario) -> dict[str, Any] | None:
    """The run's ``measured_costs`` (see ``simulator.runcal``), or None when the run has no steps."""
    from simulator.calibration import load_calibration
    from simulator.runcal import merge_costs, run_costs as fit
    steps = results.get("steps") or []
    if not steps:
        return None
    ref = load_calibration()
    peak = max((s["load"] for s in steps), key=lambda ld: ld["cameras"])
    _, w = _workload(results, scenario, peak)
    rate = sum(c.online * c.fps for c in w.classes if c.sample_every)
    mix = (sum(c.online * c.fps * ref.decode(c.codec, c.width, c.height) for c in w.classes if c.sample_every)
           / rate) if rate else ref.decode("h264", 1280, 720)
    costs = fit(results, machine_cores=_machine_cores(results), ref_decode_ms_mix=mix,
                ref_decode_rows=[r.model_dump() for r in ref.decode_ms], detector_key=_detector_key(scenario),
                ref_detector_rows=[r.model_dump() for r in ref.detector_ms], seed=int(scenario.seed))
    return merge_costs(costs, portal_run_costs(results, ref, seed=int(scenario.seed)))


def portal_run_costs(results: dict[str, Any], ref, seed: int = 0) -> dict[str, Any]:
    """The portal's measured CPU per request as calibration (``simulator.runcal.portal_costs``), against the
    reference's endpoint costs and the catalogue's assumed HTTP overhead."""
    from simulator.hardware import load_catalogue
    from simulator.runcal import portal_costs
    return portal_costs(results, ref_portal_ms={r.endpoint: r.ms_per_request for r in ref.portal_ms},
                        http_overhead_ms=load_catalogue().portal_http_overhead_ms, seed=seed)


def local_hardware(stack_cores: float, workers: int, decode_cores_needed: float):
    """This machine as the stack had it (``stack_cores`` cores, ``workers`` detector workers sharing them with
    decoding): ``simulator.hardware.cpu_budget_set``, the one conversion of a CPU budget to a hardware set."""
    from simulator.hardware import cpu_budget_set
    return cpu_budget_set(stack_cores, workers, decode_cores_needed)


def delivery_ratio(results: dict[str, Any], scenario) -> tuple[float, str]:
    """Frames the cameras delivered / their nominal fps, median over the trials of the steps BEFORE the
    first failing one (the failing step's own figures are not used)."""
    knee = results.get("knee")
    last = knee["step"] if knee else len(results.get("steps", []))
    ratios = []
    for step in results.get("steps", [])[:last]:
        _, w = _workload(results, scenario, step["load"])
        nominal = sum(c.online * c.fps for c in w.classes)
        for t in step.get("trials", []):
            d = t.get("metrics", {}).get("decoded_fps_total")
            if not t.get("partial") and isinstance(d, (int, float)) and nominal > 0 and d > 0:
                ratios.append(min(d / nominal, 1.0))
    if not ratios:
        return 1.0, "nominal camera fps (no decoded frame rates measured before the knee)"
    return statistics.median(ratios), f"median of {len(ratios)} trials before the knee"


def predicted_slos(results: dict[str, Any], r, w, sampling_fps: float, delivery: float) -> dict[str, dict]:
    """The run's SLOs checked on the model's outputs: {slo: {value, limit, ok}}."""
    slos = results.get("slos", {})
    analysed = [c for c in w.classes if c.sample_every and c.online]
    keep = 1.0 - r.drops["frames"]
    fps_min = min((c.fps * delivery / c.sample_every * keep for c in analysed), default=0.0)
    values = {Slo.MIN_ANALYSED_FPS: fps_min,
              Slo.MIN_ANALYSED_SHARE: fps_min / sampling_fps if sampling_fps else 0.0,
              Slo.ANALYTICS_LAG_P95_S: r.latency["frame_to_event"]["p95"],
              Slo.VIEWER_P95_MS: r.latency["api"]["p95"] * 1000.0}
    out = {}
    for name, limit in slos.items():
        if name in values:
            v = values[name]
            floor = Slo.parse(name).is_floor
            ok = v >= limit if floor else v <= limit
            sev = (limit / v if v > 0 else float("inf")) if floor else v / limit
            out[name] = {"value": round(v, 4), "limit": limit, "ok": ok, "severity": round(sev, 3)}
    # A station past saturation drops (u - 1) / u of its work at steady state; the analysed-share floor
    # tolerates a loss of 1 - share, so the analytics stations fail only past 1 / share (portal ones at 1).
    share = slos.get(Slo.MIN_ANALYSED_SHARE)
    if Slo.MIN_ANALYSED_FPS in slos and sampling_fps:
        share = min(share or 1.0, slos[Slo.MIN_ANALYSED_FPS] / sampling_fps)
    tolerated = {k: (1.0 / share if share and k in ANALYTICS_STATIONS else 1.0) for k in r.resources}
    over = [k for k, res in r.resources.items() if res.utilisation >= tolerated[k]]
    if over:
        limit = max(tolerated[k] for k in over)
        out[Slo.OVERLOAD.value] = {
            "value": ", ".join(over), "limit": f"utilisation < {limit:.3g}", "ok": False,
            "severity": round(max(r.resources[k].utilisation / tolerated[k] for k in over), 3)}
    return out


def load_points(results: dict[str, Any]) -> list[dict[str, Any]]:
    """Every load the run planned or measured (refinement steps included), once each, along the axis."""
    axis = results.get("axis", "cameras")
    seen: dict[tuple, dict[str, Any]] = {}
    for step in [*(results.get("planned_steps") or []), *results.get("steps", [])]:
        seen.setdefault(tuple(sorted(step["load"].items())), step["load"])
    return sorted(seen.values(), key=lambda ld: ld[axis])


def model_check(results: dict[str, Any], scenario) -> dict[str, Any]:
    knee = results.get("knee")
    axis = results.get("axis", "cameras")
    measured = knee["value"] if knee else None
    out: dict[str, Any] = {"axis": axis, "measured_knee": measured, "predicted_knee": None,
                           "measured_binding_slo": knee.get("binding_slo") if knee else None,
                           "predicted_binding_slo": None, "rel_error": None, "within_target": None,
                           "target": TARGET}
    try:
        import numpy as np

        from simulator.calibration import calibration_from_results, load_calibration
        from simulator.model import simulate
        from simulator.runcal import cores_at
    except ImportError as e:
        out["status"], out["status_detail"] = CheckStatus.NOT_AVAILABLE, f"the simulator is missing ({e.name or e})"
        return out
    try:
        costs = results.get("measured_costs") if isinstance(results.get("measured_costs"), dict) else None
        if costs and (costs.get("decode_ms") or costs.get("detector_ms") or costs.get("portal_ms")):
            cal = calibration_from_results(results)
        else:
            cal = load_calibration()
            cal.provenance = {k: f"reference calibration (the run measured no costs): {v}"
                              for k, v in cal.provenance.items()}
        cores = int((costs or {}).get("machine_cores") or _machine_cores(results))   # an external host's own
        table = (costs or {}).get("stack_cores") or []
        delivery, delivery_how = delivery_ratio(results, scenario)
        stack_workers = int(scenario.stack.workers or cores) if scenario.stack is not None else 1
        predicted_steps = []
        for load in load_points(results):
            sc, w = _workload(results, scenario, load)
            avail, how = cores_at(table, float(load[axis]), cores)
            workers = max(1, min(stack_workers, cores))
            decode = sum(c.online * c.fps * delivery * cal.decode(c.codec, c.width, c.height)
                         for c in w.classes if c.sample_every) / 1000.0
            hw = local_hardware(avail, workers, decode)
            r = simulate(sc, cal, hw, rng=np.random.default_rng(int(scenario.seed)))
            checks = predicted_slos(results, r, w, float(load["sampling_fps"]), delivery)
            failed = {k: v for k, v in checks.items() if v["ok"] is False}
            binding = max(failed, key=lambda k: failed[k]["severity"]) if failed else None
            det_cores = hw.detector_workers
            predicted_steps.append({"load": load, "stack_cores": round(avail, 3), "stack_cores_source": how,
                                    "decode_cores": round(decode, 3), "detector_workers": workers,
                                    "utilisation": {k: round(float(v.utilisation), 3)
                                                    for k, v in r.resources.items() if k in ("decode_cpu", "detector")},
                                    "slo": checks, "ok": not failed, "binding_slo": binding})
            if failed and out["predicted_knee"] is None:
                out["predicted_knee"] = load[axis]
                out["predicted_binding_slo"] = binding
            if out["predicted_knee"] is not None and (measured is None or load[axis] >= measured):
                break
    except Exception as e:                      # the check must never lose a run's results
        log.exception("model check failed")
        out["status"], out["status_detail"] = CheckStatus.FAILED, f"{type(e).__name__}: {e}"
        return out
    pred = out["predicted_knee"]
    fit = (costs or {}).get("fit", {})
    out.update({"calibration": cal.label, "calibration_provenance": dict(cal.provenance),
                "calibration_method": fit.get("method", "reference"), "status": CheckStatus.DONE,
                "status_detail": "predicted and measured knees compared",
                "delivered_fps_ratio": round(delivery, 4), "delivered_fps_source": delivery_how,
                "predicted_steps": predicted_steps,
                "simulated_as": f"this machine ({cores} cores, the stack's share measured per step), "
                                f"{det_cores} detector worker(s) sharing it with decode; the run's SLOs "
                                "checked on the model's outputs"})
    out["at_measured_knee"] = at_measured_knee(results, predicted_steps)
    if measured is not None and pred is not None:
        out["rel_error"] = abs(pred - measured) / measured
        out["within_target"] = out["rel_error"] <= TARGET
    elif measured is None and pred is None:
        out["status_detail"] = "neither the run nor the simulator found a knee within the planned steps"
        out["within_target"] = True
    else:
        out["status_detail"] = ("the simulator predicts a knee the run did not reach" if measured is None
                                else "the simulator predicts no knee within the planned steps")
        out["within_target"] = False
    out["summary"] = summary(out)
    return out


def at_measured_knee(results: dict[str, Any], predicted_steps: list[dict]) -> dict[str, Any] | None:
    """Each SLO at the measured knee step: the model's value against the measured median."""
    knee = results.get("knee")
    if not knee:
        return None
    pred = next((p for p in predicted_steps if p["load"] == knee["load"]), None)
    step = next((s for s in results.get("steps", []) if s["index"] == knee["step"]), None)
    if pred is None or step is None:
        return None
    out = {}
    for name, c in pred["slo"].items():
        vals = [t["slo"][name]["value"] for t in step.get("trials", [])
                if isinstance(t.get("slo", {}).get(name, {}).get("value"), (int, float))]
        if vals:
            m = statistics.median(vals)
            out[name] = {"predicted": c["value"], "measured": round(m, 4), "limit": c["limit"],
                         "rel_error": round(abs(c["value"] - m) / abs(m), 4) if m else None}
    return out


def summary(mc: dict[str, Any]) -> str:
    p, m = mc.get("predicted_knee"), mc.get("measured_knee")
    head = (f"predicted knee {mc['axis']}={p:g} ({mc.get('predicted_binding_slo')}) vs measured "
            f"{m:g} ({mc.get('measured_binding_slo')})" if p is not None and m is not None
            else f"{mc.get('status', '')}: {mc.get('status_detail', '')}")
    if mc.get("rel_error") is not None:
        head += f", error {mc['rel_error']:.1%} ({'within' if mc['within_target'] else 'outside'} the " \
                f"{mc['target']:.0%} target)"
    return f"{head}; calibration: {mc.get('calibration_method', 'reference')}"
