"""The parts a run drives, each behind one small adapter: start, set the step's load, measure, stop.

An adapter records the PIDs its part started (the new children of this process after ``start``, plus
what the part itself reports), so the runner measures each part's CPU and memory and stops
everything by PID. Adapters for parts a scenario does not declare are simply not created.
"""
from __future__ import annotations

import logging
import os
from typing import Any

import psutil

from benchmarks.runconfig import StepLoad
from benchmarks.runner.context import RunContext

log = logging.getLogger(__name__)


def _children() -> set[int]:
    try:
        return {c.pid for c in psutil.Process().children(recursive=True)}
    except psutil.Error:
        return set()


class Component:
    """Base adapter. Subclasses implement ``_start`` and ``_stop``; every other hook is declared here
    with a default that does nothing, so the runner calls each hook on every component without probing."""

    name = "component"

    def __init__(self) -> None:
        self._pids: list[int] = []
        self._ctimes: dict[int, float] = {}
        self.started = False

    def start(self, ctx: RunContext, peak: StepLoad) -> None:
        before = _children()
        self._start(ctx, peak)
        self.started = True
        self._pids = sorted(_children() - before)
        self._ctimes = {}
        for pid in self._pids:
            try:
                self._ctimes[pid] = psutil.Process(pid).create_time()
            except psutil.Error:
                pass
        log.info("%s started, pids %s", self.name, self._pids)

    def pids(self) -> list[int]:
        return [p for p in self._pids if psutil.pid_exists(p)]

    def stop(self) -> None:
        if not self.started:
            return
        try:
            self._stop()
        finally:
            self.started = False
            from common.procs import stop_pid
            for pid in self._pids:                 # anything the part left behind, by recorded PID
                if psutil.pid_exists(pid) and pid != os.getpid():
                    log.warning("%s: pid %d still running after stop; stopping it", self.name, pid)
                    stop_pid(pid, self._ctimes.get(pid))

    # -- to implement --
    def _start(self, ctx: RunContext, peak: StepLoad) -> None:
        raise NotImplementedError

    def apply(self, load: StepLoad, ctx: RunContext) -> None:
        """Set the step's load (cameras online, sampling fps, viewers)."""

    def begin_trial(self, ctx: RunContext) -> None:
        """Called at the start of each measured trial."""

    def set_trial_duration(self, seconds: float) -> None:
        """The length of each measured trial of the coming step (before its first trial)."""

    def measure(self, ctx: RunContext, duration_s: float) -> dict[str, Any]:
        """Metrics of the trial that just ended."""
        return {}

    def measured_costs(self) -> dict[str, Any]:
        """Costs this part measured over the whole run, in the simulator's calibration shape (lists under
        ``decode_ms``, ``detector_ms``, ``portal_ms``, ...); merged into the run's ``measured_costs``."""
        return {}

    def hosts(self) -> list[dict[str, Any]]:
        """The other hosts this part runs on (name, role, address), for the results' ``hosts``; none
        for a part that runs here."""
        return []

    def measured_by_pid(self) -> bool:
        """Whether the runner measures this part's CPU and memory by its PIDs (False: the part reports
        them itself, e.g. a system observed only through its metrics)."""
        return True

    def _stop(self) -> None:
        raise NotImplementedError
