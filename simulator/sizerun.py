"""One sizing as a record: the cheapest catalogue hardware meeting the SLOs with headroom (BOM, binding
resource, tiers), then, as asked, its 95% interval, the cheapest CPU-only and GPU alternatives, the purchase
phases and the sensitivity bars.

``tilikbench size`` and the run's city-scale step (``benchmarks.runner.citysim``) both call
:func:`size_scenario`, so the run sizes in-process with the same code the CLI runs. A ``deadline`` bounds
the optional parts: each gets at most the time left, and one not started by then is skipped, with why, in
the record's ``skipped`` (the point sizing itself always runs to its answer).
"""
from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from common.resultmeta import stamp
from simulator.alternatives import Alternative, alternatives
from simulator.calibration import Calibration
from simulator.config import SimScenario
from simulator.hardware import Catalogue
from simulator.phases import plan
from simulator.sizing import SizingResult, size
from simulator.tornado import tornado
from simulator.uncertainty import REPLICATIONS, WINDOW_S, SizingInterval, size_with_interval

RESULT_SCHEMA_VERSION = 2   # 2: the interval, alternatives, sensitivity and phases; tiers, decode
                            # placement, the failover case and the day re-check


@dataclass(frozen=True)
class SizingOptions:
    replications: int = REPLICATIONS        # sizing searches for the 95% interval (0: the point answer only)
    workers: int | None = None              # parallel processes (None: one per core)
    window_s: float = WINDOW_S              # simulated seconds of the busiest hour per replication
    time_limit_s: float | None = None       # for the interval, and for the sensitivity runs, each
    sensitivity: bool = False
    phases: bool = True
    alternatives: bool = True
    day: bool = True                        # re-check the answer over the whole day
    deadline: float | None = None           # time.monotonic() past which no optional part starts


@dataclass
class SizingRun:
    """What one sizing found; ``skipped`` names the optional parts the deadline left out, with why."""

    scenario: str
    sizing: SizingResult
    interval: SizingInterval | None = None
    alternatives: list[Alternative] = field(default_factory=list)
    phases: list[Any] = field(default_factory=list)
    sensitivity: dict[str, Any] | None = None
    skipped: dict[str, str] = field(default_factory=dict)

    def record(self) -> dict[str, Any]:
        """The sizing as JSON (``<scenario>-sizing.json``), stamped with machine and commit."""
        s, r = self.sizing, self.sizing.result
        out = {**stamp("sizing", RESULT_SCHEMA_VERSION), "scenario": self.scenario,
               "bom": [{"item": b.item, "name": b.name, "quantity": b.quantity, "unit_price_usd": b.unit_price_usd,
                        "total_usd": b.total_usd, "per_year": b.per_year} for b in s.bom],
               "cost_usd": s.cost, "yearly_usd": s.yearly_usd, "binding_resource": s.binding_resource,
               "headroom": s.headroom, "storage_tb": s.storage_tb, "ingest_gbps": s.ingest_gbps,
               "egress_gbps": s.egress_gbps, "hardware": s.hardware.spec().model_dump(), "result": r.to_dict(),
               "interval": self.interval.to_dict() if self.interval is not None else None,
               "alternatives": [a.to_dict() for a in self.alternatives], "sensitivity": self.sensitivity,
               "phases": [ph.to_dict() for ph in self.phases],
               "failover": s.failover.to_dict() if s.failover else None, "tiers": s.tier_summary(),
               "redundancy": s.redundancy, "day": s.day.to_dict() if s.day else None}
        if self.skipped:
            out["skipped"] = dict(self.skipped)
        return out


def _left(options: SizingOptions) -> float | None:
    return None if options.deadline is None else options.deadline - time.monotonic()


def _limit(options: SizingOptions) -> float | None:
    """The time limit of one bounded part: the option's, cut to what is left before the deadline."""
    left = _left(options)
    if left is None:
        return options.time_limit_s
    return left if options.time_limit_s is None else min(options.time_limit_s, left)


def size_scenario(full: Any, cal: Calibration, cat: Catalogue, options: SizingOptions = SizingOptions(),
                  on_part: Callable[[str, Any], None] | None = None, where: str | None = None) -> SizingRun:
    """Size the scenario ``full`` (as ``benchmarks.scenario.load_scenario`` reads it; its simulation part
    becomes a typed :class:`SimScenario`, bad keys named with ``where``); ``on_part(name, value)`` is
    called as each part is ready ("sizing", "interval", "alternatives", "phases", "sensitivity"), so the
    CLI can print them as they come."""
    scenario = SimScenario.of(full, where=where or "scenario")
    def done(name: str, value: Any) -> None:
        if on_part is not None:
            on_part(name, value)

    def due(name: str) -> bool:
        left = _left(options)
        if left is not None and left <= 0:
            run.skipped[name] = "the time budget was spent before it started"
            return False
        return True

    run = SizingRun(scenario.name, size(scenario, cal, cat, day_check=options.day))
    done("sizing", run.sizing)
    if options.replications > 0 and due("interval"):
        run.interval = size_with_interval(scenario, cal, cat, replications=options.replications,
                                          workers=options.workers, window_s=options.window_s,
                                          time_limit_s=_limit(options))
        done("interval", run.interval)
    if options.alternatives and due("alternatives"):
        run.alternatives = alternatives(scenario, cal, cat)
        done("alternatives", run.alternatives)
    if options.phases and full.growth is not None and due("phases"):
        run.phases = plan(scenario, full.growth, cal, cat)
        done("phases", run.phases)
    if options.sensitivity and due("sensitivity"):
        run.sensitivity = tornado(scenario, cal, cat, workers=options.workers or os.cpu_count() or 1,
                                  window_s=options.window_s, time_limit_s=_limit(options))
        done("sensitivity", run.sensitivity)
    return run
