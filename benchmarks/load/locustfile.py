"""The locustfile of ``tilikbench load``: users from ``benchmarks.load.users``, weighted and shaped by
the config in $TILIK_LOAD_CONFIG, stopped at the request and time caps.

Run by ``tilikbench load``; also usable directly: ``locust -f benchmarks/load/locustfile.py``.
"""
from __future__ import annotations

import logging
import os
import time

import gevent
import gevent.event
import locust.stats
from locust import LoadTestShape, events
from locust.runners import WorkerRunner

from benchmarks.load.settings import current_config
from benchmarks.load.shapes import TICKS
from benchmarks.load.users import Browser, Citizen, Operator, RTHead, Viewer

log = logging.getLogger(__name__)
_cfg = current_config()
DRAIN_S = locust.stats.CSV_STATS_INTERVAL_SEC + 0.5

Citizen.weight = _cfg.weights.get("citizen", 0)
Operator.weight = _cfg.weights.get("operator", 0)
RTHead.weight = _cfg.weights.get("rt_head", 0)
Browser.weight = _cfg.weights.get("browser", 0)
Viewer.weight = _cfg.weights.get("viewer", 0)
for _cls in (Citizen, Operator, RTHead, Browser, Viewer):
    if _cls.weight == 0:
        _cls.abstract = True      # not spawned at all
del _cls                          # a module-level User name would be picked up as a user class

if _cfg.shape == "step":
    # per-step percentiles in the history CSV: the "current" window must not reach into the previous step
    locust.stats.CURRENT_RESPONSE_TIME_PERCENTILE_WINDOW = max(2, min(10, int(_cfg.step.step_s * 0.6)))

if _cfg.shape in TICKS and os.environ.get("TILIK_LOAD_NO_SHAPE") != "1":
    class SelectedShape(LoadTestShape):
        """The scenario's load curve (step, diurnal or spike), from ``benchmarks.load.shapes``.
        After the curve ends, zero users for a moment so that Locust's CSV writer records the end."""

        def tick(self):
            t = self.get_run_time()
            out = TICKS[_cfg.shape](_cfg, t)
            if out is not None:
                return out
            self._ended = getattr(self, "_ended", None) or t
            return (0, 1000.0) if t - self._ended < DRAIN_S else None


@events.init.add_listener
def _caps(environment, **_kw) -> None:
    """Stop the whole run at ``max_requests`` requests or ``run_time_s`` seconds, whichever comes first
    (checked by the master or local runner; Locust itself ignores --run-time when a shape runs)."""
    runner = environment.runner
    if isinstance(runner, WorkerRunner) or runner is None:
        return
    cap_hit = gevent.event.Event()

    @environment.events.request.add_listener
    def _count(**_kw) -> None:          # local runs see every request: stop at the cap, not up to 0.25 s later
        if runner.stats.total.num_requests >= _cfg.max_requests:
            cap_hit.set()

    def watch():
        while runner.state not in ("spawning", "running"):   # a master waits for its workers first
            gevent.sleep(0.1)
        t0 = time.monotonic()
        while True:
            cap_hit.wait(timeout=0.25)
            if runner.stats.total.num_requests >= _cfg.max_requests:
                log.warning("request cap of %d reached; stopping", _cfg.max_requests)
                break
            if time.monotonic() - t0 >= _cfg.run_time_s:
                log.warning("run time cap of %gs reached; stopping", _cfg.run_time_s)
                break
        runner.stop()
        gevent.sleep(DRAIN_S)        # Locust rewrites its CSV once a second: let it record the end
        runner.quit()
    gevent.spawn(watch)
