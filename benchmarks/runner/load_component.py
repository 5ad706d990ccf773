"""Viewer load as a run component: Locust (``benchmarks.load.runner.run_load``) against the run's portal.

Each trial runs one bounded, headless, constant-shape Locust run with the step's number of viewers
(the scenario's ``load:`` user mix and think times), for the trial's duration plus a short ramp, in a
background thread; the trial's metrics come from Locust's aggregated statistics: ``viewer_p95_ms``,
``viewer_p50_ms``, ``viewer_rps``, ``portal_error_rate`` (failures / requests) and the generator's own
CPU (``cpu_pct.load``), so the generator is shown not to be the bottleneck. A step with 0 viewers
runs no load (its viewer SLOs are not measured).

With ``load.browsers`` a few headless Chromium players ride along in every trial
(``benchmarks.runner.browser_viewers``): time to first frame (``viewer_ttff_p95_ms``, an SLO) and
stall ratio. Every trial also reports the portal's share of cold view starts (``cold_start_share``),
and the run's cold and warm starts go to ``measured_costs.viewer_start`` for the simulator.
"""
from __future__ import annotations

import logging
import threading
from typing import Any

from benchmarks.runconfig import StepLoad
from benchmarks.runner.browser_viewers import BrowserTrial, cold_start_share, view_start_counts
from benchmarks.runner.components import Component
from benchmarks.runner.context import RunContext

log = logging.getLogger(__name__)

RAMP_S = 2.0


def available() -> tuple[bool, str]:
    try:
        import benchmarks.load.runner  # noqa: F401
    except ImportError as e:
        return False, f"benchmarks.load.runner cannot be imported ({e})"
    return True, ""


class LoadComponent(Component):
    name = "load"

    def __init__(self, scenario, options, others: list[Component]) -> None:
        super().__init__()
        self.config = scenario.load
        self.portal = next((c for c in others if c.name == "portal"), None)
        self.viewers = 0
        self.duration_s = 10.0
        self._thread: threading.Thread | None = None
        self._result: dict[str, Any] = {}
        self._trial = 0
        self.browsers: BrowserTrial | None = None
        self._starts: tuple[int, int] | None = None
        self._seed = scenario.seed

    def _start(self, ctx: RunContext, peak: StepLoad) -> None:
        if self.portal is None:
            raise RuntimeError("viewer load needs the portal in the run")
        if self.config.browsers is not None:
            self.browsers = BrowserTrial(self.config.browsers, self.config, self.portal.url, self._seed)

    def apply(self, load: StepLoad, ctx: RunContext) -> None:
        self.viewers = load.viewers
        self._step = load.index

    def set_trial_duration(self, seconds: float) -> None:
        self.duration_s = seconds

    def begin_trial(self, ctx: RunContext) -> None:
        self._result = {}
        self._trial += 1
        if self.viewers <= 0:
            self._thread = None
            return
        from benchmarks.load.runner import run_load
        hls = self.portal.server.cfg.mediamtx_hls_url       # live views redirect there: the guard must allow it
        cfg = self.config.model_copy(update={"shape": "constant", "users": self.viewers,
                                             "spawn_rate": max(float(self.viewers) / RAMP_S, 1.0),
                                             "run_time_s": self.duration_s + RAMP_S,
                                             "extra_origins": [*self.config.extra_origins, *([hls] if hls else [])]})
        out_dir = ctx.run_dir / "load" / f"step-{self._step + 1}-trial-{self._trial}"
        self._starts = view_start_counts(self.portal.url)
        if self.browsers is not None:
            self.browsers.begin(self.duration_s)

        def go():
            try:
                run = run_load(self.portal.url, cfg, out_dir)
                self._result = {"run": run}
            except Exception as e:      # reported in the trial's metrics as missing, and logged
                log.exception("load run failed")
                self._result = {"error": str(e)}
        self._thread = threading.Thread(target=go, name="load", daemon=True)
        self._thread.start()

    def measure(self, ctx: RunContext, duration_s: float) -> dict[str, Any]:
        if self._thread is None:
            return {"viewers": 0}
        self._thread.join(timeout=self.duration_s + 120)
        browser = self.browsers.end(self.duration_s) if self.browsers is not None else {}
        starts = cold_start_share(self._starts, view_start_counts(self.portal.url))
        run = self._result.get("run")
        if run is None or run.total is None:
            return {"viewers": self.viewers, "load_error": 1.0, **browser, **starts}
        t = run.total
        return {**browser, **starts, "viewers": self.viewers, "viewer_p95_ms": t.p95_ms, "viewer_p50_ms": t.median_ms,
                "viewer_rps": round(t.rps, 2),
                "portal_error_rate": round(t.failures / t.requests, 4) if t.requests else 0.0,
                "cpu_pct.load": round(100.0 * run.generator_cpu_s / max(run.wall_s, 1e-6), 2)}

    def measured_costs(self) -> dict[str, Any]:
        """Cold and warm time to first frame of the run's browser players, for the simulator's viewer start-up."""
        if self.browsers is None or not self.browsers.players:
            return {}
        return {"viewer_start": {**self.browsers.cold_start_costs(), "policy": self.portal.config.packaging.name}}

    def _stop(self) -> None:
        if self._thread is not None:
            self._thread.join(timeout=self.duration_s + 120)
