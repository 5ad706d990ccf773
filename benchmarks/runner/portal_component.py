"""The portal as a run component (``analytics.portal.serve.PortalServer``), serving the fleet's cameras.

It starts once with every camera of the fleet in its catalogue, its state under ``<run>/portal``,
reading events from the stack's store when the stack is part of the run. The portal's own CPU and
memory are measured by PID like every part; its latency is what the load component measures.

Per trial it also measures its CPU per request (``benchmarks.runner.portal_cost``): its processes' CPU
over the trial divided by the requests it answered (``portal_cpu_ms_per_request``, with
``portal_cpu_s``, ``portal_requests`` and ``portal_requests.<route>``), which ``simulator.runcal``'s
``portal_costs`` turns into the calibration's portal cost.
"""
from __future__ import annotations

import logging
from typing import Any

from analytics.config import StackConfig
from benchmarks.runconfig import StepLoad
from benchmarks.runner.components import Component
from benchmarks.runner.context import RunContext
from benchmarks.runner.portal_cost import PortalCostMeter
from common.netguard import free_port

log = logging.getLogger(__name__)


def available() -> tuple[bool, str]:
    try:
        import analytics.portal.serve  # noqa: F401
    except ImportError as e:
        return False, f"analytics.portal.serve cannot be imported ({e})"
    return True, ""


class PortalComponent(Component):
    name = "portal"

    def __init__(self, scenario, options, others: list[Component]) -> None:
        super().__init__()
        self.config = scenario.portal
        self.free_ports = options.free_ports
        self.in_budget = bool(options.budget is not None and options.budget.portal)
        self.fleet = next((c for c in others if c.name == "fleet"), None)
        self.stack = next((c for c in others if c.name == "stack"), None)
        self.server = None
        self.meter: PortalCostMeter | None = None

    @property
    def url(self) -> str:
        return self.server.url

    def _start(self, ctx: RunContext, peak: StepLoad) -> None:
        from analytics.portal.catalogue import camera_records
        from analytics.portal.serve import PortalServer
        if self.fleet is None:
            raise RuntimeError("the portal needs the camera fleet in the run")
        update = {"state_dir": str((ctx.run_dir / "portal").resolve())}
        if self.free_ports:
            update["port"] = free_port(self.config.host)
        if self.stack is not None and isinstance(self.stack.config, StackConfig):   # not an external system
            update["events_dsn"] = self.stack.config.store
        cfg = self.config.model_copy(update=update)
        self.server = PortalServer(cfg, camera_records(self.fleet.cameras))
        self.server.start(timeout=60)
        self.meter = PortalCostMeter(self.server.url, self.server.proc.pid)
        if ctx.budget is not None and self.in_budget:
            for pid in self.pids():          # run.hardware[].portal: the portal shares the stack's budget
                ctx.budget.attach(pid)

    def begin_trial(self, ctx: RunContext) -> None:
        if self.meter is None:
            return
        try:
            self.meter.begin()
        except OSError as e:                 # the trial goes on; its cost is simply not measured
            log.warning("portal: cannot read /metrics at the trial's start (%s); no cost this trial", e)

    def measure(self, ctx: RunContext, duration_s: float) -> dict[str, Any]:
        if self.meter is None:
            return {}
        try:
            cost = self.meter.end()
        except OSError as e:
            log.warning("portal: cannot read /metrics at the trial's end (%s); no cost this trial", e)
            return {}
        return cost.metrics() if cost is not None else {}

    def pids(self) -> list[int]:
        own = [self.server.proc.pid] if self.server is not None else []
        return sorted(set(super().pids()) | set(own))

    def _stop(self) -> None:
        if self.server is not None:
            self.server.stop()
            self.server = None
            self.meter = None
