"""City scale after a run: the simulator, calibrated from the run, sizes the Semarang target and draws
its curves with confidence bands; both are stored in the results (``simulation``) for the report.

- Sizing runs ``tilikbench size scenarios/semarang-target.yaml`` with the run's calibration, in a child
  process under a time limit (owned, stopped by PID), and keeps its JSON (BOM, cost, binding resource).
- Curves: the target simulated at a few multiples of its cameras (and of its viewers) on the sized
  hardware, several seeds each; mean and 95% t-interval of frame-to-event p95 and API p95.
Each part records why it is missing when it cannot run; no number is made up.
"""
from __future__ import annotations

import json
import logging
import math
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from common.procs import ProcessSet

log = logging.getLogger(__name__)

TARGET = Path(__file__).resolve().parents[2] / "scenarios" / "semarang-target.yaml"
FACTORS = (0.25, 0.5, 1.0, 1.5)
SEEDS = 3


def write_calibration(results: dict[str, Any], run_dir: Path) -> tuple[Path, str]:
    from simulator.calibration import calibration_from_results, load_calibration
    if isinstance(results.get("measured_costs"), dict):
        cal = calibration_from_results(results)
        how = "calibrated from this run's measured costs (reference for what it did not measure)"
    else:
        cal = load_calibration()
        how = "the reference calibration measured on this kind of machine (the run measured no costs)"
    path = run_dir / "calibration.json"
    tmp = path.with_suffix(".tmp")
    tmp.write_text(cal.model_dump_json(indent=1))
    tmp.replace(path)
    return path, how


def run_sizing(target: Path, calibration: Path, out_dir: Path, timeout_s: float) -> dict[str, Any]:
    out_dir.mkdir(parents=True, exist_ok=True)
    with ProcessSet() as procs:
        p = procs.start("size", [sys.executable, "-m", "benchmarks.cli", "size", str(target),
                                 "--calibration", str(calibration), "--out", str(out_dir)],
                        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            out, err = p.popen.communicate(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            return {"sizing_why": f"the sizing search did not finish within {timeout_s:.0f} s"}
    if p.popen.returncode != 0:
        return {"sizing_why": f"`tilikbench size` failed: {(err or out).strip().splitlines()[-1:]}"}
    files = sorted(out_dir.glob("*-sizing.json"))
    if not files:
        return {"sizing_why": "`tilikbench size` wrote no result"}
    data = json.loads(files[-1].read_text())
    res = data.get("result", {})
    peak = max((r.get("utilisation", 0.0) for r in res.get("resources", {}).values()), default=None)
    cameras = res.get("cameras_online")
    return {"sizing": {
        "target": f"{data.get('scenario')} ({cameras:,} cameras online)" if cameras else data.get("scenario"),
        "summary": "; ".join(f"{b['quantity']:,.0f} x {b['name']} ({b['item']})" for b in data.get("bom", [])),
        "cost_usd": data.get("cost_usd"), "cost_text": f"{data.get('cost_usd', 0):,.0f} USD",
        "peak_utilisation": peak, "headroom": data.get("headroom"), "binding": data.get("binding_resource"),
        "storage_tb": data.get("storage_tb"), "ingest_gbps": data.get("ingest_gbps"),
        "egress_gbps": data.get("egress_gbps"), "hardware": data.get("hardware"),
        "bom": [{"item": f"{b['name']}: {b['item']}", "qty": f"{b['quantity']:,.0f}",
                 "unit": f"{b['unit_price_usd']:,.0f} USD", "total": f"{b['total_usd']:,.0f} USD"}
                for b in data.get("bom", [])],
        "source": str(files[-1])}}


def _band(values: list[float]) -> tuple[float, float, float]:
    from scipy import stats
    m = statistics.fmean(values)
    if len(values) < 2:
        return m, m, m
    half = float(stats.t.ppf(0.975, len(values) - 1)) * statistics.stdev(values) / math.sqrt(len(values))
    return m, m - half, m + half


def city_curves(target: Path, calibration: Path, hardware: dict | None, budget_s: float) -> dict[str, Any]:
    import numpy as np

    from benchmarks.scenario import load_scenario
    from simulator.calibration import load_calibration
    from simulator.model import simulate
    sc = load_scenario(target)
    cal = load_calibration(calibration)
    sim = sc.simulation.model_dump()
    if hardware:
        sim["hardware"] = hardware
    sim["duration_s"] = min(float(sim.get("duration_s", 600.0)), 300.0)
    t_end = time.monotonic() + budget_s
    curves = []
    for axis, label in (("cameras", "cameras online (x target)"), ("viewers", "peak viewers (x target)")):
        xs, lag, api = [], [], []
        for f in FACTORS:
            if time.monotonic() > t_end:
                break
            if axis == "cameras":
                cams = sc.cameras.model_copy(update={"classes": [c.model_copy(update={"count": max(1, round(c.count * f))})
                                                                 for c in sc.cameras.classes]})
                s2 = sc.model_copy(update={"cameras": cams, "simulation": type(sc.simulation).model_validate(sim)})
            else:
                v = {**sim, "viewers": {**sim["viewers"], "peak_concurrent": int(sim["viewers"]["peak_concurrent"] * f)}}
                s2 = sc.model_copy(update={"simulation": type(sc.simulation).model_validate(v)})
            runs = [simulate(s2, cal, rng=np.random.default_rng(1000 + k)) for k in range(SEEDS)]
            xs.append(f)
            lag.append(_band([r.latency["frame_to_event"]["p95"] for r in runs]))
            api.append(_band([r.latency["api"]["p95"] * 1000.0 for r in runs]))
        if len(xs) >= 2:
            slos = sc.simulation.slos
            curves.append({"label": "frame-to-event p95", "x_label": label, "y_label": "s", "x": xs,
                           "mean": [a[0] for a in lag], "low": [a[1] for a in lag], "high": [a[2] for a in lag],
                           "limit": slos.frame_to_event_p95_s})
            curves.append({"label": "portal API p95", "x_label": label, "y_label": "ms", "x": xs,
                           "mean": [a[0] for a in api], "low": [a[1] for a in api], "high": [a[2] for a in api],
                           "limit": slos.api_p95_ms})
    out: dict[str, Any] = {"curves": curves, "curves_seeds": SEEDS}
    if not curves:
        out["curves_why"] = f"the city-scale simulations did not fit the {budget_s:.0f} s budget"
    return out


def city_scale(results: dict[str, Any], run_dir: Path, budget_s: float = 240.0) -> dict[str, Any]:
    """Sizing and curves for the Semarang target, within ``budget_s`` seconds in all."""
    if not TARGET.exists():
        return {"sizing_why": f"no target scenario ({TARGET.name})", "curves_why": f"no target scenario ({TARGET.name})"}
    try:
        cal_path, how = write_calibration(results, run_dir)
    except Exception as e:   # a missing simulator part must not lose the run
        log.exception("calibration for city scale failed")
        return {"sizing_why": f"no calibration: {e}", "curves_why": f"no calibration: {e}"}
    t0 = time.monotonic()
    out: dict[str, Any] = {"calibration": how, "target_scenario": str(TARGET)}
    out.update(run_sizing(TARGET, cal_path, run_dir / "sizing", timeout_s=budget_s * 0.6))
    left = budget_s - (time.monotonic() - t0)
    try:
        hw = (out.get("sizing") or {}).get("hardware")
        out.update(city_curves(TARGET, cal_path, hw, max(left, 0.0)))
    except Exception as e:
        log.exception("city curves failed")
        out["curves_why"] = f"the city-scale simulation failed: {type(e).__name__}: {e}"
    out["wall_s"] = round(time.monotonic() - t0, 1)
    return out
