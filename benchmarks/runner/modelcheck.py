"""Model check: calibrate the simulator from the run, predict the run's own knee, compare.

The simulator is given the run as it happened: the fleet's cameras (all online), this machine
(catalogue entry ``local-2c`` for the ingest and the portal tiers), the step's sampling fps and viewers,
and the run's SLOs translated to the simulator's. It answers at which of the run's steps the SLOs first
break (``simulator.knee.predict_knee``). Stored as ``model_check`` with the relative error and whether it
is within the 15% target. When the simulator cannot answer, the record says why, with no number.
"""
from __future__ import annotations

import logging
from typing import Any

from benchmarks.runner.fleet_component import fleet_for

log = logging.getLogger(__name__)

TARGET = 0.15
AXIS_TO_SIM = {"cameras": "cameras", "sampling_fps": "analytic_fps", "viewers": "viewers"}
BACKENDS = {"ultralytics": "torch", "onnx": "onnxruntime", "openvino": "openvino"}
THIS_MACHINE = {"ingest": {"server": "local-2c"}, "portal": {"server": "local-2c"},
                "nic": "nic-10g", "disk": "hdd-16tb"}


def sim_slos(slos: dict[str, float], sampling_fps: float) -> dict[str, float]:
    """The run's SLOs in the simulator's terms (those it models)."""
    out: dict[str, float] = {}
    if "analytics_lag_p95_s" in slos:
        out["frame_to_event_p95_s"] = slos["analytics_lag_p95_s"]
    if "viewer_p95_ms" in slos:
        out["api_p95_ms"] = slos["viewer_p95_ms"]
    drops = []
    if "min_analysed_fps" in slos:
        drops.append(1.0 - slos["min_analysed_fps"] / sampling_fps)
    if "min_analysed_share" in slos:
        drops.append(1.0 - slos["min_analysed_share"])
    if drops:
        out["max_frame_drop"] = max(0.0, min(1.0, min(drops)))
    return out


def run_as_scenario(results: dict[str, Any], scenario, step: dict[str, Any]):
    """The scenario the simulator sees: the run's fleet at ``step``'s load on this machine."""
    from simulator.config import SimulationConfig
    load = step["load"]
    cams = fleet_for(scenario.cameras, int(load["cameras"]), free_ports=False)
    base = scenario.simulation.model_dump() if scenario.simulation is not None else {}
    base.update({
        "analytic_fps": {c.name: float(load["sampling_fps"]) for c in cams.classes},
        "hardware": THIS_MACHINE,
        "viewers": {**base.get("viewers", {}), "peak_concurrent": int(load.get("viewers", 0)),
                    "hourly_share": [1.0] * 24},
        "spikes": [],
        "availability_by_hour": None,
        "hour": 12,
        "slos": {**base.get("slos", {}), **sim_slos(results.get("slos", {}), float(load["sampling_fps"]))},
        "duration_s": min(float(base.get("duration_s", 600.0)), 600.0),
    })
    if scenario.stack is not None:
        det = scenario.stack.detector
        base["detector"] = {**base.get("detector", {}), "input_size": det.imgsz, "max_batch": det.batch,
                            "backend": BACKENDS.get(det.type, det.type)}
    return scenario.model_copy(update={"cameras": cams, "simulation": SimulationConfig.model_validate(base)})


def model_check(results: dict[str, Any], scenario) -> dict[str, Any]:
    knee = results.get("knee")
    axis = results.get("axis", "cameras")
    measured = knee["value"] if knee else None
    out: dict[str, Any] = {"axis": axis, "measured_knee": measured, "predicted_knee": None,
                           "rel_error": None, "within_target": None, "target": TARGET}
    try:
        from simulator.calibration import calibration_from_results, load_calibration
        from simulator.knee import predict_knee
    except ImportError as e:
        out["status"] = f"not available: the simulator's knee prediction is missing ({e.name or e})"
        return out
    steps = results.get("steps", [])
    try:
        if isinstance(results.get("measured_costs"), dict):
            cal = calibration_from_results(results)
        else:
            cal = load_calibration()
            cal.provenance = {k: f"reference calibration (the run measured no costs): {v}"
                              for k, v in cal.provenance.items()}
        sim_scenario = run_as_scenario(results, scenario, steps[0])
        planned = [float(s["load"][axis]) for s in results.get("planned_steps") or steps]
        pred = predict_knee(cal, AXIS_TO_SIM[axis], planned, scenario=sim_scenario, seed=int(scenario.seed))
    except Exception as e:                      # the check must never lose a run's results
        log.exception("model check failed")
        out["status"] = f"failed: {type(e).__name__}: {e}"
        return out
    out.update({"predicted_knee": pred, "calibration": cal.label,
                "calibration_provenance": dict(cal.provenance), "status": "done",
                "simulated_as": "this machine as catalogue entry local-2c; SLOs " +
                                ", ".join(f"{k}={v:g}" for k, v in sim_scenario.simulation.slos.model_dump().items())})
    if measured is not None and pred is not None:
        out["rel_error"] = abs(pred - measured) / measured
        out["within_target"] = out["rel_error"] <= TARGET
    elif measured is None and pred is None:
        out["status"] = "done: neither the run nor the simulator found a knee within the planned steps"
        out["within_target"] = True
    else:
        out["status"] = ("done: the simulator predicts a knee the run did not reach" if measured is None
                         else "done: the simulator predicts no knee within the planned steps")
        out["within_target"] = False
    return out
