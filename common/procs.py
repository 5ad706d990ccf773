"""Owned subprocesses: every child is started with its PID recorded, stopped by PID and reaped.

A ``ProcessSet`` also writes the PIDs it owns to a state file, so that a later
``tilikbench cameras down`` (another process) can stop exactly what an earlier ``up`` started,
and never anything else: a PID is only signalled when its start time still matches the record.
Each record also names its owner (the process that started it), so that ``reclaim_recorded`` can
tell a live owner's processes (refuse) from those a killed owner left behind (stop them).
"""
from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import psutil

from common.atomic import write_text_atomic

log = logging.getLogger(__name__)


def _create_time(pid: int) -> float | None:
    try:
        return psutil.Process(pid).create_time()
    except psutil.Error:
        return None


@dataclass
class OwnedProcess:
    name: str
    popen: subprocess.Popen
    create_time: float | None = None

    @property
    def pid(self) -> int:
        return self.popen.pid

    def alive(self) -> bool:
        return self.popen.poll() is None


def stop_pid(pid: int, create_time: float | None, timeout: float = 5.0) -> bool:
    """Stop one recorded PID (TERM, then KILL), only if it is still the process we started.

    Its children (in its own process group) are stopped with it. Returns True if it was running.
    """
    try:
        proc = psutil.Process(pid)
    except psutil.NoSuchProcess:
        return False
    if create_time is not None and abs(proc.create_time() - create_time) > 0.01:
        log.warning("pid %d was reused by another process; not touching it", pid)
        return False
    targets = [proc] + proc.children(recursive=True)
    for p in targets:
        try:
            p.send_signal(signal.SIGTERM)
        except psutil.Error:
            pass
    _, alive = psutil.wait_procs(targets, timeout=timeout)
    for p in alive:
        try:
            p.kill()
        except psutil.Error:
            pass
    psutil.wait_procs(alive, timeout=timeout)
    return True


@dataclass
class ProcessSet:
    """The subprocesses one component started. Use as a context manager: leaving it stops all."""

    state_file: Path | None = None
    procs: list[OwnedProcess] = field(default_factory=list)

    def start(self, name: str, args: list[str], **kwargs) -> OwnedProcess:
        kwargs.setdefault("start_new_session", True)
        popen = subprocess.Popen(args, **kwargs)
        owned = OwnedProcess(name, popen, _create_time(popen.pid))
        self.procs.append(owned)
        log.debug("started %s pid=%d: %s", name, popen.pid, " ".join(map(str, args)))
        self._save()
        return owned

    def _save(self) -> None:
        if self.state_file is None:
            return
        owner = {"owner_pid": os.getpid(), "owner_create_time": _create_time(os.getpid())}
        write_text_atomic(self.state_file, json.dumps(
            [{"name": p.name, "pid": p.pid, "create_time": p.create_time, **owner} for p in self.procs if p.alive()]
        ))

    def stop(self, owned: OwnedProcess, timeout: float = 5.0) -> None:
        """Stop one process of this set by its PID, reap it and forget it."""
        if owned.alive():
            stop_pid(owned.pid, owned.create_time, timeout)
        owned.popen.wait()
        if owned in self.procs:
            self.procs.remove(owned)
            self._save()

    def stop_all(self, timeout: float = 5.0) -> None:
        for p in reversed(self.procs):
            if p.alive():
                stop_pid(p.pid, p.create_time, timeout)
            try:
                p.popen.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                p.popen.kill()
                p.popen.wait()
        self.procs.clear()
        if self.state_file is not None and self.state_file.exists():
            self.state_file.unlink()

    def __enter__(self) -> "ProcessSet":
        return self

    def __exit__(self, *exc) -> None:
        self.stop_all()


def stop_recorded(state_file: Path, timeout: float = 5.0) -> int:
    """Stop every process recorded in a ProcessSet state file (from another process). Returns how many."""
    if not state_file.exists():
        return 0
    records = json.loads(state_file.read_text() or "[]")
    stopped = sum(stop_pid(r["pid"], r.get("create_time"), timeout) for r in records)
    state_file.unlink()
    return stopped


def _alive_as_recorded(pid, create_time) -> bool:
    try:
        p = psutil.Process(int(pid))
        return (create_time is None or abs(p.create_time() - float(create_time)) < 0.01) \
            and p.status() != psutil.STATUS_ZOMBIE
    except (psutil.Error, TypeError, ValueError):
        return False


def reclaim_recorded(state_file: Path, what: str) -> int:
    """Before starting ``what`` on ``state_file``: refuse (ResourceError) while the owner of its recorded
    processes lives; otherwise stop what a dead owner left running. Returns how many were stopped."""
    from common.errors import ResourceError
    try:
        records = json.loads(state_file.read_text() or "[]")
    except (OSError, ValueError):
        return 0
    for r in records:
        owner = r.get("owner_pid")
        if owner is not None and owner != os.getpid() and _alive_as_recorded(r["pid"], r.get("create_time")) \
                and _alive_as_recorded(owner, r.get("owner_create_time")):
            raise ResourceError(f"{what} is already running (pid {owner}); stop it first", where=str(state_file))
    n = stop_recorded(state_file)
    if n:
        log.warning("stopped %d process(es) left by a %s whose owner died", n, what)
    return n


def wait_for(predicate, timeout: float, interval: float = 0.1, what: str = "condition") -> None:
    """Poll ``predicate`` until true or raise TimeoutError naming ``what``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(interval)
    raise TimeoutError(f"timed out after {timeout:.1f}s waiting for {what}")
