"""The knee of a step run: the user count at which p95 response time first crosses the SLO.

Reusable by any runner: build ``StepStat`` rows (from Locust's history CSV with
``steps_from_history``, or from any other measurement) and call ``users_knee``.
"""
from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable


@dataclass(frozen=True)
class StepStat:
    users: int
    p95_ms: float
    requests: int = 0
    failures: int = 0
    rps: float = 0.0
    p50_ms: float = 0.0

    @property
    def fail_ratio(self) -> float:
        return self.failures / self.requests if self.requests else 0.0


@dataclass(frozen=True)
class Knee:
    users: int | None           # first step whose p95 (or failure ratio) broke the SLO; None: never crossed
    last_ok_users: int | None   # the largest step before it that met the SLO
    slo_p95_ms: float
    steps: tuple[StepStat, ...]

    def as_dict(self) -> dict:
        return {"knee_users": self.users, "last_ok_users": self.last_ok_users, "slo_p95_ms": self.slo_p95_ms,
                "steps": [{"users": s.users, "p95_ms": s.p95_ms, "p50_ms": s.p50_ms, "rps": s.rps,
                           "requests": s.requests, "failures": s.failures} for s in self.steps]}


def users_knee(steps: Iterable[StepStat], slo_p95_ms: float, *, max_fail_ratio: float | None = None) -> Knee:
    """First step (in increasing users) with p95 > ``slo_p95_ms`` (or failure ratio > ``max_fail_ratio``)."""
    if slo_p95_ms <= 0:
        raise ValueError(f"slo_p95_ms must be > 0, got {slo_p95_ms}")
    ordered = tuple(sorted(steps, key=lambda s: s.users))
    last_ok = None
    for s in ordered:
        broken = s.p95_ms > slo_p95_ms or (max_fail_ratio is not None and s.fail_ratio > max_fail_ratio)
        if broken:
            return Knee(s.users, last_ok, slo_p95_ms, ordered)
        last_ok = s.users
    return Knee(None, last_ok, slo_p95_ms, ordered)


def _num(v: str) -> float:
    try:
        return float(v)
    except (TypeError, ValueError):
        return 0.0


def steps_from_history(history_csv: Path, *, name: str = "Aggregated", min_rows: int = 2,
                       rising_only: bool = True) -> list[StepStat]:
    """One ``StepStat`` per user count in Locust's ``*_stats_history.csv`` (rows of request ``name``).

    Each row's growth in total requests and failures (since the previous row) is attributed to the
    row's user count; rps is that growth over the time spent at the count. p95/p50: the last row at
    the count (Locust's window of recent responses, which the locustfile keeps shorter than a step).
    Counts seen in fewer than ``min_rows`` rows (ramps between steps) are dropped; with ``rising_only``
    so are rows after the user count first falls (users stopping at the end of the run).
    """
    acc: dict[int, dict] = {}
    prev = None
    peak = 0
    with open(history_csv, newline="") as f:
        for r in csv.DictReader(f):
            if r.get("Name") != name:
                continue
            req, fail, t = _num(r["Total Request Count"]), _num(r["Total Failure Count"]), _num(r["Timestamp"])
            users = int(_num(r.get("User Count")))
            if rising_only and users < peak:
                break
            peak = max(peak, users)
            if prev is not None and users > 0:
                a = acc.setdefault(users, {"rows": 0, "req": 0.0, "fail": 0.0, "dt": 0.0})
                a["rows"] += 1
                a["req"] += req - prev[0]
                a["fail"] += fail - prev[1]
                a["dt"] += t - prev[2]
                a["p95"], a["p50"] = _num(r["95%"]), _num(r["50%"])
            prev = (req, fail, t)
    return [StepStat(users=u, p95_ms=a["p95"], p50_ms=a["p50"], requests=int(a["req"]), failures=int(a["fail"]),
                     rps=a["req"] / max(a["dt"], 1.0))
            for u, a in sorted(acc.items()) if a["rows"] >= min_rows and a["req"] > 0]
