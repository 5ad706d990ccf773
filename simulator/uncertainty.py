"""The sizing answer with its uncertainty: the sizing search repeated over resampled costs and seeds.

One replication draws a factor per measured cost (decode, detector, portal) from a log-normal whose
relative spread is the calibration's own (``Calibration.spread``: the bootstrap over the calibrating
trials) or, without one, the spread of its repeated measurements (``stdev_ms`` / ``ms``; at least
``MIN_REL_SD``); it scales every row of that cost, and runs ``simulator.sizing.size`` with its own
simulator seed. Replications are independent and run in parallel processes, one per core.

Per BOM item (ingest servers, GPUs, portal servers, NICs, disks) and for the total cost, over the
replications: the count that meets every SLO with 95% confidence (the 95th percentile of the counts the
replications needed: buying it, 95% of the plausible cost worlds are covered), the median, the 2.5-97.5%
interval and the range. An item whose model differs between replications (another server type won) is
reported for its most frequent model, with how often it was chosen.

Replications simulate ``window_s`` seconds of the busiest hour (shorter than the point answer's window, so
that 50 of them for the 20,261-camera target fit in two minutes on two cores); the point answer is
``size`` at the calibration's own costs over the scenario's full window.
"""
from __future__ import annotations

import logging
import os
import statistics
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures import TimeoutError as FuturesTimeout
from dataclasses import dataclass
from multiprocessing import get_context
from typing import Any

import numpy as np

from common.errors import TilikError
from simulator.calibration import Calibration
from simulator.config import SimScenario
from simulator.hardware import Catalogue
from simulator.sizing import SizingResult, size

log = logging.getLogger(__name__)

REPLICATIONS = 50
WINDOW_S = 60.0
MIN_REL_SD = 0.05
SECTIONS = ("decode_ms", "detector_ms", "portal_ms")
COST_FIELDS = {"decode_ms": "ms_per_frame", "detector_ms": "ms_per_batch", "portal_ms": "ms_per_request"}


def scale_costs(cal: Calibration, factors: dict[str, float], label: str = "") -> Calibration:
    """A copy of ``cal`` with every row of each named cost section multiplied by its factor."""
    update: dict[str, Any] = {}
    for section, f in factors.items():
        field = COST_FIELDS[section]
        update[section] = [r.model_copy(update={field: getattr(r, field) * f}) for r in getattr(cal, section)]
    out = cal.model_copy(update=update)
    if label:
        out.label = label
    return out


def rel_sd(cal: Calibration, section: str) -> tuple[float, str]:
    """The relative spread of one cost section, and where it comes from."""
    if section in cal.spread:
        return max(cal.spread[section].rel_sd, MIN_REL_SD), "bootstrap over the calibrating trials"
    rows = getattr(cal, section)
    field = COST_FIELDS[section]
    cvs = [r.stdev_ms / getattr(r, field) for r in rows if getattr(r, "stdev_ms", 0) and getattr(r, field) > 0]
    if cvs:
        return max(statistics.median(cvs), MIN_REL_SD), "repeated measurements (stdev / mean)"
    return MIN_REL_SD, f"no spread measured: {MIN_REL_SD:.0%} assumed"


@dataclass(frozen=True)
class Replication:
    index: int
    factors: dict[str, float]
    cost: float
    bom: list[tuple[str, str, float, float]]       # (item, model name, quantity, unit price)
    binding: str
    failed: str | None = None


def _replicate(args: tuple) -> Replication:
    index, scenario, cal, cat, sigmas, seed, window_s = args
    rng = np.random.default_rng([seed, index])
    factors = {s: float(np.exp(rng.normal(-sd * sd / 2, sd))) for s, sd in sigmas.items()}
    sim = scenario.simulation
    sc = scenario.model_copy(update={"simulation": sim.model_copy(
        update={"duration_s": min(float(sim.duration_s), window_s)})})
    try:
        s = size(sc, scale_costs(cal, factors), cat, rng=rng, day_check=False)
    except TilikError as e:             # an unmeetable draw is an answer too: recorded, not dropped
        return Replication(index, factors, float("nan"), [], "", failed=e.message)
    return Replication(index, factors, s.cost, [(b.item, b.name, b.quantity, b.unit_price_usd) for b in s.bom],
                       s.binding_resource)


def run_parallel(fn: Callable[[Any], Any], jobs: list, workers: int, time_limit_s: float | None = None) -> list:
    """``fn`` over ``jobs`` in ``workers`` forked processes, in job order; with a time limit, only the jobs
    finished by then (the rest are cancelled; a job already running is let finish, its result unused)."""
    if workers == 1 and time_limit_s is None:
        return [fn(j) for j in jobs]
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=get_context("fork"))
    futures = {pool.submit(fn, j): k for k, j in enumerate(jobs)}
    done: dict[int, Any] = {}
    try:
        for f in as_completed(futures, timeout=time_limit_s):
            done[futures[f]] = f.result()
    except FuturesTimeout:
        pass
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    return [done[k] for k in sorted(done)]


def _stats(values: list[float]) -> dict[str, float]:
    """Order statistics only (a count of servers is whole; so is each bound)."""
    v = np.array(values, dtype=float)
    return {"p95": float(np.percentile(v, 95, method="higher")), "median": float(np.median(v)),
            "low": float(np.percentile(v, 2.5, method="lower")), "high": float(np.percentile(v, 97.5, method="higher")),
            "min": float(v.min()), "max": float(v.max())}


@dataclass
class SizingInterval:
    """The replications' answer: per item and for the cost, the 95%-confidence count, median and ranges."""

    replications: list[Replication]
    items: list[dict[str, Any]]
    cost: dict[str, float]
    spread: dict[str, dict[str, Any]]
    window_s: float
    wall_s: float
    workers: int
    planned: int

    @property
    def failed(self) -> list[Replication]:
        return [r for r in self.replications if r.failed]

    def to_dict(self) -> dict[str, Any]:
        return {"replications": len(self.replications), "planned": self.planned,
                "failed": [r.failed for r in self.failed],
                "items": self.items, "cost_usd": self.cost, "spread": self.spread, "window_s": self.window_s,
                "wall_s": round(self.wall_s, 1), "workers": self.workers,
                "draws": [{"index": r.index, "factors": r.factors, "cost_usd": r.cost, "binding": r.binding,
                           "bom": [list(b) for b in r.bom]} for r in self.replications if not r.failed]}


def _quantity(r: Replication, item: str, name: str) -> float | None:
    """How many of ``name`` a replication bought as ``item``: 0 if it bought no such item at all (no GPU),
    None if it bought another model for it (counts of different models do not compare)."""
    for it, n, q, _ in r.bom:
        if it == item:
            return q if n == name else None
    return 0.0


def summarise(reps: list[Replication]) -> tuple[list[dict[str, Any]], dict[str, float]]:
    ok = [r for r in reps if not r.failed]
    if not ok:
        return [], {}
    order: list[str] = []
    for r in ok:
        for item, *_ in r.bom:
            if item not in order:
                order.append(item)
    items = []
    for item in order:
        names = Counter(name for r in ok for it, name, _, _ in r.bom if it == item)
        name, chosen = names.most_common(1)[0]
        qty = [q for q in (_quantity(r, item, name) for r in ok) if q is not None]
        price = next(p for r in ok for it, n, _, p in r.bom if it == item and n == name)
        items.append({"item": item, "name": name, "unit_price_usd": price, "chosen": chosen, "of": len(ok),
                      "alternatives": dict(names), **_stats(qty)})
    return items, _stats([r.cost for r in ok])


def size_with_interval(scenario: SimScenario, cal: Calibration, cat: Catalogue | None = None, *,
                       replications: int = REPLICATIONS, workers: int | None = None, seed: int | None = None,
                       window_s: float = WINDOW_S, time_limit_s: float | None = None) -> SizingInterval:
    """Repeat the sizing search ``replications`` times over resampled costs and seeds (in parallel). With
    ``time_limit_s``, the interval is over the replications finished by then (the count says how many)."""
    t0 = time.perf_counter()
    sigmas, spread = {}, {}
    for section in SECTIONS:
        sd, how = rel_sd(cal, section)
        sigmas[section] = sd
        spread[section] = {"rel_sd": round(sd, 4), "source": how}
    seed = int(scenario.seed) if seed is None else seed
    workers = max(1, min(workers or os.cpu_count() or 1, replications))
    jobs = [(k, scenario, cal, cat, sigmas, seed, window_s) for k in range(replications)]
    reps = run_parallel(_replicate, jobs, workers, time_limit_s)
    if len(reps) < len(jobs):
        log.warning("%d of %d replications finished within %.0f s", len(reps), len(jobs), time_limit_s or 0)
    for r in reps:
        if r.failed:
            log.warning("replication %d found no hardware: %s", r.index, r.failed)
    items, cost = summarise(reps)
    return SizingInterval(reps, items, cost, spread, window_s, time.perf_counter() - t0, workers, replications)


def point_and_interval(scenario: SimScenario, cal: Calibration, cat: Catalogue | None = None,
                       **kwargs: Any) -> tuple[SizingResult, SizingInterval]:
    """The point answer at the calibration's costs (full window) and the interval around it."""
    return size(scenario, cal, cat, day_check=False), size_with_interval(scenario, cal, cat, **kwargs)
