"""A small real run driven by a real workload, shared by the runner, results and report tests."""
from __future__ import annotations

import textwrap
from pathlib import Path

from benchmarks.runner.context import RunContext
from benchmarks.runner.driver import RunOptions, ScenarioRun
from benchmarks.scenario import load_scenario

from workload import WorkComponent

SCENARIO = textwrap.dedent("""\
    name: work
    cameras:
      classes:
        - {name: rt, count: 8, group: CCTV RT, profile: rt-360p10}
    slos: {analytics_lag_p95_s: 0.07, stream_loss: 0.1}
    run: {cameras: [1, 2, 4, 8], trials: 2, step_duration_s: 0.2, warmup_s: 0}
    """)


def make_run(tmp_path: Path, run_id: str = "r1", ms_per_camera: float = 20.0, text: str = SCENARIO,
             ctx: RunContext | None = None) -> ScenarioRun:
    path = tmp_path / "scenario.yaml"
    path.write_text(text)
    sc = load_scenario(path)
    ctx = ctx or RunContext(run_dir=tmp_path)
    return ScenarioRun(sc, str(path), RunOptions(out=tmp_path, run_id=run_id, city_scale=False), ctx,
                       components=[WorkComponent(ms_per_camera)])
