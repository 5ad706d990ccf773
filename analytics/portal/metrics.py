"""Prometheus metrics of the portal, in the text exposition format, summed over worker processes.

Each worker counts in memory and writes its counters to ``state_dir/metrics/<pid>.json`` (at most
once a second, and at every scrape); ``/metrics`` sums the files of live workers and adds gauges read
from the shared state (HLS sessions, packagers).
"""
from __future__ import annotations

import bisect
import json
import os
import time
from collections import defaultdict
from pathlib import Path

import psutil

from common.atomic import write_text_atomic

BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.5, 1.0, 2.5, 5.0, 10.0)


class WorkerMetrics:
    def __init__(self, root: Path):
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        self.requests: dict[str, int] = defaultdict(int)            # "route|method|status"
        self.hist: dict[str, list[int]] = {}                         # route -> bucket counts (+Inf last)
        self.hist_sum: dict[str, float] = defaultdict(float)
        self.rejected = 0
        self.inflight = 0
        self._last_dump = 0.0
        self._proc = psutil.Process()

    def observe(self, route: str, method: str, status: int, seconds: float) -> None:
        self.requests[f"{route}|{method}|{status}"] += 1
        h = self.hist.get(route)
        if h is None:
            h = self.hist[route] = [0] * (len(BUCKETS) + 1)
        h[bisect.bisect_left(BUCKETS, seconds)] += 1
        self.hist_sum[route] += seconds
        now = time.monotonic()
        if now - self._last_dump > 1.0:
            self.dump()

    def dump(self) -> None:
        self._last_dump = time.monotonic()
        cpu = self._proc.cpu_times()
        data = {"create_time": self._proc.create_time(), "requests": self.requests, "hist": self.hist,
                "hist_sum": self.hist_sum, "rejected": self.rejected, "inflight": self.inflight,
                "cpu_seconds": cpu.user + cpu.system}
        write_text_atomic(self.root / f"{os.getpid()}.json", json.dumps(data))


def _live_worker_files(root: Path) -> list[dict]:
    out = []
    for f in root.glob("*.json"):
        try:
            data = json.loads(f.read_text())
            if abs(psutil.Process(int(f.stem)).create_time() - data["create_time"]) > 0.01:
                continue
        except (OSError, ValueError, KeyError, psutil.Error):
            continue
        out.append(data)
    return out


def _esc(v: str) -> str:
    return v.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def render(root: Path, gauges: dict[str, tuple[str, float | dict[str, float]]]) -> str:
    """Text exposition of all live workers' counters plus ``gauges`` (name -> (help, value or {label: value}))."""
    workers = _live_worker_files(root)
    req: dict[str, int] = defaultdict(int)
    hist: dict[str, list[int]] = {}
    hsum: dict[str, float] = defaultdict(float)
    rejected = inflight = 0
    cpu = 0.0
    for w in workers:
        for k, v in w["requests"].items():
            req[k] += v
        for r, counts in w["hist"].items():
            acc = hist.setdefault(r, [0] * len(counts))
            for i, c in enumerate(counts):
                acc[i] += c
        for r, s in w["hist_sum"].items():
            hsum[r] += s
        rejected += w["rejected"]
        inflight += w["inflight"]
        cpu += w["cpu_seconds"]
    lines = ["# HELP tilik_requests_total HTTP requests answered, by route, method and status.",
             "# TYPE tilik_requests_total counter"]
    for k in sorted(req):
        route, method, status = k.split("|")
        lines.append(f'tilik_requests_total{{route="{_esc(route)}",method="{method}",status="{status}"}} {req[k]}')
    lines += ["# HELP tilik_request_duration_seconds Time to answer a request, by route.",
              "# TYPE tilik_request_duration_seconds histogram"]
    for r in sorted(hist):
        cum = 0
        for le, c in zip([*map(str, BUCKETS), "+Inf"], hist[r]):
            cum += c
            lines.append(f'tilik_request_duration_seconds_bucket{{route="{_esc(r)}",le="{le}"}} {cum}')
        lines.append(f'tilik_request_duration_seconds_sum{{route="{_esc(r)}"}} {hsum[r]:.6f}')
        lines.append(f'tilik_request_duration_seconds_count{{route="{_esc(r)}"}} {cum}')
    lines += ["# HELP tilik_overload_rejections_total Requests refused with 503 because the concurrency bound "
              "was reached.",
              "# TYPE tilik_overload_rejections_total counter", f"tilik_overload_rejections_total {rejected}",
              "# HELP tilik_inflight_requests Requests being served (at the workers' last report).",
              "# TYPE tilik_inflight_requests gauge", f"tilik_inflight_requests {inflight}",
              "# HELP tilik_worker_cpu_seconds_total CPU time of the portal's worker processes.",
              "# TYPE tilik_worker_cpu_seconds_total counter", f"tilik_worker_cpu_seconds_total {cpu:.3f}",
              "# HELP tilik_workers Live portal worker processes.", "# TYPE tilik_workers gauge",
              f"tilik_workers {len(workers)}"]
    for name, (help_, value) in gauges.items():
        lines += [f"# HELP {name} {help_}", f"# TYPE {name} gauge"]
        if isinstance(value, dict):
            lines += [f'{name}{{camera="{_esc(k)}"}} {v}' for k, v in sorted(value.items())]
        else:
            lines.append(f"{name} {value}")
    return "\n".join(lines) + "\n"
