"""What the report takes from the simulator: sizing for the Semarang target (BOM, cost, headroom,
binding resource) and city-scale curves with confidence bands, as the run stored them (``simulation``).

When they are missing the report states why and shows no number (nothing simulated is invented here).
"""
from __future__ import annotations

from dataclasses import dataclass

from benchmarks.records import Curve, Limit, RunRecord, Sizing


@dataclass(frozen=True)
class Simulated:
    sizing: Sizing | None
    sizing_why: str
    curves: tuple[Curve, ...]
    curves_why: str
    limits: tuple[Limit, ...]


def simulated(run: RunRecord) -> Simulated:
    """The run's city-scale sizing and curves, each with why it is absent."""
    stored = run.simulation
    sizing = stored.sizing if stored is not None else None
    curves = stored.curves if stored is not None else ()
    limits = stored.limits if stored is not None else ()
    sizing_why = "" if sizing is not None else (stored and stored.sizing_why) or \
        "the run holds no simulator sizing (the simulator's sizing was not wired into this run)"
    curves_why = "" if curves else (stored and stored.curves_why) or "the run holds no simulated city-scale curves"
    return Simulated(sizing, sizing_why, curves, curves_why, limits)
