"""The CI performance gates catch a deliberate 2x slowdown (and pass without one)."""
from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from benchmarks.micro.gate import SLOWDOWN_ENV, paired_ratio, slowed

REPO = Path(__file__).resolve().parents[2]


def work():
    return sum(i * i for i in range(20000))


def _cpu(fn, calls: int = 5) -> float:
    t0 = time.process_time()
    for _ in range(calls):
        fn()
    return time.process_time() - t0


def test_slowed_doubles_cpu_time():
    # paired rounds, median ratio: a few ms of process CPU is noisy when other threads of the process run
    ratios = sorted(_cpu(slowed(work, 2.0)) / _cpu(work) for _ in range(9))
    assert 1.6 < ratios[len(ratios) // 2] < 2.6


def test_same_run_ratio_of_equal_work_is_near_one_and_slowdown_crosses_the_gate(monkeypatch):
    monkeypatch.delenv(SLOWDOWN_ENV, raising=False)
    assert paired_ratio("same", work, work, limit=1.5, rounds=9).ok
    slow = paired_ratio("same", work, work, limit=1.5, rounds=9, slowdown=2.0)
    assert not slow.ok and 1.6 < slow.ratio < 2.6


def test_every_gate_fails_under_an_injected_2x_slowdown():
    """``--inject-slowdown 2`` (which sets TILIKBENCH_INJECT_SLOWDOWN for the gates) fails all four."""
    env = {k: v for k, v in os.environ.items() if k != SLOWDOWN_ENV}
    args = [sys.executable, "-m", "pytest", "-q", "-p", "no:randomly", "-p", "no:cacheprovider",
            "--benchmark-disable", "benchmarks/micro", "--inject-slowdown=2"]
    out = subprocess.run(args, cwd=REPO, capture_output=True, text=True, timeout=240, env=env)
    text = out.stdout + out.stderr
    assert out.returncode == 1, text
    assert text.count("performance gate failed") >= 4, text
    assert "4 failed" in text, text


def test_a_burst_passes_on_the_next_attempt_and_a_steady_slowdown_fails_every_attempt(monkeypatch):
    monkeypatch.delenv(SLOWDOWN_ENV, raising=False)
    calls = {"n": 0}

    def bursty():
        calls["n"] += 1     # three times the work during the warm-up and the first attempt's 9 rounds
        for _ in range(3 if calls["n"] <= 11 else 1):
            work()
    burst = paired_ratio("burst", bursty, work, limit=1.5, rounds=9, attempts=3)
    assert burst.ok and len(burst.attempts) == 2, burst.line()
    assert burst.attempts[0] > 1.5 >= burst.attempts[1]
    steady = paired_ratio("steady", work, work, limit=1.5, rounds=9, attempts=3, slowdown=2.0)
    assert not steady.ok and len(steady.attempts) == 3 and min(steady.attempts) > 1.5, steady.line()
    assert "attempts" in steady.line()
