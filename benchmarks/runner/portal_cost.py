"""The portal's CPU per request over a trial, measured on the live server (``PortalCostMeter``).

The simulator's portal requests used to cost the reference's in-process micro-costs plus an assumed
0.5 ms of HTTP handling. A run has the real portal under real load, so it measures the real figure: the
CPU seconds of the portal's processes over the trial (psutil, by PID: the uvicorn supervisor and its
workers, plus the CPU of the short-lived children the workers started and reaped in the trial, such as
snapshot grabs) divided by the requests they answered in the same window (the portal's own
``tilik_requests_total`` from ``/metrics``, summed over workers). The figure therefore includes HTTP
parsing and framing, the event loop and the portal's background work.

Left out, on purpose: running ffmpeg children (on-demand HLS packagers; the simulator has them as
``packager_cores_per_stream``) and the ``/metrics`` and ``/health`` requests (the meter's own scrapes).
The meter scrapes before taking the CPU at the start and after taking it at the end, so its own
scrapes fall outside the CPU window. Per-route counts are kept, so the calibration can tell which
request mix the figure is the mean of.
"""
from __future__ import annotations

import re
import urllib.request
from dataclasses import dataclass, field
from typing import Any

import psutil

NOT_COUNTED = ("metrics", "health")      # the meter's own scrapes and readiness probes
_REQ = re.compile(r'^tilik_requests_total\{route="([^"]*)",method="[^"]*",status="[^"]*"\}\s+(\d+)', re.M)


def route_counts(url: str, timeout: float = 10.0) -> dict[str, int]:
    """Requests the portal answered since it started, by route (all methods and statuses)."""
    with urllib.request.urlopen(url.rstrip("/") + "/metrics", timeout=timeout) as r:
        text = r.read().decode()
    out: dict[str, int] = {}
    for route, n in _REQ.findall(text):
        out[route] = out.get(route, 0) + int(n)
    return out


def _procs(root_pid: int) -> list[psutil.Process]:
    try:
        root = psutil.Process(root_pid)
        kids = [p for p in root.children(recursive=True) if "ffmpeg" not in p.name()]
    except psutil.Error:
        return []
    return [root, *kids]


def cpu_by_process(root_pid: int) -> dict[tuple[int, float], tuple[float, float]]:
    """(own, reaped children's) CPU seconds so far of the portal's processes, keyed by (pid, create time) so
    a reused PID is not taken for the old process. A worker's reaped children are its ffmpeg snapshot grabs
    (and packagers that ended); the supervisor's are not counted when it has workers (they are workers,
    whose CPU is counted while they live)."""
    procs = _procs(root_pid)
    out: dict[tuple[int, float], tuple[float, float]] = {}
    for p in procs:
        try:
            with p.oneshot():
                t = p.cpu_times()
                key = (p.pid, p.create_time())
        except psutil.Error:
            continue
        kids = t.children_user + t.children_system if (p.pid != root_pid or len(procs) == 1) else 0.0
        out[key] = (t.user + t.system, kids)
    return out


@dataclass
class PortalTrialCost:
    cpu_s: float                 # all of it: the processes' own CPU and their reaped children's
    requests: int
    by_route: dict[str, int] = field(default_factory=dict)
    child_cpu_s: float = 0.0     # of which the reaped children's (ffmpeg snapshot grabs)

    @property
    def ms_per_request(self) -> float | None:
        return 1000.0 * self.cpu_s / self.requests if self.requests > 0 else None

    def metrics(self) -> dict[str, Any]:
        """The trial's flat metrics (``trials.csv`` columns)."""
        out: dict[str, Any] = {"portal_cpu_s": round(self.cpu_s, 4), "portal_child_cpu_s": round(self.child_cpu_s, 4),
                               "portal_requests": self.requests}
        if self.ms_per_request is not None:
            out["portal_cpu_ms_per_request"] = round(self.ms_per_request, 4)
        out.update({f"portal_requests.{r}": n for r, n in sorted(self.by_route.items())})
        return out


class PortalCostMeter:
    """``begin()`` at a trial's start, ``end()`` at its end: the portal's CPU and requests in between."""

    def __init__(self, url: str, root_pid: int) -> None:
        self.url = url
        self.root_pid = root_pid
        self._cpu: dict[tuple[int, float], tuple[float, float]] | None = None
        self._routes: dict[str, int] | None = None

    def begin(self) -> None:
        self._routes = route_counts(self.url)
        self._cpu = cpu_by_process(self.root_pid)

    def end(self) -> PortalTrialCost | None:
        """None when ``begin`` did not run or the portal could not be read."""
        if self._cpu is None or self._routes is None:
            return None
        cpu = cpu_by_process(self.root_pid)
        routes = route_counts(self.url)
        # a process started within the trial counts from zero; one that ended within it is lost (rare)
        own = sum(max(v[0] - self._cpu.get(k, (0.0, 0.0))[0], 0.0) for k, v in cpu.items())
        kids = sum(max(v[1] - self._cpu.get(k, (0.0, 0.0))[1], 0.0) for k, v in cpu.items())
        by_route = {r: n - self._routes.get(r, 0) for r, n in routes.items()
                    if r not in NOT_COUNTED and n - self._routes.get(r, 0) > 0}
        self._cpu = self._routes = None
        return PortalTrialCost(own + kids, sum(by_route.values()), by_route, kids)
