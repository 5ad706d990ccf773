"""Same-run ratio gates: our code path against a reference computation, timed interleaved.

Rounds alternate ours and reference; each round gives one ratio (ours / reference, timed back to back, so
both saw the same machine), and the median of those ratios is compared with a limit set between the ratio
measured on this machine and twice that. A gate over its limit is measured again (up to ``attempts`` in
all) and fails only when every attempt is over: a burst of neighbour load passes the second look, a 2x
slower path fails all of them. ``TILIKBENCH_INJECT_SLOWDOWN`` (a factor, default 1) slows our side on purpose:
after each call it busy-waits (factor - 1) times the call's own duration.

Both sides are timed in CPU time of this process (``time.process_time``: all its threads), not wall
time: on a shared 2-core machine other work steals the CPU and inflates wall time at random, while the
CPU a computation itself needs barely moves. CPU time still moves with memory-bandwidth contention from
a neighbour, which slows memory-bound work more than compute-bound work; a reference should therefore do
the same kind of work as our side (the decode gate converts colours on both sides). The injected
slowdown also spins in CPU time.
"""
from __future__ import annotations

import gc
import os
import statistics
import time
from dataclasses import dataclass
from typing import Callable

SLOWDOWN_ENV = "TILIKBENCH_INJECT_SLOWDOWN"


def injected_slowdown() -> float:
    try:
        factor = float(os.environ.get(SLOWDOWN_ENV, "1") or 1)
    except ValueError:
        raise ValueError(f"{SLOWDOWN_ENV} must be a number, got {os.environ[SLOWDOWN_ENV]!r}") from None
    if factor < 1:
        raise ValueError(f"{SLOWDOWN_ENV} must be >= 1, got {factor}")
    return factor


def slowed(fn: Callable[[], object], factor: float) -> Callable[[], object]:
    if factor == 1:
        return fn

    def run():
        t0 = time.process_time()
        out = fn()
        until = time.process_time() + (factor - 1) * (time.process_time() - t0)
        while time.process_time() < until:
            pass
        return out
    return run


@dataclass(frozen=True)
class GateResult:
    name: str
    ours_ms: float          # median CPU time of our side over the rounds (of the best attempt)
    reference_ms: float     # the same for the reference
    ratio: float            # median of the per-round ratios (of the best attempt)
    limit: float
    rounds: int
    attempts: tuple[float, ...] = ()    # the ratio of every attempt, in order

    @property
    def ok(self) -> bool:
        return self.ratio <= self.limit

    def line(self) -> str:
        tries = "" if len(self.attempts) < 2 else f", attempts {', '.join(f'{r:.2f}' for r in self.attempts)}"
        return (f"{self.name}: ours {self.ours_ms:.3f} ms, reference {self.reference_ms:.3f} ms CPU, "
                f"ratio {self.ratio:.2f} (gate <= {self.limit:.2f}, {self.rounds} rounds{tries})")


def _attempt(ours: Callable[[], object], reference: Callable[[], object], rounds: int) -> tuple[float, float, float]:
    a, b = [], []
    for r in range(rounds):
        pair = ((ours, a), (reference, b)) if r % 2 == 0 else ((reference, b), (ours, a))
        for fn, sink in pair:
            gc.collect()    # each call starts from the same heap; the collections it causes itself are timed
            t0 = time.process_time()
            fn()
            sink.append((time.process_time() - t0) * 1000.0)
    ratio = statistics.median(x / max(y, 1e-9) for x, y in zip(a, b))
    return statistics.median(a), statistics.median(b), ratio


def paired_ratio(name: str, ours: Callable[[], object], reference: Callable[[], object], *, limit: float,
                 rounds: int = 15, warmup: int = 2, attempts: int = 3, slowdown: float | None = None) -> GateResult:
    """Time ``ours`` (slowed by the injected factor) and ``reference`` alternately; median per-round ratio.

    Over the limit, measure again, up to ``attempts`` in all; the result is the best attempt, with every
    attempt's ratio kept for the report."""
    if rounds < 1 or attempts < 1:
        raise ValueError(f"gate {name!r}: rounds and attempts must be >= 1, got {rounds} and {attempts}")
    ours = slowed(ours, injected_slowdown() if slowdown is None else slowdown)
    for _ in range(warmup):
        ours()
        reference()
    best, ratios = None, []
    for _ in range(attempts):
        got = _attempt(ours, reference, rounds)
        ratios.append(got[2])
        if best is None or got[2] < best[2]:
            best = got
        if best[2] <= limit:
            break
    return GateResult(name, best[0], best[1], best[2], limit, rounds, tuple(ratios))


def check(result: GateResult, benchmark=None) -> None:
    """Record the figures with pytest-benchmark (extra_info) and fail with the figures if over the limit."""
    if benchmark is not None:
        benchmark.extra_info.update({"ratio": round(result.ratio, 4), "limit": result.limit,
                                     "ours_ms": round(result.ours_ms, 4), "reference_ms": round(result.reference_ms, 4),
                                     "attempts": [round(r, 4) for r in result.attempts],
                                     "injected_slowdown": injected_slowdown()})
    print(result.line())
    if not result.ok:
        load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
        raise AssertionError(f"performance gate failed: {result.line()}; machine load average {load} "
                             f"(1, 5, 15 min) on {os.cpu_count()} CPUs")
