"""A run under several CPU budgets (``run.hardware``): the knee under each, then the out-of-sample check.

Each budget is a complete run of its own (``<run>/cpus-<n>/results.json``, with ``hardware_budget``), the
fleet and every part restarted, the stack (and, by choice, the portal) inside the budget. After the last
one, every ordered pairing of budgets is checked (``benchmarks.runner.outofsample``); the check is written
to ``<run>/out-of-sample.json`` and added to each budget's results (``out_of_sample``) for the report.
"""
from __future__ import annotations

import dataclasses
import logging
from pathlib import Path
from typing import Any

from benchmarks.results import write_results
from benchmarks.runner.context import RunContext
from benchmarks.runner.driver import RunOptions, ScenarioRun
from common.resultmeta import stamp, write_json_atomic

log = logging.getLogger(__name__)

RESULT_SCHEMA_VERSION = 1


@dataclasses.dataclass
class HardwareRun:
    run_dir: Path
    runs: list[dict[str, Any]]
    check: dict[str, Any] | None

    @property
    def complete(self) -> bool:
        return all(r.get("complete") for r in self.runs)


def run_hardware(scenario, path: str, options: RunOptions, ctx: RunContext, run_id: str) -> HardwareRun:
    """Find the knee under each of the scenario's CPU budgets, then check the model across them."""
    from benchmarks.runner.outofsample import out_of_sample
    budgets = scenario.run.hardware
    top = Path(options.out) / run_id
    runs: list[dict[str, Any]] = []
    dirs: list[Path] = []
    for i, budget in enumerate(budgets):
        if ctx.stop.is_set():
            break
        ctx.progress(f"== CPU budget {budget.cpus:g} core(s) ({i + 1}/{len(budgets)}) ==")
        sub = dataclasses.replace(options, out=top, run_id=budget.label, budget=budget,
                                  city_scale=options.city_scale and i == len(budgets) - 1)
        runner = ScenarioRun(scenario, path, sub, ctx)
        runs.append(runner.execute())
        dirs.append(runner.run_dir)
    check = None
    if len(runs) >= 2 and not ctx.stop.is_set():
        ctx.progress("out-of-sample check: calibrating on each budget, predicting the others ...")
        check = out_of_sample(runs, scenario)
        write_json_atomic(top / "out-of-sample.json", {**stamp("out_of_sample", RESULT_SCHEMA_VERSION),
                                                       "scenario": scenario.name, **check})
        for data, d in zip(runs, dirs):
            data["out_of_sample"] = check
            write_results(d, data)
    return HardwareRun(top, runs, check)
