"""Same-run ratio gates timed by pytest-benchmark: our code path against a reference computation.

Each gate has two pytest-benchmark entries, ``<test>[ours]`` and ``<test>[reference]``, in one group named
after the gate. Both are timed in the same run by ``BenchmarkFixture.pedantic`` with the CPU-time timer
``time.process_time`` (all threads of this process): on a shared 2-core machine other work steals the CPU
and inflates wall time at random, while the CPU a computation itself needs barely moves. CPU time still
moves with memory-bandwidth contention from a neighbour, which slows memory-bound work more than
compute-bound work; a reference therefore does the same kind of work as our side.

The ratio is computed from pytest-benchmark's statistics (the rounds each side's entry holds): an attempt
interleaves the two sides round by round (see ``PairedGate._attempt``) and the ratio is the median over
rounds of ours / reference (``paired_median_ratio``). A gate over its limit is measured again (up to
``attempts`` in all) and fails only when every attempt is over: a burst of neighbour load passes the
second look, a 2x slower path fails all of them. The best
attempt's two entries go into the benchmark session, so ``--benchmark-autosave`` writes them (with
pytest-benchmark's ``machine_info`` and ``commit_info``) and ``pytest-benchmark compare`` shows them
across commits; every attempt's ratio, the limit and the verdict are in the entries' ``extra_info``.

``TILIKBENCH_INJECT_SLOWDOWN`` (a factor, default 1) slows our side on purpose: after each call it
busy-waits (factor - 1) times the call's own CPU duration, which every gate must catch.
"""
from __future__ import annotations

import gc
import os
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass

from pytest_benchmark.fixture import BenchmarkFixture
from pytest_benchmark.stats import Metadata
from pytest_benchmark.utils import NameWrapper

SLOWDOWN_ENV = "TILIKBENCH_INJECT_SLOWDOWN"
ATTEMPTS_ENV = "TILIKBENCH_GATE_ATTEMPTS"     # caps every gate's attempts (the slowdown check needs one)


def injected_slowdown() -> float:
    try:
        factor = float(os.environ.get(SLOWDOWN_ENV, "1") or 1)
    except ValueError:
        raise ValueError(f"{SLOWDOWN_ENV} must be a number, got {os.environ[SLOWDOWN_ENV]!r}") from None
    if factor < 1:
        raise ValueError(f"{SLOWDOWN_ENV} must be >= 1, got {factor}")
    return factor


def attempts_cap() -> int | None:
    raw = os.environ.get(ATTEMPTS_ENV, "")
    if not raw:
        return None
    if not raw.isdigit() or int(raw) < 1:
        raise ValueError(f"{ATTEMPTS_ENV} must be an integer >= 1, got {raw!r}")
    return int(raw)


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


def paired_median_ratio(ours: list[float], reference: list[float]) -> float:
    """Median over rounds of ours / reference, round i of one side against round i of the other.

    Not median(ours) / median(reference): a call's CPU time flips between modes (a busy sibling
    hyperthread costs ~2x), and two medians of separate calls can land in different modes; the two
    calls of one round, back to back, see the same one.
    """
    if len(ours) != len(reference) or not ours:
        raise ValueError(f"paired rounds differ: {len(ours)} of ours, {len(reference)} of the reference")
    return statistics.median(a / max(b, 1e-12) for a, b in zip(ours, reference))


@dataclass(frozen=True)
class GateResult:
    name: str
    ours_ms: float          # pytest-benchmark's median CPU time of our side (of the best attempt)
    reference_ms: float     # the same for the reference
    ratio: float            # median per-round ours / reference (of the best attempt)
    limit: float
    rounds: int
    attempts: tuple[float, ...] = ()    # the ratio of every attempt, in order

    @property
    def ok(self) -> bool:
        return self.ratio <= self.limit

    def line(self) -> str:
        tries = "" if len(self.attempts) < 2 else f", attempts {', '.join(f'{r:.2f}' for r in self.attempts)}"
        return (f"{self.name}: ours {self.ours_ms:.3f} ms, reference {self.reference_ms:.3f} ms CPU (medians), "
                f"ratio {self.ratio:.2f} (gate <= {self.limit:.2f}, {self.rounds} rounds{tries})")


class PairedGate:
    """One gate of a test: builds pytest-benchmark fixtures for both sides on the test's benchmark session.

    ``record=False`` keeps the entries out of the session (for tests of the gate machinery itself).
    """

    def __init__(self, request, name: str, limit: float, *, record: bool = True):
        self.session = request.config._benchmarksession
        self.node = request.node
        self.name = name
        self.limit = limit
        self.record = record
        self.extra_info: dict = {}

    def _fixture(self, side: str, sink: list) -> BenchmarkFixture:
        bs = self.session
        options = dict(bs.options, timer=NameWrapper(time.process_time))
        fx = BenchmarkFixture(self.node, add_stats=sink.append, logger=bs.logger, warner=self.node.warn,
                              disabled=False, group=self.name, **options)
        fx.name = f"{self.node.name}[{side}]"
        fx.fullname = f"{self.node.nodeid}[{side}]"
        fx.param, fx.params = side, {"side": side}
        return fx

    def _attempt(self, sides: dict[str, Callable[[], object]], rounds: int) -> dict[str, Metadata]:
        """``rounds`` rounds of each side, interleaved: reference, ours | ours, reference | ...

        pytest-benchmark's ``pedantic`` times our side; the reference runs in its untimed setup (even
        rounds) or teardown (odd rounds), timed by the same timer into the reference's pytest-benchmark
        statistics. Back-to-back calls see the same machine: a neighbour on the other hyperthread or a
        clock change between two blocks of rounds halved one side's CPU time in a test run.
        """
        sink: list[Metadata] = []
        ours_fx = self._fixture("ours", sink)
        ref_fx = self._fixture("reference", sink)
        ref_meta = ref_fx._make_stats(1)     # pytest-benchmark's own entry, filled round by round below
        timer = ref_fx._timer
        state = {"round": 0}

        def reference_round() -> None:
            gc.collect()     # each call starts from the same heap; the collections it causes itself are timed
            t0 = timer()
            sides["reference"]()
            ref_meta.update(timer() - t0)

        def before() -> None:
            if state["round"] % 2 == 0:
                reference_round()
            gc.collect()

        def after(*_args) -> None:
            if state["round"] % 2 == 1:
                reference_round()
            state["round"] += 1
        ours_fx.pedantic(sides["ours"], setup=before, teardown=after, rounds=rounds)
        return {meta.fixture.name.rsplit("[", 1)[1].rstrip("]"): meta for meta in sink}

    def run(self, ours: Callable[[], object], reference: Callable[[], object], *, rounds: int = 15,
            warmup: int = 2, attempts: int = 3, slowdown: float | None = None) -> GateResult:
        if rounds < 1 or attempts < 1:
            raise ValueError(f"gate {self.name!r}: rounds and attempts must be >= 1, got {rounds} and {attempts}")
        factor = injected_slowdown() if slowdown is None else slowdown
        attempts = min(attempts, attempts_cap() or attempts)
        sides = {"ours": slowed(ours, factor), "reference": reference}
        for _ in range(warmup):
            sides["ours"]()
            sides["reference"]()
        best: tuple[float, dict[str, Metadata]] | None = None
        ratios: list[float] = []
        gc.collect()
        gc.freeze()     # the objects alive now are not scanned again: a round's collection costs what it made
        try:
            for _ in range(attempts):
                got = self._attempt(sides, rounds)
                ratio = paired_median_ratio(got["ours"].stats.data, got["reference"].stats.data)
                ratios.append(ratio)
                if best is None or ratio < best[0]:
                    best = (ratio, got)
                if best[0] <= self.limit:
                    break
        finally:
            gc.unfreeze()
        assert best is not None
        ratio, stats = best
        result = GateResult(self.name, stats["ours"].stats.median * 1000.0, stats["reference"].stats.median * 1000.0,
                            ratio, self.limit, rounds, tuple(ratios))
        info = {"gate": self.name, "ratio": round(ratio, 4), "limit": self.limit, "ok": result.ok,
                "attempts": [round(r, 4) for r in ratios], "injected_slowdown": factor,
                "load_avg": [round(x, 2) for x in os.getloadavg()], **self.extra_info}
        for meta in stats.values():
            meta.extra_info.update(info)
            if self.record:
                self.session.benchmarks.append(meta)
        return result


def check(result: GateResult) -> None:
    """Print the gate's line and fail with its figures (and the machine's load) when over the limit."""
    print(result.line())
    if not result.ok:
        load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
        raise AssertionError(f"performance gate failed: {result.line()}; machine load average {load} "
                             f"(1, 5, 15 min) on {os.cpu_count()} CPUs")
