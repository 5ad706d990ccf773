"""End to end on scenarios/smoke.yaml: `tilikbench run` with the real camera farm (and whatever other
parts are wired), results and report written; Ctrl-C keeps a partial, reportable run; nothing leaks."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

REPO = Path(__file__).resolve().parents[2]
SMOKE = REPO / "scenarios" / "smoke.yaml"

pytest.importorskip("fake_cameras.fleet")


def _cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "benchmarks.cli", *args]


def _descendants(pid: int) -> set[int]:
    try:
        return {c.pid for c in psutil.Process(pid).children(recursive=True)}
    except psutil.Error:
        return set()


def _gone(pids: set[int]) -> list[int]:
    alive = []
    for pid in pids:
        try:
            if psutil.Process(pid).status() != psutil.STATUS_ZOMBIE:
                alive.append(pid)
        except psutil.NoSuchProcess:
            pass
    return alive


def test_smoke_run_end_to_end(tmp_path):
    p = subprocess.Popen(_cli("run", str(SMOKE), "--out", str(tmp_path), "--run-id", "smoke",
                              "--free-ports", "--step-seconds", "2", "--warmup-seconds", "1", "--no-city-scale"),
                         cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    seen: set[int] = set()
    lines = []
    for line in p.stdout:
        lines.append(line)
        seen |= _descendants(p.pid)
    assert p.wait(timeout=300) == 0, "".join(lines)
    out = "".join(lines)
    assert "step 1/2: cameras=2" in out and "trial 2/2" in out
    data = json.loads((tmp_path / "smoke" / "results.json").read_text())
    assert data["complete"] is True and data["wired"]["fleet"] == "wired"
    assert len(data["steps"]) >= 1
    m = data["steps"][0]["trials"][0]["metrics"]
    assert m["cameras_ready"] == 2 and m["stream_loss"] == 0.0 and m["rss_mb.fleet"] > 5
    if data["wired"].get("stack") == "wired":   # accuracy under load: both atcs cameras scored, silent or not
        assert m["event_cameras"] == 2 and "event_cameras_silent" in m
    assert seen and not _gone(seen), "every process the run started is stopped"
    r = subprocess.run(_cli("report", str(tmp_path / "smoke"), "--lang", "id"), cwd=REPO,
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "smoke" / "report.id.html").stat().st_size > 10_000


def test_ctrl_c_stops_cleanly_and_keeps_a_reportable_partial_run(tmp_path):
    p = subprocess.Popen(_cli("run", str(SMOKE), "--out", str(tmp_path), "--run-id", "cut",
                              "--free-ports", "--step-seconds", "30", "--warmup-seconds", "0", "--no-city-scale"),
                         cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    seen: set[int] = set()
    lines = []
    deadline = time.monotonic() + 240
    for line in p.stdout:
        lines.append(line)
        seen |= _descendants(p.pid)
        if line.startswith("step 1/"):
            time.sleep(1.0)
            seen |= _descendants(p.pid)
            os.kill(p.pid, signal.SIGINT)
            break
        assert time.monotonic() < deadline, "".join(lines)
    rest, _ = p.communicate(timeout=120)
    out = "".join(lines) + rest
    assert p.returncode == 130, out
    assert "interrupted" in out and "still reportable" in out
    data = json.loads((tmp_path / "cut" / "results.json").read_text())
    assert data["complete"] is False and data["steps"][0]["trials"][0]["partial"] is True
    assert seen and not _gone(seen), "every process the run started is stopped"
    r = subprocess.run(_cli("report", str(tmp_path / "cut")), cwd=REPO, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert "PARTIAL RUN" in (tmp_path / "cut" / "report.en.html").read_text()
