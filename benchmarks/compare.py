"""What changed between two runs beyond noise.

As pytest-benchmark's RegressionCheck and asv do, a metric counts as changed only when the relative
difference of its means crosses the threshold AND the two 95% confidence intervals (Student t over the
step's trials) do not overlap. With a single trial on either side there is no interval: the change is
listed against the threshold alone and marked ``no CI``.
"""
from __future__ import annotations

import math
import statistics
from dataclasses import dataclass
from typing import Any

from scipy import stats as _st

from benchmarks.runner.metricdefs import metric_def

DEFAULT_THRESHOLD = 0.10


@dataclass(frozen=True)
class Summary:
    n: int
    mean: float
    stddev: float
    ci_low: float
    ci_high: float

    @classmethod
    def of(cls, values: list[float], confidence: float = 0.95) -> "Summary":
        n = len(values)
        mean = statistics.fmean(values)
        if n < 2:
            return cls(n, mean, 0.0, math.nan, math.nan)
        sd = statistics.stdev(values)
        half = float(_st.t.ppf(0.5 + confidence / 2, n - 1)) * sd / math.sqrt(n)
        return cls(n, mean, sd, mean - half, mean + half)

    @property
    def has_ci(self) -> bool:
        return self.n >= 2


@dataclass(frozen=True)
class Change:
    step_load: str
    metric: str
    a: Summary
    b: Summary
    rel_change: float
    beyond_threshold: bool
    cis_differ: bool | None     # None: no interval on one side
    worse: bool

    @property
    def significant(self) -> bool:
        return self.beyond_threshold and self.cis_differ is not False


def _load_key(load: dict[str, Any]) -> str:
    return ", ".join(f"{k}={load[k]:g}" for k in sorted(load))


def _values(step: dict[str, Any]) -> dict[str, list[float]]:
    out: dict[str, list[float]] = {}
    for t in step.get("trials", []):
        for k, v in t.get("metrics", {}).items():
            if isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v):
                out.setdefault(k, []).append(float(v))
    return out


def compare_runs(a: dict[str, Any], b: dict[str, Any], threshold: float = DEFAULT_THRESHOLD) -> list[Change]:
    """Every metric of every step the two runs share (matched by load), with its verdict."""
    steps_b = {_load_key(s["load"]): s for s in b.get("steps", [])}
    changes = []
    for sa in a.get("steps", []):
        key = _load_key(sa["load"])
        sb = steps_b.get(key)
        if sb is None:
            continue
        va, vb = _values(sa), _values(sb)
        for metric in sorted(set(va) & set(vb)):
            x, y = Summary.of(va[metric]), Summary.of(vb[metric])
            denom = abs(x.mean) if x.mean else (abs(y.mean) or 1.0)
            rel = (y.mean - x.mean) / denom
            cis = None
            if x.has_ci and y.has_ci:
                cis = bool(x.ci_high < y.ci_low or y.ci_high < x.ci_low)
            lower_better = metric_def(metric).lower_is_better
            worse = rel > 0 if lower_better else rel < 0
            changes.append(Change(key, metric, x, y, rel, bool(abs(rel) > threshold), cis, bool(worse)))
    return changes


def knee_change(a: dict[str, Any], b: dict[str, Any]) -> str:
    ka, kb = a.get("knee"), b.get("knee")

    def fmt(k):
        return "no knee (every step passed)" if not k else f"{k['axis']}={k['value']:g} ({k['binding_slo']})"
    return f"knee: {fmt(ka)} -> {fmt(kb)}"
