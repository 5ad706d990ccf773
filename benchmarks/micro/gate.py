"""Same-run ratio gates: our code path against a reference computation, timed interleaved.

The ratio of the minimum times (ours / reference) is compared with a limit set between the ratio measured on
this machine and twice that, so the gate passes on a noisy shared machine and fails when our side
becomes 2x slower. ``TILIKBENCH_INJECT_SLOWDOWN`` (a factor, default 1) slows our side on purpose:
after each call it busy-waits (factor - 1) times the call's own duration.

Both sides are timed in CPU time of this process (``time.process_time``: all its threads), not wall
time: on a shared 2-core machine other work steals the CPU and inflates wall time at random, while the
CPU a computation itself needs barely moves. Of the interleaved rounds the minimum is taken, since
interference (cache, frequency) only ever adds time. The injected slowdown also spins in CPU time.
"""
from __future__ import annotations

import os
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
    ours_ms: float
    reference_ms: float
    ratio: float
    limit: float
    rounds: int

    @property
    def ok(self) -> bool:
        return self.ratio <= self.limit

    def line(self) -> str:
        return (f"{self.name}: ours {self.ours_ms:.3f} ms, reference {self.reference_ms:.3f} ms CPU, "
                f"ratio {self.ratio:.2f} (gate <= {self.limit:.2f}, {self.rounds} rounds)")


def paired_ratio(name: str, ours: Callable[[], object], reference: Callable[[], object], *, limit: float,
                 rounds: int = 15, warmup: int = 2, slowdown: float | None = None) -> GateResult:
    """Time ``ours`` (slowed by the injected factor) and ``reference`` alternately; ratio of minimums."""
    ours = slowed(ours, injected_slowdown() if slowdown is None else slowdown)
    for _ in range(warmup):
        ours()
        reference()
    a, b = [], []
    for r in range(rounds):
        pair = ((ours, a), (reference, b)) if r % 2 == 0 else ((reference, b), (ours, a))
        for fn, sink in pair:
            t0 = time.process_time()
            fn()
            sink.append((time.process_time() - t0) * 1000.0)
    ma, mb = min(a), min(b)
    return GateResult(name, ma, mb, ma / mb, limit, rounds)


def check(result: GateResult, benchmark=None) -> None:
    """Record the figures with pytest-benchmark (extra_info) and fail with the figures if over the limit."""
    if benchmark is not None:
        benchmark.extra_info.update({"ratio": round(result.ratio, 4), "limit": result.limit,
                                     "ours_ms": round(result.ours_ms, 4), "reference_ms": round(result.reference_ms, 4),
                                     "injected_slowdown": injected_slowdown()})
    print(result.line())
    assert result.ok, f"performance gate failed: {result.line()}"
