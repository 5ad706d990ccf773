"""Viewer load from Locust workers already running elsewhere: the run steps their master over
Locust's own HTTP API (the master runs in web mode, as on a cluster; its workers stay connected).

Per step, ``POST /swarm`` with the step's viewers (Locust ramps during the run's warm-up, so a
trial measures steady load) or ``POST /stop`` for a step without viewers. Per trial,
``POST /stats/reset`` at the start and, at the end, the master's aggregated statistics as CSV
(``GET /stats/requests/csv``, kept under ``<run>/load``; the same columns Locust writes with
``--csv``) and its view of the workers (``GET /stats/requests``).

Metrics per trial: ``viewers``, ``viewer_p95_ms``, ``viewer_p50_ms``, ``viewer_rps``,
``portal_error_rate`` as the local load part reports them, ``load_workers`` (workers connected) and
per worker ``load_worker.<n>.users`` and ``.cpu_pct`` (the worker's own CPU as Locust reports it).
The master and its workers are not stopped by the run; their users are (``POST /stop``).
"""
from __future__ import annotations

import json
import logging
import time
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

from benchmarks.deploy.manifest import LoadWorkers
from benchmarks.load.runner import read_stats_csv
from benchmarks.runconfig import StepLoad
from benchmarks.runner.components import Component
from benchmarks.runner.context import RunContext
from benchmarks.runner.portal_component import PortalComponent
from common.errors import ResourceError
from common.netguard import check_target

log = logging.getLogger(__name__)

RAMP_S = 2.0
WORKERS_WAIT_S = 60.0


class LocustMaster:
    """The few calls of Locust's web API a run needs."""

    def __init__(self, url: str, timeout: float = 10.0) -> None:
        self.url = url.rstrip("/")
        self.timeout = timeout

    def _call(self, path: str, form: dict[str, Any] | None = None) -> bytes:
        data = None if form is None else urllib.parse.urlencode(form).encode()
        req = urllib.request.Request(self.url + path, data=data, method="GET" if form is None else "POST")
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as r:
                return r.read()
        except (urllib.error.URLError, OSError) as e:
            raise ResourceError(f"Locust master did not answer: {e}", where=self.url + path) from None

    def report(self) -> dict[str, Any]:
        return json.loads(self._call("/stats/requests"))

    def swarm(self, users: int, spawn_rate: float, host: str) -> None:
        body = json.loads(self._call("/swarm", {"user_count": users, "spawn_rate": spawn_rate, "host": host}))
        if not body.get("success", False):
            raise ResourceError(f"Locust refused to start {users} users: {body.get('message')}", where=self.url)

    def stop(self) -> None:
        self._call("/stop", {})

    def reset(self) -> None:
        self._call("/stats/reset", {})

    def stats_csv(self) -> bytes:
        return self._call("/stats/requests/csv")


class RemoteLoadComponent(Component):
    name = "load"

    def __init__(self, scenario, workers: LoadWorkers, others: list[Component], *, i_own_target: bool = False,
                 where: str = "--remote") -> None:
        super().__init__()
        self.spec = workers
        self.portal = next((c for c in others if isinstance(c, PortalComponent)), None)
        self.master = LocustMaster(workers.master_url)
        self.where = where
        self.viewers = 0
        self._step = 0
        self._trial = 0
        self._workers_seen: dict[str, str] = {}      # Locust worker id -> short name in the metrics
        if workers.target_url is not None:
            check_target(workers.target_url, i_own_it=i_own_target)

    @property
    def target(self) -> str:
        if self.spec.target_url is not None:
            return self.spec.target_url
        if self.portal is None or self.portal.server is None:
            raise ResourceError("the manifest's load has no target_url and the run has no portal of its own",
                                where=f"{self.where}: load.target_url")
        return self.portal.url

    def _start(self, ctx: RunContext, peak: StepLoad) -> None:
        deadline = time.monotonic() + WORKERS_WAIT_S
        while True:
            report = self.master.report()
            n = int(report.get("worker_count", 0))
            if n >= self.spec.workers:
                break
            if time.monotonic() > deadline:
                raise ResourceError(f"{n} Locust worker(s) connected to the master, the manifest expects "
                                    f"{self.spec.workers}", where=f"{self.where}: load.workers")
            time.sleep(0.5)
        self.master.stop()            # a fresh start: no users left over from earlier work
        log.info("remote load: master %s with %d worker(s), target %s", self.master.url, n, self.target)

    def apply(self, load: StepLoad, ctx: RunContext) -> None:
        self.viewers = load.viewers
        self._step = load.index
        if self.viewers > 0:
            self.master.swarm(self.viewers, max(self.viewers / RAMP_S, 1.0), self.target)
        else:
            self.master.stop()

    def begin_trial(self, ctx: RunContext) -> None:
        self._trial += 1
        if self.viewers > 0:
            self.master.reset()

    def _worker_name(self, worker_id: str) -> str:
        return self._workers_seen.setdefault(worker_id, str(len(self._workers_seen)))

    def measure(self, ctx: RunContext, duration_s: float) -> dict[str, Any]:
        report = self.master.report()
        out: dict[str, Any] = {"viewers": self.viewers, "load_workers": int(report.get("worker_count", 0))}
        for w in report.get("workers", []):
            key = f"load_worker.{self._worker_name(str(w.get('id')))}"
            out[f"{key}.users"] = int(w.get("user_count", 0))
            out[f"{key}.cpu_pct"] = round(float(w.get("cpu_usage", 0.0)), 1)
        if self.viewers <= 0:
            return out
        path = ctx.run_dir / "load" / f"step-{self._step + 1}-trial-{self._trial}" / "locust_stats.csv"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(self.master.stats_csv())
        total = read_stats_csv(path).get("Aggregated")
        if total is None or total.requests == 0:
            return {**out, "load_error": 1.0}
        return {**out, "viewer_p95_ms": total.p95_ms, "viewer_p50_ms": total.median_ms,
                "viewer_rps": round(total.rps, 2), "portal_error_rate": round(total.failures / total.requests, 4)}

    def hosts(self) -> list[dict[str, Any]]:
        return [{"name": "locust-master", "role": "load master", "api_url": self.master.url}] + [
            {"name": f"load_worker.{short}", "role": "load worker", "locust_id": wid}
            for wid, short in self._workers_seen.items()]

    def _stop(self) -> None:
        try:
            self.master.stop()
        except ResourceError:
            log.warning("could not stop the remote load's users at %s", self.master.url)
