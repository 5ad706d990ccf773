"""A CPU budget: emulated hardware of ``cpus`` cores for the processes put inside it.

Whole cores come from CPU affinity (the first ``ceil(cpus)`` cores this process may use); a fractional
budget adds a CFS quota through the cgroup ``cpu`` controller: ``quota = cpus x period`` of CPU time per
period over all the group's threads (0.5 cores: 50 ms in every 100 ms). cgroup v1 (``cpu.cfs_quota_us``,
``cpu.cfs_period_us``) and v2 (``cpu.max``) are both supported, whichever is mounted writable with the
``cpu`` controller; when neither is, entering a fractional budget raises ``UnavailableError`` saying so.

Use it as a context manager: entering creates the group (``tilikbench-<pid>-<n>`` under the controller's
root), :meth:`attach` moves a process, its threads and its current descendants in (affinity and group),
and leaving moves any process still inside back to the parent group and removes the group, also when the
body raised. Processes started later by a process inside inherit both the affinity and the group.

``weight`` (cgroup v2 ``cpu.weight`` scale, 100 = a default process group) reserves the budget against the
rest of the machine: a group of weight 800 gets 8 times the CPU of a default competitor on its cores. It
makes a group even for whole cores. Without it the budget only caps, and a busy neighbour takes its part.
"""
from __future__ import annotations

import itertools
import logging
import math
import os
from dataclasses import dataclass
from pathlib import Path

import psutil

from common.errors import InputError, UnavailableError

log = logging.getLogger(__name__)

PERIOD_US = 100_000
_counter = itertools.count()


@dataclass(frozen=True)
class CgroupCpu:
    """Where the ``cpu`` controller can be written: its root directory and version (1 or 2)."""

    root: Path
    version: int


def _mounts() -> list[tuple[str, str, str]]:
    out = []
    try:
        for line in Path("/proc/mounts").read_text().splitlines():
            parts = line.split()
            if len(parts) >= 4:
                out.append((parts[1], parts[2], parts[3]))
    except OSError:
        pass
    return out


def find_cgroup_cpu() -> tuple[CgroupCpu | None, list[str]]:
    """The writable cgroup cpu controller (v1 first, then v2), and why each candidate was refused."""
    why: list[str] = []
    for mount, fstype, opts in _mounts():
        if fstype == "cgroup" and "cpu" in opts.split(","):
            root = Path(mount)
            if (root / "cpu.cfs_quota_us").exists() and os.access(root, os.W_OK):
                return CgroupCpu(root, 1), why
            why.append(f"{mount} (cgroup v1 cpu): not writable")
    for mount, fstype, _ in _mounts():
        if fstype == "cgroup2":
            root = Path(mount)
            try:
                controllers = (root / "cgroup.subtree_control").read_text().split()
            except OSError:
                controllers = []
            if "cpu" not in controllers:
                why.append(f"{mount} (cgroup v2): the cpu controller is not enabled in cgroup.subtree_control")
            elif not os.access(root, os.W_OK):
                why.append(f"{mount} (cgroup v2): not writable")
            else:
                return CgroupCpu(root, 2), why
    if not why:
        why.append("no cgroup filesystem is mounted")
    return None, why


def _tids(pid: int) -> list[int]:
    try:
        return [int(t) for t in os.listdir(f"/proc/{pid}/task")]
    except OSError:
        return []


class CpuBudget:
    """``cpus`` cores for the processes attached to it (see the module docstring)."""

    def __init__(self, cpus: float, *, period_us: int = PERIOD_US, weight: int | None = None) -> None:
        allowed = sorted(os.sched_getaffinity(0))
        if not cpus > 0:
            raise InputError(f"a CPU budget must be > 0 cores, got {cpus:g}", where="run.hardware.cpus")
        if cpus > len(allowed):
            raise InputError(f"a CPU budget of {cpus:g} cores is more than this machine gives "
                             f"({len(allowed)} cores)", where="run.hardware.cpus")
        self.cpus = float(cpus)
        self.cores = allowed[:math.ceil(self.cpus)]
        self.period_us = period_us
        self.quota_us = round(self.cpus * period_us) if not float(self.cpus).is_integer() else None
        self.weight = weight
        self.group: Path | None = None
        self.cgroup: CgroupCpu | None = None

    @property
    def fractional(self) -> bool:
        return self.quota_us is not None

    @property
    def needs_group(self) -> bool:
        return self.fractional or self.weight is not None

    def describe(self) -> dict:
        """The budget as results record it."""
        how = f"affinity to cores {','.join(map(str, self.cores))}"
        if self.fractional:
            v = self.cgroup.version if self.cgroup else "?"
            how += f" + CFS quota {self.quota_us} us per {self.period_us} us (cgroup v{v})"
        return {"cpus": self.cpus, "cores": list(self.cores), "quota_us": self.quota_us,
                "period_us": self.period_us if self.fractional else None, "how": how}

    # ---- the group ----
    def __enter__(self) -> CpuBudget:
        if not self.needs_group:
            return self
        cg, why = find_cgroup_cpu()
        if cg is None:
            raise UnavailableError(f"a CPU budget of {self.cpus:g} cores needs the cgroup cpu "
                                   f"controller, writable: {'; '.join(why)}. Run as root on a machine with "
                                   "cgroup v1 `cpu` or cgroup v2 with `cpu` in cgroup.subtree_control, or use "
                                   "whole cores (affinity only)", where="run.hardware")
        self.cgroup = cg
        _remove_stale(cg.root)
        group = cg.root / f"tilikbench-{os.getpid()}-{next(_counter)}"
        group.mkdir()
        self.group = group
        try:
            if cg.version == 1:
                if self.fractional:
                    (group / "cpu.cfs_period_us").write_text(str(self.period_us))
                    (group / "cpu.cfs_quota_us").write_text(str(self.quota_us))
                if self.weight is not None:
                    (group / "cpu.shares").write_text(str(self.weight * 1024 // 100))
            else:
                if self.fractional:
                    (group / "cpu.max").write_text(f"{self.quota_us} {self.period_us}")
                if self.weight is not None:
                    (group / "cpu.weight").write_text(str(min(max(self.weight, 1), 10_000)))
        except OSError:
            self._remove()
            raise
        log.info("CPU budget %.3g cores: group %s", self.cpus, group)
        return self

    def __exit__(self, *exc) -> None:
        self._remove()

    def _remove(self) -> None:
        if self.group is None:
            return
        _empty_and_remove(self.group)
        self.group = None

    # ---- members ----
    def attach(self, pid: int) -> list[int]:
        """Put ``pid`` (every thread) and its current descendants inside; returns the PIDs moved."""
        try:
            procs = [psutil.Process(pid)] + psutil.Process(pid).children(recursive=True)
        except psutil.NoSuchProcess:
            return []
        moved = []
        for p in procs:
            try:
                for tid in _tids(p.pid) or [p.pid]:
                    os.sched_setaffinity(tid, self.cores)
                if self.group is not None:
                    (self.group / "cgroup.procs").write_text(str(p.pid))
                moved.append(p.pid)
            except (ProcessLookupError, psutil.NoSuchProcess):
                continue                       # it ended meanwhile
            except OSError as e:
                if e.errno == 3:               # ESRCH from the cgroup file: it ended meanwhile
                    continue
                raise
        return moved

    def members(self) -> list[int]:
        if self.group is None:
            return []
        return [int(x) for x in (self.group / "cgroup.procs").read_text().split()]

    def throttling(self) -> dict[str, float]:
        """How often the quota held the group back: periods, throttled periods, throttled seconds."""
        if self.group is None:
            return {}
        stat = dict(line.split() for line in (self.group / "cpu.stat").read_text().splitlines() if line.strip())
        throttled_s = (int(stat.get("throttled_time", 0)) / 1e9 if "throttled_time" in stat
                       else int(stat.get("throttled_usec", 0)) / 1e6)
        return {"periods": int(stat.get("nr_periods", 0)), "throttled_periods": int(stat.get("nr_throttled", 0)),
                "throttled_s": throttled_s}


def _empty_and_remove(group: Path) -> None:
    parent = group.parent / "cgroup.procs"
    for _ in range(5):
        try:
            pids = (group / "cgroup.procs").read_text().split()
        except OSError:
            break
        for pid in pids:
            try:
                parent.write_text(pid)
            except OSError:
                pass
        try:
            group.rmdir()
            return
        except FileNotFoundError:
            return
        except OSError:
            continue
    log.warning("could not remove cgroup %s", group)


def _remove_stale(root: Path) -> None:
    """Groups left by a tilikbench process that no longer runs (killed before it could clean up)."""
    for d in root.glob("tilikbench-*-*"):
        try:
            owner = int(d.name.split("-")[1])
        except (IndexError, ValueError):
            continue
        if owner != os.getpid() and not psutil.pid_exists(owner):
            log.info("removing stale cgroup %s", d)
            _empty_and_remove(d)
