"""A CPU budget emulates a smaller machine: the same CPU work takes longer inside it, and everything the
attached process starts stays inside. Measured as CPU-time / wall-time shares of one workload, side by
side in one test, so other load on the machine moves both sides alike."""
from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import textwrap

import pytest

from common.cpubudget import CpuBudget, find_cgroup_cpu
from common.errors import InputError

# Two processes (the parent and a child it forks) each burn WORK_S of CPU time; prints CPU and wall time.
# Both budgets reserve their cores (a high weight), so that a neighbour's work on this shared machine
# takes little of the one core: what is compared is the cap, not the neighbours.
WORK_S = 0.6
WORKLOAD = textwrap.dedent(f"""\
    import json, os, sys, time
    sys.stdin.readline()                       # wait until the test has put us in the budget
    def burn():
        end = time.process_time() + {WORK_S}
        while time.process_time() < end:
            pass
    t0 = time.perf_counter()
    pid = os.fork()
    burn()
    if pid == 0:
        os._exit(0)
    os.waitpid(pid, 0)
    wall = time.perf_counter() - t0
    cpu = sum(os.times()[:4])
    print(json.dumps({{"wall": wall, "cpu": cpu}}))
    """)

needs_cgroup = pytest.mark.skipif(find_cgroup_cpu()[0] is None, reason="no writable cgroup cpu controller")


def _run(cpus: float) -> dict:
    with CpuBudget(cpus, weight=1000) as budget:
        p = subprocess.Popen([sys.executable, "-c", WORKLOAD], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             text=True)
        try:
            budget.attach(p.pid)
            out, _ = p.communicate("go\n", timeout=60)
        finally:
            if p.poll() is None:
                p.kill()
                p.wait()
        m = json.loads(out)
        m["throttling"] = budget.throttling() if budget.fractional else {}
        m["share"] = m["cpu"] / m["wall"]
        group = budget.group
    assert group is None or not group.exists(), "the budget's cgroup must be removed on leaving"
    return m


@needs_cgroup
def test_half_a_core_takes_about_twice_as_long_as_one_core():
    runs = {0.5: [], 1.0: []}
    for _ in range(3):                        # interleaved, so a neighbour's burst hits both sides
        for cpus in runs:
            runs[cpus].append(_run(cpus))
    half, one = runs[0.5], runs[1.0]
    # the quota is a hard cap: never more than half a core of CPU per second of wall time
    assert all(r["share"] <= 0.56 for r in half), half
    assert all(r["throttling"]["throttled_periods"] > 0 for r in half)
    # affinity to one core: the two processes share it, never more than one core in all
    assert all(r["share"] <= 1.05 for r in one), one
    ratio = statistics.median(h["wall"] for h in half) / statistics.median(o["wall"] for o in one)
    # the same CPU work at half the CPU per second: about twice the wall time
    assert 1.6 <= ratio <= 2.4, (ratio, runs)


@needs_cgroup
def test_the_group_is_removed_when_the_body_fails():
    budget = CpuBudget(0.5)
    with pytest.raises(RuntimeError), budget:
        group = budget.group
        assert group is not None and group.is_dir()
        raise RuntimeError("boom")
    assert not group.exists()


def test_whole_cores_need_no_cgroup_and_a_budget_larger_than_the_machine_is_refused():
    budget = CpuBudget(1)
    assert not budget.fractional and budget.describe()["quota_us"] is None
    # a child of its own: attaching the test process would pin every process and thread it has
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        with budget:
            assert budget.group is None
            assert budget.attach(child.pid) == [child.pid]
            assert os.sched_getaffinity(child.pid) == set(budget.cores)
    finally:
        child.kill()
        child.wait()
    with pytest.raises(InputError, match="more than this machine gives"):
        CpuBudget(len(os.sched_getaffinity(0)) + 1)
