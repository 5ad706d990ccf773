"""Model check: calibrate the simulator from the run, predict the run's own knee, compare.

Stored in the results as ``model_check``: predicted and measured knee on the stepped axis, the relative
error and whether it is within the 15% target. When the simulator cannot predict (the part is missing,
or the run measured no costs to calibrate from) the record says why, with no number.
"""
from __future__ import annotations

import logging
from typing import Any

log = logging.getLogger(__name__)

TARGET = 0.15


def model_check(results: dict[str, Any], scenario) -> dict[str, Any]:
    knee = results.get("knee")
    measured = knee["value"] if knee else None
    out: dict[str, Any] = {"axis": results.get("axis"), "measured_knee": measured, "predicted_knee": None,
                           "rel_error": None, "within_target": None, "target": TARGET}
    try:
        from simulator.calibration import calibration_from_results
        from simulator.predict import predict_knee   # the simulator's run-knee prediction
    except ImportError as e:
        out["status"] = f"not available: the simulator has no run-knee prediction ({e.name or e})"
        return out
    try:
        cal = calibration_from_results(results)
        pred = predict_knee(results, scenario, cal)
    except Exception as e:                      # the check must not lose a run's results
        log.exception("model check failed")
        out["status"] = f"failed: {e}"
        return out
    out.update({"predicted_knee": pred.get("value"), "predicted_binding": pred.get("binding"),
                "calibration_provenance": cal.provenance, "status": "done"})
    if measured is not None and pred.get("value") is not None:
        out["rel_error"] = abs(pred["value"] - measured) / measured
        out["within_target"] = out["rel_error"] <= TARGET
    elif measured is None:
        out["status"] = "done: no measured knee (every step passed) to compare with"
    return out
