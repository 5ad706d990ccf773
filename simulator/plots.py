"""Sensitivity plot: the binding latency (p95 / SLO) as cameras, analytic fps and viewers grow."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from simulator.calibration import Calibration
from simulator.config import SimScenario
from simulator.model import resolve_hardware, simulate_workload, split_scenario
from simulator.knee import probe_window
from simulator.workload import AXES, build_workload

FACTORS = (0.5, 1.0, 1.5, 2.0, 3.0)


def sensitivity(scenario: SimScenario, cal: Calibration, factors=FACTORS, seed: int = 0) -> dict[str, list[float]]:
    """axis -> binding latency ratio (p95 / SLO, worst of the three latencies) at each factor."""
    cameras, cfg, _ = split_scenario(scenario)
    hw = resolve_hardware(cfg, None)
    base = probe_window(build_workload(cameras, cfg))
    out: dict[str, list[float]] = {}
    for axis in AXES:
        out[axis.value] = [simulate_workload(base.scaled(axis, f), cal, hw, np.random.default_rng(seed))
                     .binding_latency(cfg.slos)[1] for f in factors]
    return out


def plot_sensitivity(curves: dict[str, list[float]], path: Path, factors=FACTORS, title: str = "") -> Path:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(6.4, 4.0))
    for axis, ys in curves.items():
        ax.plot(factors, ys, marker="o", label=axis.replace("_", " "))
    ax.axhline(1.0, color="red", linestyle="--", linewidth=1, label="SLO")
    ax.set_xlabel("load multiplier on one axis (others at scenario level)")
    ax.set_ylabel("binding latency p95 / SLO")
    ax.set_yscale("log")
    ax.set_title(title or "sensitivity")
    ax.legend()
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp.png")
    fig.savefig(tmp, dpi=110)
    plt.close(fig)
    tmp.replace(path)
    return path
