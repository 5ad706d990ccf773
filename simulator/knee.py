"""The knee: how far one axis of load (cameras, analytic fps, viewers) can grow before an SLO breaks.

``simulated_knee`` bisects a multiplier of the scenario's load on one axis; ``predict_knee`` answers the
question a stepped run asks: at which of these steps will the SLOs first break?
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

from common.vocabulary import Axis
from simulator.calibration import Calibration
from simulator.config import SimScenario
from simulator.hardware import HardwareSet
from simulator.model import resolve_hardware, simulate_workload, split_scenario
from simulator.workload import Workload, build_workload, parse_axis


PROBE_S = 300.0     # simulated seconds per knee probe (load is constant within the hour but for spikes)


def _ok(scenario: SimScenario, cal: Calibration, hw: HardwareSet | None, axis: Axis, factor: float,
        seed: int) -> bool:
    cameras, cfg, _ = split_scenario(scenario)
    w = probe_window(build_workload(cameras, cfg)).scaled(axis, factor)
    return simulate_workload(w, cal, resolve_hardware(cfg, hw), np.random.default_rng(seed)).slo_ok


def probe_window(w: Workload, seconds: float = PROBE_S) -> Workload:
    """The probe window: the busiest ``seconds`` (default PROBE_S) of viewers (so that spikes count)."""
    if w.duration_s <= seconds:
        return w
    minutes = int(np.ceil(seconds / 60.0))
    start = int(np.argmax(np.convolve(w.viewers, np.ones(minutes), mode="valid")))
    from dataclasses import replace
    return replace(w, duration_s=seconds, viewers=w.viewers[start:start + minutes])


def simulated_knee(scenario: SimScenario, calibration: Calibration, hardware: HardwareSet | None = None, *,
                   axis: Axis | str = Axis.CAMERAS, rng: np.random.Generator | None = None, hi: float = 64.0,
                   tol: float = 0.02) -> float | None:
    """Largest multiplier of ``axis`` at which every SLO holds (None: the SLOs fail at x0.01 already).

    Each probe uses the same seed (common random numbers), so the search is monotone in practice.
    """
    axis = parse_axis(axis)
    _, _, seed = split_scenario(scenario)
    seed = int(rng.integers(2**31)) if rng is not None else seed
    lo = 0.01
    if not _ok(scenario, calibration, hardware, axis, lo, seed):
        return None
    top = 1.0                                  # double from x1 until an SLO breaks (or hi holds)
    while _ok(scenario, calibration, hardware, axis, top, seed):
        lo = top
        if top >= hi:
            return hi
        top = min(2.0 * top, hi)
    hi = top
    while hi / lo > 1.0 + tol:
        mid = float(np.sqrt(lo * hi))
        if _ok(scenario, calibration, hardware, axis, mid, seed):
            lo = mid
        else:
            hi = mid
    return lo


def predict_knee(calibration: Calibration, axis: Axis | str, steps: Sequence[float], *, scenario: SimScenario,
                 hardware: HardwareSet | None = None, seed: int = 0) -> float | None:
    """The first value of ``steps`` (absolute: cameras, fps per analysed camera, or viewers) at which
    the SLOs break, or None if they hold at every step. ``scenario`` gives the mix at its own scale.
    """
    axis = parse_axis(axis)
    cameras, cfg, _ = split_scenario(scenario)
    base = build_workload(cameras, cfg)
    if axis == Axis.CAMERAS:
        now: float = base.cameras_online
    elif axis == Axis.VIEWERS:
        now = float(base.viewers.max())
    else:
        analysed = [c for c in base.classes if c.sample_every and c.online]
        now = (sum(c.analytic_fps * c.online for c in analysed) / sum(c.online for c in analysed)
               if analysed else 0.0)
    if now <= 0:
        raise ValueError(f"the scenario has no {axis.value} to scale")
    hw = resolve_hardware(cfg, hardware)
    base = probe_window(base)
    for value in steps:
        w = base.scaled(axis, value / now)
        if not simulate_workload(w, calibration, hw, np.random.default_rng(seed)).slo_ok:
            return value
    return None
