"""Event-level matching and the figures it gives: precision, recall, F1 and timing error.

Each truth event is matched to at most one stored event of the same camera, rule and ``attrs`` (class
and direction, level), and each stored event to at most one truth event, within the rule's time
tolerance. Inside each such group the matching is the one that pairs the most events with the least
total |time difference| (Hungarian method on |dt|, pairs beyond the tolerance forbidden), so a
false count and a miss of the same class never cancel: they are one false positive and one miss.

The span scored is ``[a, b)`` of the stream timeline: truth events in it are the ones to find. A
stored event decided a little after ``b`` (inside the tolerance) may still match a truth event
before ``b``; an unmatched stored event counts as false only when it lies in the span itself. Spans
that tile a stream (trials) share their edges: a stored event early in the span that matches a truth
event just before ``a`` (within the tolerance) belongs to the previous span and counts here as
nothing, neither found nor false.

Timing error of a match = stored time - truth time (seconds): the rule's decision delay plus any
misplacement; reported as the median and the largest |error|, and the mean signed error.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Iterable

import numpy as np
from scipy.optimize import linear_sum_assignment

from analytics.scoring.records import Placed

# seconds; the windowed rules' defaults are for 10 s windows (``camera.window_tolerances`` scales them)
DEFAULT_TOLERANCE_S = {"line_count": 2.0, "illegal_parking": 3.0, "zone_people": 5.0,
                       "flood_level": 12.0, "garbage_presence": 12.0}


@dataclass(frozen=True)
class Matched:
    """The outcome of matching one span: pairs (truth, stored), misses, false events."""

    pairs: tuple[tuple[Placed, Placed], ...]
    missed: tuple[Placed, ...]
    false: tuple[Placed, ...]


def match_events(truth: Iterable[Placed], stored: Iterable[Placed], a: float, b: float,
                 tolerance_s: dict[str, float] | None = None) -> Matched:
    """Match the truth of [a, b) with the stored events (see the module's docstring)."""
    tol = {**DEFAULT_TOLERANCE_S, **(tolerance_s or {})}
    groups_t: dict[tuple, list[Placed]] = defaultdict(list)
    groups_s: dict[tuple, list[Placed]] = defaultdict(list)
    for e in truth:
        if a - tol.get(e.rule, 2.0) <= e.t < b:
            groups_t[(e.camera_id, e.rule, e.attrs)].append(e)
    for e in stored:
        if a - tol.get(e.rule, 2.0) <= e.t < b + tol.get(e.rule, 2.0):
            groups_s[(e.camera_id, e.rule, e.attrs)].append(e)
    pairs, missed, false = [], [], []
    for key in set(groups_t) | set(groups_s):
        ts, ss = groups_t.get(key, []), groups_s.get(key, [])
        used_t, used_s = set(), set()
        if ts and ss:
            limit = tol.get(key[1], 2.0)
            dt = np.abs(np.array([[s.t - t.t for s in ss] for t in ts]))
            cost = np.where(dt <= limit, dt, 1e6 + dt)
            for i, j in zip(*linear_sum_assignment(cost)):
                if dt[i, j] <= limit:
                    if ts[i].t >= a:          # (a truth before the span: the previous span's pair)
                        pairs.append((ts[i], ss[j]))
                    used_t.add(i)
                    used_s.add(j)
        missed += [t for i, t in enumerate(ts) if i not in used_t and t.t >= a]
        false += [s for j, s in enumerate(ss) if j not in used_s and a <= s.t < b]
    return Matched(tuple(pairs), tuple(missed), tuple(false))


@dataclass
class Score:
    """Counts of one group (a camera, rule, class... or all of them) and the figures they give."""

    tp: int = 0
    fp: int = 0
    fn: int = 0
    errors_s: list[float] = field(default_factory=list)

    @property
    def precision(self) -> float | None:
        return None if self.tp + self.fp == 0 else self.tp / (self.tp + self.fp)

    @property
    def recall(self) -> float | None:
        return None if self.tp + self.fn == 0 else self.tp / (self.tp + self.fn)

    @property
    def f1(self) -> float | None:
        """2 TP / (2 TP + FP + FN); None when there was nothing to find and nothing was reported."""
        n = 2 * self.tp + self.fp + self.fn
        return None if n == 0 else 2 * self.tp / n

    @property
    def timing_abs_median_s(self) -> float | None:
        return float(np.median(np.abs(self.errors_s))) if self.errors_s else None

    @property
    def timing_abs_max_s(self) -> float | None:
        return float(np.max(np.abs(self.errors_s))) if self.errors_s else None

    @property
    def timing_mean_s(self) -> float | None:
        return float(np.mean(self.errors_s)) if self.errors_s else None

    def add(self, other: "Score") -> None:
        self.tp += other.tp
        self.fp += other.fp
        self.fn += other.fn
        self.errors_s += other.errors_s

    def as_dict(self) -> dict:
        def r(v):
            return None if v is None else round(v, 4)
        return {"tp": self.tp, "fp": self.fp, "fn": self.fn, "precision": r(self.precision),
                "recall": r(self.recall), "f1": r(self.f1), "timing_abs_median_s": r(self.timing_abs_median_s),
                "timing_abs_max_s": r(self.timing_abs_max_s), "timing_mean_s": r(self.timing_mean_s)}


GROUPINGS = {"camera": lambda e: e.camera_id, "rule": lambda e: e.rule, "class": lambda e: e.label}


def scores(m: Matched, by: tuple[str, ...] = ("rule",)) -> dict[tuple[str, ...], Score]:
    """The matched span's scores grouped by any of ``camera``, ``rule``, ``class`` (() = overall)."""
    keys = [GROUPINGS[b] for b in by]
    out: dict[tuple[str, ...], Score] = defaultdict(Score)
    for t, s in m.pairs:
        sc = out[tuple(k(t) for k in keys)]
        sc.tp += 1
        sc.errors_s.append(s.t - t.t)
    for t in m.missed:
        out[tuple(k(t) for k in keys)].fn += 1
    for s in m.false:
        out[tuple(k(s) for k in keys)].fp += 1
    return dict(out)


def merge(parts: Iterable[Matched]) -> Matched:
    """Several spans (cameras, trials) as one."""
    pairs, missed, false = [], [], []
    for m in parts:
        pairs += m.pairs
        missed += m.missed
        false += m.false
    return Matched(tuple(pairs), tuple(missed), tuple(false))
