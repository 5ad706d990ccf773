"""The knee of a step run: the user count at which p95 response time first crosses the SLO.

Reusable by any runner: build ``StepStat`` rows (from Locust's history CSV with
``steps_from_history``, or from any other measurement) and call ``find_knee``.
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


def find_knee(steps: Iterable[StepStat], slo_p95_ms: float, *, max_fail_ratio: float | None = None) -> Knee:
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


def steps_from_history(history_csv: Path, *, name: str = "Aggregated", min_rows: int = 1) -> list[StepStat]:
    """One ``StepStat`` per user count in Locust's ``*_stats_history.csv`` (rows of request ``name``).

    p95/p50: the last row of the step (Locust's window of recent responses, which the step locustfile
    keeps shorter than a step); requests/failures: the growth of the totals over the step; rps: their
    ratio to the step's duration. Ramp rows (a user count seen only briefly) are dropped.
    """
    rows = []
    with open(history_csv, newline="") as f:
        for r in csv.DictReader(f):
            if r.get("Name") == name and _num(r.get("User Count")) > 0:
                rows.append(r)
    groups: list[list[dict]] = []
    for r in rows:
        if groups and groups[-1][0]["User Count"] == r["User Count"]:
            groups[-1].append(r)
        else:
            groups.append([r])
    out: list[StepStat] = []
    prev_req = prev_fail = 0.0
    prev_t = _num(rows[0]["Timestamp"]) if rows else 0.0
    for g in groups:
        last = g[-1]
        req, fail, t = _num(last["Total Request Count"]), _num(last["Total Failure Count"]), _num(last["Timestamp"])
        if len(g) >= min_rows and req > prev_req:
            out.append(StepStat(users=int(_num(last["User Count"])), p95_ms=_num(last["95%"]),
                                p50_ms=_num(last["50%"]), requests=int(req - prev_req),
                                failures=int(fail - prev_fail),
                                rps=(req - prev_req) / max(t - prev_t, 1.0)))
        prev_req, prev_fail, prev_t = req, fail, t
    return out
