"""How the sizing answer moves when each assumption is off: the data of a tornado chart.

The measured costs (decode, detection, portal requests) carry their own spread and enter the interval
(``simulator.uncertainty``). Everything else the answer rests on is an assumption: scenario figures nobody
measured (viewers at the peak, analytic sampling rates, the share of cameras online, retention) and the
hardware catalogue's (per-core speed of servers not at hand, GPU throughput, prices). Each is moved by
``-swing`` and ``+swing`` (30% by default) on its own, the rest held, and the sizing search rerun; the
bars are the total cost at the two ends, sorted by how far they spread.
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from common.errors import TilikError
from simulator.calibration import Calibration
from simulator.config import SimScenario
from simulator.hardware import Catalogue, load_catalogue
from simulator.sizing import size
from simulator.uncertainty import WINDOW_S, run_parallel

log = logging.getLogger(__name__)

SWING = 0.30


def _sim(sc, **update):
    return sc.model_copy(update={"simulation": sc.simulation.model_copy(update=update)})


def _viewers(sc, f, cat: Catalogue):
    v = sc.simulation.viewers
    return _sim(sc, viewers=v.model_copy(update={"peak_concurrent": max(0, round(v.peak_concurrent * f))})), cat


def _analytic_fps(sc, f, cat: Catalogue):
    return _sim(sc, analytic_fps={k: r * f for k, r in sc.simulation.analytic_fps.items()}), cat


def _online(sc, f, cat: Catalogue):
    classes = [c.model_copy(update={"online_share": min(1.0, c.online_share * f)}) for c in sc.cameras.classes]
    return sc.model_copy(update={"cameras": sc.cameras.model_copy(update={"classes": classes})}), cat


def _retention(sc, f, cat: Catalogue):
    return _sim(sc, retention_days=sc.simulation.retention_days * f), cat


def _speed(sc, f, cat: Catalogue):
    return sc, cat.model_copy(update={"cpu_servers": [s.model_copy(update={"speed": s.speed * f})
                                                      for s in cat.cpu_servers]})


def _gpu(sc, f, cat: Catalogue):
    gpus = [g.model_copy(update={"throughput": {m: {k: v * f for k, v in sizes.items()}
                                                for m, sizes in g.throughput.items()}}) for g in cat.gpus]
    return sc, cat.model_copy(update={"gpus": gpus})


def _prices(sc, f, cat: Catalogue):
    def priced(items):
        return [i.model_copy(update={"price_usd": i.price_usd * f}) for i in items]
    return sc, cat.model_copy(update={"cpu_servers": priced(cat.cpu_servers), "gpus": priced(cat.gpus),
                                      "nics": priced(cat.nics), "disks": priced(cat.disks)})


# (key, what it is, where it comes from, how to move it: (scenario, factor, catalogue) -> (scenario, catalogue))
ASSUMPTIONS: list[tuple[str, str, str, Callable]] = [
    ("viewers", "peak concurrent viewers", "scenario", _viewers),
    ("analytic_fps", "analytic sampling fps", "scenario", _analytic_fps),
    ("online_share", "share of cameras online", "scenario", _online),
    ("retention", "days of recordings kept", "scenario", _retention),
    ("core_speed", "per-core speed of catalogue servers", "catalogue", _speed),
    ("gpu_throughput", "GPU detector throughput", "catalogue", _gpu),
    ("prices", "hardware prices", "catalogue", _prices),
]


@dataclass(frozen=True)
class Bar:
    key: str
    label: str
    source: str
    low: float | None            # total cost with the assumption at (1 - swing)
    high: float | None           # ... at (1 + swing)
    why: str = ""

    @property
    def spread(self) -> float:
        vals = [v for v in (self.low, self.high) if v is not None]
        return max(vals) - min(vals) if vals else 0.0


def _one(args: tuple) -> tuple[str, float, float | None, str]:
    key, f, scenario, cal, cat, window_s, seed = args
    move = next(m for k, _, _, m in ASSUMPTIONS if k == key)
    try:
        sc, c = move(scenario, f, cat)
        sc = _sim(sc, duration_s=min(float(sc.simulation.duration_s), window_s))
        return key, f, size(sc, cal, c, rng=np.random.default_rng(seed), day_check=False).cost, ""
    except TilikError as e:
        return key, f, None, e.message


def tornado(scenario: SimScenario, cal: Calibration, cat: Catalogue | None = None, *, swing: float = SWING,
            window_s: float = WINDOW_S, workers: int = 1, seed: int = 0,
            time_limit_s: float | None = None) -> dict[str, Any]:
    """The base cost and one bar per assumption (sorted, widest first), in parallel over ``workers``."""
    cat = cat or load_catalogue(scenario.simulation.catalogue)
    jobs = [(k, f, scenario, cal, cat, window_s, seed) for k, *_ in ASSUMPTIONS for f in (1 - swing, 1 + swing)]
    base = _sim(scenario, duration_s=min(float(scenario.simulation.duration_s), window_s))
    done = run_parallel(_one, jobs, workers, time_limit_s)
    costs = {(k, f): (c, why) for k, f, c, why in done}
    bars = []
    for key, label, source, _ in ASSUMPTIONS:
        lo, hi = costs.get((key, 1 - swing)), costs.get((key, 1 + swing))
        if lo is None or hi is None:
            bars.append(Bar(key, label, source, None, None, "not finished within the time limit"))
            continue
        bars.append(Bar(key, label, source, lo[0], hi[0], lo[1] or hi[1]))
    bars.sort(key=lambda b: -b.spread)
    return {"swing": swing, "window_s": window_s,
            "base_cost": size(base, cal, cat, rng=np.random.default_rng(seed), day_check=False).cost,
            "bars": [{"key": b.key, "label": b.label, "source": b.source, "low_cost": b.low, "high_cost": b.high,
                      "why": b.why} for b in bars]}
