"""What a killed run leaves running, and cleaning it up at the next run.

A run's parts record every process they start (``ProcessSet`` state files in the run's folder), and
stop them when the run ends, even on Ctrl-C. A run killed with SIGKILL stops nothing: its camera server,
ingest workers, portal and Locust keep running. So ``tilikbench run`` registers itself in
``OUT/.runs/`` (its PID and start time, and the folder its parts record into) and removes the record
when it ends; the next ``tilikbench run`` on the same OUT finds a record whose owner is gone and stops
every process that run's parts recorded (by PID, and only while the PID's start time still matches the
record) before it starts anything. Runs that are alive are left alone: two runs may share one OUT.
"""
from __future__ import annotations

import contextlib
import json
import logging
import os
from collections.abc import Iterator
from pathlib import Path

import psutil

from common.procs import stop_recorded
from common.resultmeta import write_json_atomic

log = logging.getLogger(__name__)

RUNS_DIR = ".runs"
# the state files in which the run's parts record their processes (fleet, stack, portal, Locust)
PROCESS_RECORDS = ("cameras-procs.json", "stack-procs.json", "portal.pids", "locust.pids")


def _alive(pid: object, create_time: object) -> bool:
    try:
        p = psutil.Process(int(pid))  # type: ignore[call-overload]
        return abs(p.create_time() - float(create_time)) < 0.01 and p.status() != psutil.STATUS_ZOMBIE  # type: ignore[arg-type]
    except (psutil.Error, TypeError, ValueError):
        return False


@contextlib.contextmanager
def registered_run(out_dir: Path, run_root: Path) -> Iterator[Path]:
    """Record this process as the owner of ``run_root`` while the block runs."""
    me = psutil.Process()
    marker = Path(out_dir) / RUNS_DIR / f"{me.pid}-{int(me.create_time() * 1000)}.json"
    write_json_atomic(marker, {"owner_pid": me.pid, "owner_create_time": me.create_time(),
                               "run_root": str(Path(run_root).resolve())})
    try:
        yield marker
    finally:
        marker.unlink(missing_ok=True)


def reclaim_dead_runs(out_dir: Path) -> int:
    """Stop what runs registered in ``out_dir`` left running when their owner died; returns how many
    processes were stopped. Records of live runs are kept; unreadable records are removed."""
    stopped = 0
    for marker in sorted((Path(out_dir) / RUNS_DIR).glob("*.json")):
        try:
            rec = json.loads(marker.read_text())
            owner, ctime, root = rec["owner_pid"], rec["owner_create_time"], Path(rec["run_root"])
        except (OSError, ValueError, KeyError, TypeError):
            log.warning("removing an unreadable run record %s", marker)
            marker.unlink(missing_ok=True)
            continue
        if owner == os.getpid() or _alive(owner, ctime):
            continue
        n = 0
        if root.is_dir():
            for name in PROCESS_RECORDS:
                for state_file in sorted(root.rglob(name)):
                    try:
                        n += stop_recorded(state_file)
                    except (OSError, ValueError, KeyError, TypeError) as e:
                        log.warning("cannot read the process records %s (%s); left as they are", state_file, e)
        marker.unlink(missing_ok=True)
        if n:
            log.warning("stopped %d process(es) left running by the run in %s (pid %s, killed)", n, root, owner)
        stopped += n
    return stopped
