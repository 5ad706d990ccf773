"""A run killed with SIGKILL stops nothing; the next `tilikbench run` on the same results folder stops what
it left running (its camera server, ingest workers, portal, Locust) by recorded PID."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from benchmarks.runner.leftovers import PROCESS_RECORDS, RUNS_DIR, reclaim_dead_runs, registered_run
from common.procs import stop_pid
from tests.fake_cameras.fleet_helpers import alive

REPO = Path(__file__).resolve().parents[2]


def _records(out: Path) -> list[tuple[int, float]]:
    recs = []
    for name in PROCESS_RECORDS:
        for f in out.rglob(name):
            try:
                recs += [(r["pid"], r["create_time"]) for r in json.loads(f.read_text() or "[]")]
            except (OSError, ValueError):
                pass                         # being rewritten: read again on the next poll
    return recs


def test_the_next_run_stops_what_a_killed_run_left_running(tmp_path):
    out = tmp_path / "results"
    run = subprocess.Popen([sys.executable, "-m", "benchmarks.cli", "run", "scenarios/smoke.yaml", "--free-ports",
                            "--out", str(out), "--step-seconds", "120", "--warmup-seconds", "0",
                            "--no-city-scale", "--no-model-check"],
                           cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    left: list[tuple[int, float]] = []
    try:
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline and run.poll() is None:
            names = {f.name for n in PROCESS_RECORDS for f in out.rglob(n)}
            if {"cameras-procs.json", "stack-procs.json"} <= names and len(alive(_records(out))) >= 2:
                break
            time.sleep(0.5)
        assert run.poll() is None, "the run ended before its parts were up"
        left = _records(out)
        os.kill(run.pid, signal.SIGKILL)
        run.wait(timeout=10)
        assert len(alive(left)) >= 2, "a SIGKILLed run's camera server and workers keep running"
        assert list((out / RUNS_DIR).glob("*.json")), "the killed run's registration stays behind"
        bad = tmp_path / "bad.yaml"
        bad.write_text("name: x\n")
        nxt = subprocess.run([sys.executable, "-m", "benchmarks.cli", "run", str(bad), "--out", str(out)],
                             cwd=REPO, capture_output=True, text=True, timeout=120)
        assert "process(es) that a killed run had left running" in nxt.stdout, nxt.stdout + nxt.stderr
        deadline = time.monotonic() + 10
        while alive(left) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert alive(left) == [] and not list((out / RUNS_DIR).glob("*.json"))
    finally:
        if run.poll() is None:
            run.kill()
            run.wait()
        for pid, ctime in left + _records(out):
            stop_pid(pid, ctime, timeout=2)


def test_a_live_run_is_left_alone_and_a_finished_one_deregisters(tmp_path):
    out = tmp_path / "results"
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        import psutil
        (out / "r1" / "stack").mkdir(parents=True)
        rec = [{"pid": child.pid, "create_time": psutil.Process(child.pid).create_time()}]
        (out / "r1" / "stack" / "stack-procs.json").write_text(json.dumps(rec))
        with registered_run(out, out / "r1") as marker:          # this process: alive, so not reclaimed
            assert reclaim_dead_runs(out) == 0 and child.poll() is None and marker.is_file()
        assert not marker.exists()                                # ended: the record is gone
        assert reclaim_dead_runs(out) == 0 and child.poll() is None
    finally:
        child.kill()
        child.wait()
