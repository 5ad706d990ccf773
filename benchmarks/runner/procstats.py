"""Per-component CPU and memory, measured with psutil on the PIDs each component recorded.

CPU is the user+system time the component's processes (and their children) used over a trial,
as a percentage of one core; memory is their summed RSS at the end of the trial.
"""
from __future__ import annotations

import logging

import psutil

log = logging.getLogger(__name__)


def _tree(pids: list[int]) -> list[psutil.Process]:
    procs: dict[int, psutil.Process] = {}
    for pid in pids:
        try:
            p = psutil.Process(pid)
            procs[p.pid] = p
            for c in p.children(recursive=True):
                procs[c.pid] = c
        except psutil.Error:
            continue
    return list(procs.values())


def _cpu_seconds(procs: list[psutil.Process]) -> dict[int, float]:
    out = {}
    for p in procs:
        try:
            t = p.cpu_times()
            out[p.pid] = t.user + t.system
        except psutil.Error:
            continue
    return out


class ProcStats:
    """Start with :meth:`begin`, read with :meth:`end` (per component, and a ``total``)."""

    def __init__(self, clock) -> None:
        self.clock = clock
        self._start: dict[str, dict[int, float]] = {}
        self._t0 = 0.0

    def begin(self, pids_by_component: dict[str, list[int]]) -> None:
        self._t0 = self.clock()
        psutil.cpu_percent(interval=None)
        self._start = {name: _cpu_seconds(_tree(pids)) for name, pids in pids_by_component.items()}

    def end(self, pids_by_component: dict[str, list[int]]) -> dict[str, float]:
        dt = max(self.clock() - self._t0, 1e-6)
        out: dict[str, float] = {}
        total_cpu = total_rss = 0.0
        for name, pids in pids_by_component.items():
            procs = _tree(pids)
            now = _cpu_seconds(procs)
            before = self._start.get(name, {})
            used = sum(now[pid] - before.get(pid, 0.0) for pid in now)
            rss = 0
            for p in procs:
                try:
                    rss += p.memory_info().rss
                except psutil.Error:
                    continue
            out[f"cpu_pct.{name}"] = round(100.0 * used / dt, 2)
            out[f"rss_mb.{name}"] = round(rss / 2**20, 1)
            total_cpu += used
            total_rss += rss
        out["cpu_pct.total"] = round(100.0 * total_cpu / dt, 2)
        out["rss_mb.total"] = round(total_rss / 2**20, 1)
        out["cpu_pct.machine"] = psutil.cpu_percent(interval=None) * psutil.cpu_count()
        return out
