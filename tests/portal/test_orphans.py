"""After ``kill -9`` of a ``portal up`` or ``cameras up``, what it started keeps running (its own
session); the next command of the same kind stops exactly those processes (by recorded PID and start
time), ``portal down`` does too, and a second ``portal up`` on a live state dir is refused."""
from __future__ import annotations

import copy
import json
import os
import signal
import subprocess
import sys
import urllib.request
from pathlib import Path

import psutil
import pytest
import yaml

from common.netguard import free_port
from common.procs import wait_for

REPO = Path(__file__).resolve().parents[2]


def scenario(tmp: Path) -> Path:
    sc = copy.deepcopy(yaml.safe_load((REPO / "scenarios" / "smoke.yaml").read_text()))
    sc["cameras"].update(rtsp_port=free_port(), api_port=free_port(), impairments=[])
    sc["portal"].update(port=free_port(), workers=1, state_dir=str(tmp / "portal-state"))
    path = tmp / "scenario.yaml"
    path.write_text(yaml.safe_dump(sc))
    return path


# ``tilikbench portal|cameras ...`` as a parent process, through the command modules' own parsers (the
# full CLI would also import every other command: seconds per start on a loaded machine)
_ENTRY = ("import argparse, sys, importlib\n"
          "parser = argparse.ArgumentParser()\n"
          "importlib.import_module('benchmarks.commands.' + sys.argv[1]).register(parser.add_subparsers())\n"
          "args = parser.parse_args(sys.argv[1:])\n"
          "sys.exit(args.func(args))\n")


def tilikbench(*args: str) -> subprocess.Popen:
    env = dict(os.environ, PYTHONPATH=str(REPO))
    return subprocess.Popen([sys.executable, "-c", _ENTRY, *args], cwd=REPO, env=env, stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


@pytest.fixture
def cli_here(capsys):
    """The CLI in this process (its SIGTERM handler is put back afterwards); returns (code, out + err)."""
    from benchmarks.cli import main
    saved = signal.getsignal(signal.SIGTERM)

    def run(*argv: str) -> tuple[int, str]:
        try:
            code = main(list(argv))
        finally:
            signal.signal(signal.SIGTERM, saved)
        out, err = capsys.readouterr()
        return code, out + err
    return run


def healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(url + "/health", timeout=2) as r:
            return r.status == 200
    except OSError:
        return False


def recorded_pids(pids_file: Path) -> list[int]:
    return [r["pid"] for r in json.loads(pids_file.read_text())]


def alive(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def kill_9(proc: subprocess.Popen) -> None:
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()


def test_portal_after_kill_9_is_cleaned_up_by_down_and_by_the_next_up(tmp_path, cli_here):
    scen = scenario(tmp_path)
    sc = yaml.safe_load(scen.read_text())
    url, state = f"http://127.0.0.1:{sc['portal']['port']}", Path(sc["portal"]["state_dir"])
    up_args = ("portal", "up", str(scen), "--cameras-running", "--state-dir", str(tmp_path / "fleet"))
    parents = [tilikbench(*up_args)]
    try:
        wait_for(lambda: healthy(url), 120, what="portal up")
        code, out = cli_here(*up_args, "--duration", "1")       # its owner is alive: refused, clearly
        assert code == 4 and "already up" in out and "portal down" in out, out
        orphans = recorded_pids(state / "portal.pids")
        kill_9(parents[0])
        assert all(alive(p) for p in orphans) and healthy(url)  # what kill -9 leaves serving
        code, out = cli_here("portal", "down", str(scen))
        assert code == 0 and "stopped" in out, out
        assert not any(alive(p) for p in orphans) and not healthy(url)

        parents.append(tilikbench(*up_args))
        wait_for(lambda: healthy(url), 120, what="portal up")
        orphans = recorded_pids(state / "portal.pids")
        kill_9(parents[1])
        code, out = cli_here(*up_args, "--duration", "0.5")     # the next `portal up` cleans up, then runs
        assert code == 0 and "portal up at" in out, out
        assert not any(alive(p) for p in orphans) and not (state / "portal.json").exists()
    finally:
        for p in parents:
            if p.poll() is None:
                kill_9(p)
        cli_here("portal", "down", str(scen))


def test_cameras_after_kill_9_are_cleaned_up_by_the_next_up(tmp_path, cli_here):
    scen = scenario(tmp_path)
    state = tmp_path / "fleet"
    first = tilikbench("cameras", "up", str(scen), "--state-dir", str(state))
    try:
        wait_for(lambda: (state / "cameras.json").exists(), 120, what="cameras up")
        orphans = recorded_pids(state / "cameras-procs.json")
        kill_9(first)
        assert orphans and all(alive(p) for p in orphans)
        code, out = cli_here("cameras", "up", str(scen), "--state-dir", str(state), "--duration", "0.5")
        assert code == 0 and "cameras up" in out, out
        assert not any(alive(p) for p in orphans)
    finally:
        if first.poll() is None:
            kill_9(first)
        cli_here("cameras", "down", "--state-dir", str(state))


def test_recorded_processes_of_a_killed_owner_are_reclaimed_and_a_live_owner_is_refused(tmp_path):
    """The same mechanism for any owner of a ProcessSet state file (``stack up`` uses it)."""
    from common.errors import ResourceError
    from common.procs import reclaim_recorded
    state = tmp_path / "procs.json"
    owner = subprocess.Popen([sys.executable, "-c", (
        "import sys, time\nfrom pathlib import Path\nfrom common.procs import ProcessSet\n"
        "ProcessSet(state_file=Path(sys.argv[1])).start('sleeper', ['sleep', '120'])\n"
        "print('up', flush=True)\ntime.sleep(120)\n"), str(state)],
        cwd=REPO, env=dict(os.environ, PYTHONPATH=str(REPO)), stdout=subprocess.PIPE, text=True)
    try:
        assert owner.stdout.readline().strip() == "up"
        sleeper = recorded_pids(state)
        with pytest.raises(ResourceError, match="already running"):
            reclaim_recorded(state, "test set")
        kill_9(owner)
        assert all(alive(p) for p in sleeper)
        assert reclaim_recorded(state, "test set") == 1
        assert not any(alive(p) for p in sleeper) and not state.exists()
    finally:
        if owner.poll() is None:
            kill_9(owner)
        reclaim_recorded(state, "test set")
