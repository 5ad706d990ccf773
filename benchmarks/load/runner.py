"""``run_load``: Locust headless (alone, or master + workers), bounded, with its CSV and HTML report,
the knee of a step run and the load generator's own CPU.

Every Locust process is started through a ``ProcessSet`` (PID recorded) and stopped by PID.
"""
from __future__ import annotations

import csv
import logging
import os
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import psutil

from benchmarks.load.config import MAX_RUN_TIME_S, LoadConfig
from benchmarks.load.knee import Knee, users_knee, steps_from_history
from benchmarks.load.settings import CONFIG_ENV
from benchmarks.load.shapes import shape_duration
from common.errors import ResourceError
from common.netguard import check_target, free_port
from common.procs import ProcessSet
from common.resultmeta import write_json_atomic

log = logging.getLogger(__name__)
LOCUSTFILE = Path(__file__).with_name("locustfile.py")


@dataclass(frozen=True)
class EndpointStats:
    name: str
    requests: int
    failures: int
    median_ms: float
    avg_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float
    rps: float


@dataclass
class LoadRun:
    target: str
    out_dir: Path
    csv_prefix: Path
    html: Path
    returncode: int
    wall_s: float
    endpoints: dict[str, EndpointStats] = field(default_factory=dict)
    knee: Knee | None = None
    generator_cpu_s: float = 0.0
    generator_peak_cores: float = 0.0

    @property
    def total(self) -> EndpointStats | None:
        return self.endpoints.get("Aggregated")

    def summary(self) -> dict:
        return {"target": self.target, "returncode": self.returncode, "wall_s": round(self.wall_s, 2),
                "csv_prefix": str(self.csv_prefix), "html": str(self.html),
                "endpoints": {k: vars(v) for k, v in self.endpoints.items()},
                "knee": self.knee.as_dict() if self.knee else None,
                "generator": {"cpu_s": round(self.generator_cpu_s, 3),
                              "cpu_ms_per_request": round(self.generator_cpu_s * 1000 / max(
                                  self.total.requests if self.total else 0, 1), 3),
                              "mean_cores": round(self.generator_cpu_s / max(self.wall_s, 1e-9), 3),
                              "peak_cores": round(self.generator_peak_cores, 3),
                              "host_cores": psutil.cpu_count()}}


def read_stats_csv(path: Path) -> dict[str, EndpointStats]:
    out = {}
    with open(path, newline="") as f:
        for r in csv.DictReader(f):
            def n(k: str) -> float:
                try:
                    return float(r.get(k) or 0)
                except ValueError:
                    return 0.0
            out[r["Name"]] = EndpointStats(r["Name"], int(n("Request Count")), int(n("Failure Count")),
                                           n("Median Response Time"), n("Average Response Time"), n("95%"),
                                           n("99%"), n("Max Response Time"), n("Requests/s"))
    return out


class _CpuMeter:
    """CPU seconds of a set of processes, sampled until they exit (their last sample is kept)."""

    def __init__(self, pids: list[int]):
        self.procs = {}
        for pid in pids:
            try:
                self.procs[pid] = psutil.Process(pid)
            except psutil.Error:
                pass
        self.last: dict[int, float] = {}
        self.peak_cores = 0.0
        self._t = time.monotonic()

    def sample(self) -> None:
        now = time.monotonic()
        before = sum(self.last.values())
        for pid, p in self.procs.items():
            try:
                t = p.cpu_times()
                self.last[pid] = t.user + t.system + t.children_user + t.children_system
            except psutil.Error:
                pass
        dt = now - self._t
        if dt > 0.2 and before:
            self.peak_cores = max(self.peak_cores, (sum(self.last.values()) - before) / dt)
        self._t = now

    @property
    def total(self) -> float:
        return sum(self.last.values())


def locust_args(url: str, cfg: LoadConfig, prefix: Path, html: Path) -> list[str]:
    """Locust's command line. The time and request caps are enforced by the locustfile (not --run-time,
    which Locust ignores under a shape and which would cut the CSV short)."""
    args = [sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--headless", "-H", url.rstrip("/"),
            "--csv", str(prefix), "--csv-full-history", "--html", str(html),
            "--stop-timeout", "3", "--loglevel", os.environ.get("TILIK_LOCUST_LOGLEVEL", "WARNING"), "--only-summary"]
    if cfg.shape == "constant":
        args += ["-u", str(cfg.users), "-r", str(cfg.spawn_rate)]
    return args


def run_load(url: str, cfg: LoadConfig, out_dir: Path, *, workers: int = 0, i_own_target: bool = False,
             env: dict[str, str] | None = None) -> LoadRun:
    """Run one bounded headless load against ``url``; results under ``out_dir``."""
    check_target(url, i_own_it=i_own_target)
    for origin in cfg.extra_origins:          # users may follow these (the guard in the users checks it)
        check_target(origin, i_own_it=i_own_target)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    conf = out_dir / "load-config.json"
    write_json_atomic(conf, cfg.model_dump(), mode=0o600)     # holds the test accounts' passwords
    prefix, html = out_dir / "locust", out_dir / "locust-report.html"
    run_time = cfg.run_time_s if cfg.shape == "constant" else min(cfg.run_time_s, shape_duration(cfg.shape, cfg) + 1)
    run_time_s = max(1, int(min(run_time, MAX_RUN_TIME_S) + 0.999))
    penv = dict(os.environ, **(env or {}), **{CONFIG_ENV: str(conf.resolve())})
    if cfg.shape == "constant":
        penv["TILIK_LOAD_NO_SHAPE"] = "1"
    base = locust_args(url, cfg, prefix, html)
    log_path = out_dir / "locust.log"
    t0 = time.monotonic()
    with ProcessSet(state_file=out_dir / "locust.pids") as procs, open(log_path, "ab") as logf:
        if workers > 0:
            port = free_port()
            master = procs.start("locust-master", base + [
                "--master", "--master-bind-host", "127.0.0.1", "--master-bind-port", str(port),
                "--expect-workers", str(workers), "--expect-workers-max-wait", "30"],
                env=penv, stdout=logf, stderr=logf)
            for i in range(workers):
                procs.start(f"locust-worker-{i}", [sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--worker",
                                                   "--master-host", "127.0.0.1", "--master-port", str(port),
                                                   "--loglevel", "WARNING"], env=penv, stdout=logf, stderr=logf)
        else:
            master = procs.start("locust", base, env=penv, stdout=logf, stderr=logf)
        meter = _CpuMeter([p.pid for p in procs.procs])
        deadline = t0 + run_time_s + 60 + (30 if workers else 0)
        while master.alive():
            meter.sample()
            if time.monotonic() > deadline:
                raise ResourceError(f"locust did not stop within {run_time_s + 60}s of a {run_time_s}s run; "
                                    f"see {log_path}", where=url)
            time.sleep(0.25)
        rc = master.popen.wait()
        grace = time.monotonic() + 3.0     # workers leave when the master quits; the rest are stopped by PID
        for p in procs.procs[1:]:
            try:
                p.popen.wait(timeout=max(0.1, grace - time.monotonic()))
            except subprocess.TimeoutExpired:
                pass
    wall = time.monotonic() - t0
    stats_csv = Path(f"{prefix}_stats.csv")
    if not stats_csv.exists():
        raise ResourceError(f"locust wrote no statistics (exit code {rc}); see {log_path}", where=url)
    run = LoadRun(url, out_dir, prefix, html, rc, wall, read_stats_csv(stats_csv),
                  generator_cpu_s=meter.total, generator_peak_cores=meter.peak_cores)
    hist = Path(f"{prefix}_stats_history.csv")
    if cfg.shape == "step" and hist.exists():
        run.knee = users_knee(steps_from_history(hist), cfg.slo_p95_ms, max_fail_ratio=cfg.knee_max_fail_ratio)
    write_json_atomic(out_dir / "load-summary.json", run.summary())
    return run
