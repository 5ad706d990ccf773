"""Which parts a run drives: an adapter for each section the scenario declares and whose part exists.

With a fleet manifest (``options.remote``) the fleet, and the load when the manifest names a Locust
master, are the parts already running on other hosts (``benchmarks.runner.remote``, ``remote_load``).
``build_components`` returns the adapters, a ``wired`` map (part -> ``Wiring`` state) and the reasons
for the parts that are not wired, which the results and the report show, so a figure that was not
measured is clearly absent, never invented.
"""
from __future__ import annotations

import importlib.util
import logging
from typing import Any

from benchmarks.runner.components import Component
from benchmarks.records import Wiring

log = logging.getLogger(__name__)


def _has(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except ModuleNotFoundError:
        return False


def build_components(scenario, options) -> tuple[list[Component], dict[str, Wiring], dict[str, str]]:
    comps: list[Component] = []
    wired: dict[str, Wiring] = {}
    whys: dict[str, str] = {}
    remote = options.remote          # parts already running on other hosts (a fleet manifest)
    if remote is not None:
        from benchmarks.runner.remote import RemoteFleetComponent
        comps.append(RemoteFleetComponent(scenario.cameras, remote, seed=scenario.seed, cache_dir=options.cache_dir))
        wired["fleet"] = Wiring.WIRED
    elif _has("fake_cameras.fleet"):
        from benchmarks.runner.fleet_component import FleetComponent
        comps.append(FleetComponent(scenario.cameras, seed=scenario.seed, cache_dir=options.cache_dir,
                                    free_ports=options.free_ports,
                                    impairments=bool(scenario.run and scenario.run.impairments)))
        wired["fleet"] = Wiring.WIRED
    else:
        wired["fleet"], whys["fleet"] = Wiring.NOT_AVAILABLE, "fake_cameras.fleet is missing"
    stack_adapter = (("benchmarks.runner.external_component", "ExternalComponent")
                     if getattr(scenario.stack, "type", None) == "external"
                     else ("benchmarks.runner.stack_component", "StackComponent"))
    for section, module, adapter in (("stack", *stack_adapter),
                                     ("portal", "benchmarks.runner.portal_component", "PortalComponent"),
                                     ("load", "benchmarks.runner.load_component", "LoadComponent")):
        cfg: Any = getattr(scenario, section, None)
        if cfg is None:
            wired[section] = Wiring.NOT_DECLARED
            continue
        if section == "load" and remote is not None and remote.load is not None:
            from benchmarks.runner.remote_load import RemoteLoadComponent
            comps.append(RemoteLoadComponent(scenario, remote.load, comps, i_own_target=options.i_own_target))
            wired[section] = Wiring.WIRED
            continue
        if not _has(module):
            wired[section] = Wiring.NOT_WIRED
            continue
        mod = importlib.import_module(module)
        ok, reason = mod.available()
        if not ok:
            wired[section], whys[section] = Wiring.NOT_AVAILABLE, reason
            continue
        comps.append(getattr(mod, adapter)(scenario, options, comps))
        wired[section] = Wiring.WIRED
    return comps, wired, whys
