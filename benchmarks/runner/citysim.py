"""City scale after a run: the simulator, calibrated from the run, sizes the Semarang target and draws
its curves with confidence bands; both are stored in the results (``simulation``) for the report.

- Sizing calls the simulator's sizing (``simulator.sizerun``, what ``tilikbench size`` runs) in-process
  on ``scenarios/semarang-target.yaml`` with the run's calibration, its optional parts bounded by the
  time budget, and keeps its JSON (BOM, cost, binding resource) as a ``benchmarks.records.Sizing``.
- Curves: the target simulated at multiples of its cameras (and of its viewers) up to twice the target,
  on the sized hardware, several seeds each; mean and 95% t-interval of the latencies, the drop shares
  and the busiest resource's utilisation, and the multiple at which an SLO first breaks.
Each part records why it is missing when it cannot run; no number is made up.
"""
from __future__ import annotations

import logging
import math
import statistics
import time
from pathlib import Path
from typing import Any

from benchmarks.records import Alternative, BomRow, Keyed, Sensitivity, Sizing, SizingInterval
from common.errors import TilikError
from common.vocabulary import PORTAL_RESOURCES

log = logging.getLogger(__name__)

TARGET = Path(__file__).resolve().parents[2] / "scenarios" / "semarang-target.yaml"
# Multiples of the target per axis: the sized hardware is meant to hold 1.0x with headroom; the range
# reaches past where an SLO breaks (ingest near 1.5x cameras, the portal tier's egress near 3x viewers).
FACTORS = {"cameras": (0.25, 0.5, 0.75, 1.0, 1.25, 1.5, 2.0), "viewers": (0.5, 1.0, 1.5, 2.0, 3.0, 4.0, 6.0, 8.0)}
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
    """Size ``target`` in-process (``simulator.sizerun``, the code ``tilikbench size`` runs) with the
    sensitivity bars and without the purchase phases. The interval and the sensitivity bars each get at
    most 30% of ``timeout_s``, and no optional part starts past it; what finished is kept and what was
    skipped says so. The sizing JSON is written to ``out_dir`` as the CLI writes it."""
    from benchmarks.scenario import load_scenario
    from common.resultmeta import write_json_atomic
    from simulator.calibration import load_calibration
    from simulator.hardware import load_catalogue
    from simulator.sizerun import SizingOptions, size_scenario
    scenario = load_scenario(target)
    sim = scenario.simulation
    options = SizingOptions(time_limit_s=timeout_s * 0.3, sensitivity=True, phases=False,
                            deadline=time.monotonic() + timeout_s)
    try:
        cat = load_catalogue(sim.catalogue if sim else None)
        data = size_scenario(scenario, load_calibration(calibration), cat, options, where=str(target)).record()
    except TilikError as e:
        return {"sizing_why": f"the sizing failed: {e.message}"}
    except Exception as e:        # in-process now: a sizing problem must not lose the run's results
        log.exception("sizing the target failed")
        return {"sizing_why": f"the sizing failed: {type(e).__name__}: {e}"}
    out_dir.mkdir(parents=True, exist_ok=True)
    path = write_json_atomic(out_dir / f"{scenario.name}-sizing.json", data)
    res = data["result"]
    peak = max((r.get("utilisation", 0.0) for r in res.get("resources", {}).values()), default=None)
    cameras = res.get("cameras_online")
    return {"sizing": Sizing(
        target=f"{data['scenario']} ({cameras:,} cameras online)" if cameras else data["scenario"],
        summary="; ".join(f"{b['quantity']:,.0f} x {b['name']} ({b['item']})" for b in data["bom"]),
        cost_usd=data["cost_usd"], cost_text=f"{data['cost_usd']:,.0f} USD",
        peak_utilisation=peak, headroom=data["headroom"], binding=data["binding_resource"],
        storage_tb=data["storage_tb"], ingest_gbps=data["ingest_gbps"], egress_gbps=data["egress_gbps"],
        hardware=data["hardware"],
        bom=tuple(BomRow(item=f"{b['name']}: {b['item']}", qty=f"{b['quantity']:,.0f}",
                         unit=f"{b['unit_price_usd']:,.0f} USD", total=f"{b['total_usd']:,.0f} USD")
                  for b in data["bom"]),
        tiers=tuple(Keyed.from_dict(t) for t in data["tiers"]), source=str(path),
        interval=SizingInterval.from_dict(data["interval"]) if data["interval"] else None,
        alternatives=tuple(Alternative.from_dict(a) for a in data["alternatives"]),
        sensitivity=Sensitivity.from_dict(data["sensitivity"]) if data["sensitivity"] else None,
        skipped=data.get("skipped")).to_dict()}


def _band(values: list[float]) -> tuple[float, float, float]:
    from scipy import stats
    m = statistics.fmean(values)
    if len(values) < 2:
        return m, m, m
    half = float(stats.t.ppf(0.975, len(values) - 1)) * statistics.stdev(values) / math.sqrt(len(values))
    return m, m - half, m + half


# Per axis, the metrics drawn: (key, English label, unit, how to read one SimResult, its limit from the SLOs)
CURVES = {
    "cameras": (
        ("frame_to_event", "frame-to-event p95", "s", lambda r: r.latency["frame_to_event"]["p95"],
         lambda slos: slos.frame_to_event_p95_s),
        ("frames_dropped", "sampled frames dropped", "%", lambda r: r.drops["frames"] * 100.0,
         lambda slos: slos.max_frame_drop * 100.0),
        ("peak_utilisation", "busiest resource", "% utilisation",
         lambda r: max(x.utilisation for x in r.resources.values()) * 100.0, lambda slos: 100.0),
        ("api", "portal API p95", "ms", lambda r: r.latency["api"]["p95"] * 1000.0, lambda slos: slos.api_p95_ms),
    ),
    "viewers": (
        ("viewer_start", "viewer start p95", "s", lambda r: r.latency["viewer_start"]["p95"],
         lambda slos: slos.viewer_start_p95_s),
        ("viewers_refused", "viewers refused", "%", lambda r: r.drops["viewers"] * 100.0, lambda slos: 0.0),
        ("portal_utilisation", "busiest portal resource", "% utilisation",
         lambda r: max(r.resources[k].utilisation for k in PORTAL_RESOURCES) * 100.0, lambda slos: 100.0),
        ("api", "portal API p95", "ms", lambda r: r.latency["api"]["p95"] * 1000.0, lambda slos: slos.api_p95_ms),
    ),
}
AXIS_LABELS = {"cameras": "cameras online (x target)", "viewers": "peak viewers (x target)"}


def _scaled(sc, sim: dict[str, Any], axis: str, f: float):
    if axis == "cameras":
        cams = sc.cameras.model_copy(update={"classes": [c.model_copy(update={"count": max(1, round(c.count * f))})
                                                         for c in sc.cameras.classes]})
        return sc.model_copy(update={"cameras": cams, "simulation": type(sc.simulation).model_validate(sim)})
    v = {**sim, "viewers": {**sim["viewers"], "peak_concurrent": int(sim["viewers"]["peak_concurrent"] * f)}}
    return sc.model_copy(update={"simulation": type(sc.simulation).model_validate(v)})


def city_curves(target: Path, calibration: Path, hardware: dict | None, budget_s: float) -> dict[str, Any]:
    """The target on fixed (sized) hardware at multiples of its cameras, then of its viewers.

    Besides the curves, ``limits`` gives per axis the largest multiple at which most seeds meet every
    SLO (``holds``) and the first at which most do not (``breaks``, with the violations of that
    multiple): the margin the sized hardware leaves.
    """
    import numpy as np

    from benchmarks.scenario import load_scenario
    from simulator.calibration import load_calibration
    from simulator.config import SimScenario
    from simulator.model import simulate
    sc = SimScenario.of(load_scenario(target), where=str(target))
    cal = load_calibration(calibration)
    slos = sc.simulation.slos
    sim = sc.simulation.model_dump()
    if hardware:
        sim["hardware"] = hardware
    sim["duration_s"] = min(float(sim.get("duration_s", 600.0)), 300.0)
    t_end = time.monotonic() + budget_s
    curves, limits = [], []
    for axis in ("cameras", "viewers"):
        xs: list[float] = []
        values: dict[str, list[tuple[float, float, float]]] = {key: [] for key, *_ in CURVES[axis]}
        holds, breaks = None, None
        for f in FACTORS[axis]:
            if time.monotonic() > t_end:
                break
            runs = [simulate(_scaled(sc, sim, axis, f), cal, rng=np.random.default_rng(1000 + k))
                    for k in range(SEEDS)]
            xs.append(f)
            for key, _label, _unit, read, _limit in CURVES[axis]:
                values[key].append(_band([read(r) for r in runs]))
            failing = [r for r in runs if r.slo_violations]
            if 2 * len(failing) > len(runs):
                if breaks is None:
                    breaks = {"factor": f, "violations": failing[0].slo_violations,
                              "breaches": failing[0].slo_breaches}
            elif breaks is None:
                holds = f
        if len(xs) >= 2:
            for key, label, unit, _read, limit in CURVES[axis]:
                v = values[key]
                curves.append({"key": key, "axis": axis, "label": label, "x_label": AXIS_LABELS[axis],
                               "y_label": unit, "x": xs, "mean": [a[0] for a in v], "low": [a[1] for a in v],
                               "high": [a[2] for a in v], "limit": limit(slos)})
            limits.append({"axis": axis, "holds": holds, "breaks": breaks, "largest": xs[-1]})
    out: dict[str, Any] = {"curves": curves, "curves_seeds": SEEDS, "limits": limits}
    if not curves:
        out["curves_why"] = f"the city-scale simulations did not fit the {budget_s:.0f} s budget"
    return out


def city_scale(results: dict[str, Any], run_dir: Path, budget_s: float = 240.0) -> dict[str, Any]:
    """Sizing and curves for the Semarang target, within ``budget_s`` seconds in all."""
    if not TARGET.exists():
        return {"sizing_why": f"no target scenario ({TARGET.name})",
                "curves_why": f"no target scenario ({TARGET.name})"}
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
