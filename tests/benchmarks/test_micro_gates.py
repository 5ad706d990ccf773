"""The CI performance gates: timed by pytest-benchmark, they catch a deliberate 2x slowdown (and pass
without one), retry a burst of noise, and save runs that ``pytest-benchmark compare`` reads."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from benchmarks.micro.gate import ATTEMPTS_ENV, SLOWDOWN_ENV, PairedGate, slowed

REPO = Path(__file__).resolve().parents[2]
BENCH_CLI = Path(sys.executable).with_name("pytest-benchmark")


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


def test_same_run_ratio_of_equal_work_is_near_one_and_slowdown_crosses_the_gate(request, monkeypatch):
    monkeypatch.delenv(SLOWDOWN_ENV, raising=False)
    same = PairedGate(request, "same", 1.5, record=False).run(work, work, rounds=9)
    assert same.ok, same.line()
    slow = PairedGate(request, "same", 1.5, record=False).run(work, work, rounds=9, slowdown=2.0)
    assert not slow.ok and 1.6 < slow.ratio < 2.6, slow.line()


def test_a_burst_passes_on_the_next_attempt_and_a_steady_slowdown_fails_every_attempt(request, monkeypatch):
    monkeypatch.delenv(SLOWDOWN_ENV, raising=False)
    calls = {"n": 0}

    def bursty():
        calls["n"] += 1     # three times the work during the warm-up and the first attempt's 9 rounds
        for _ in range(3 if calls["n"] <= 11 else 1):
            work()
    burst = PairedGate(request, "burst", 1.5, record=False).run(bursty, work, rounds=9, attempts=3)
    assert burst.ok and len(burst.attempts) == 2, burst.line()
    assert burst.attempts[0] > 1.5 >= burst.attempts[1]
    steady = PairedGate(request, "steady", 1.5, record=False).run(work, work, rounds=9, attempts=3, slowdown=2.0)
    assert not steady.ok and len(steady.attempts) == 3 and min(steady.attempts) > 1.5, steady.line()
    assert "attempts" in steady.line()


def _gates(storage: Path, *extra: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in (SLOWDOWN_ENV, ATTEMPTS_ENV)}
    args = [sys.executable, "-m", "pytest", "-q", "-p", "no:randomly", "-p", "no:cacheprovider",
            f"--benchmark-storage=file://{storage}", "benchmarks/micro", *extra]
    return subprocess.run(args, cwd=REPO, capture_output=True, text=True, timeout=600, env=env, check=False)


@pytest.fixture(scope="module")
def two_saved_runs(tmp_path_factory):
    """Run 1: every gate under ``--inject-slowdown 2``, one attempt each (retries are tested above: a 2x
    slower path fails every attempt); run 2: the portal gate as it is. Both autosaved."""
    storage = tmp_path_factory.mktemp("benchmarks")
    slowed_run = _gates(storage, "--inject-slowdown=2", "--gate-attempts=1")
    plain_run = _gates(storage, "-k", "portal")
    saved = sorted(storage.glob("*/*.json"))
    return storage, slowed_run, plain_run, saved


def test_every_gate_fails_under_an_injected_2x_slowdown(two_saved_runs):
    """``--inject-slowdown 2`` (which sets TILIKBENCH_INJECT_SLOWDOWN for the gates) fails all four."""
    _, out, _, _ = two_saved_runs
    text = out.stdout + out.stderr
    assert out.returncode == 1, text
    assert text.count("performance gate failed") >= 4, text
    assert "4 failed" in text, text


def test_gate_runs_are_saved_with_machine_and_commit_info_and_compare_across_runs(two_saved_runs):
    storage, _, plain_run, saved = two_saved_runs
    assert plain_run.returncode == 0, plain_run.stdout + plain_run.stderr
    assert len(saved) == 2, saved
    first = json.loads(saved[0].read_text())
    assert first["machine_info"]["cpu"] and first["commit_info"]["id"]
    entries = {b["name"]: b for b in first["benchmarks"]}
    assert {"test_decode_gate[ours]", "test_decode_gate[reference]", "test_detector_gate[ours]",
            "test_portal_request_gate[reference]", "test_aggregated_simulator_events_gate[ours]"} <= entries.keys()
    ours = entries["test_portal_request_gate[ours]"]
    assert ours["extra_info"]["injected_slowdown"] == 2.0 and ours["extra_info"]["ok"] is False
    assert ours["extra_info"]["ratio"] > ours["extra_info"]["limit"]      # the per-round ratio the gate judged
    assert ours["stats"]["median"] > 1.5 * entries["test_portal_request_gate[reference]"]["stats"]["median"]
    out = subprocess.run([str(BENCH_CLI), "--storage", f"file://{storage}", "compare", *map(str, saved),
                          "--group-by=name", "--columns=median,rounds"],
                         cwd=REPO, capture_output=True, text=True, timeout=60, check=False,
                         env={**os.environ, "COLUMNS": "200"})
    assert out.returncode == 0, out.stdout + out.stderr
    rows = [line for line in out.stdout.splitlines() if "test_portal_request_gate[ours]" in line]
    assert any("(0001_" in r for r in rows) and any("(0002_" in r for r in rows), "\n".join(rows) or out.stdout[-3000:]
