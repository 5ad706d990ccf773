"""The scenario library: every file validates, and every scenario with a run section can be run."""
from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks.runner.driver import RunOptions, checked_run_config
from benchmarks.scenario import load_scenario

import yaml

SCENARIOS = sorted(p for p in (Path(__file__).resolve().parents[2] / "scenarios").glob("*.yaml")
                   if "name" in (yaml.safe_load(p.read_text()) or {}))      # not the load mapping files
MINE = ["semarang-2021", "semarang-2024", "jalan-pahlawan-demo", "flood-night", "smoke"]


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_scenario_validates_and_its_run_fits_its_cameras(path):
    sc = load_scenario(path)
    if sc.run is not None:
        run, slos = checked_run_config(sc, str(path), RunOptions())
        assert slos and run.n_steps >= 1


def test_city_scale_scenarios_declare_the_reported_camera_counts():
    assert {p.stem for p in SCENARIOS} >= set(MINE)
    total = {p.stem: sum(c.count for c in load_scenario(p).cameras.classes) for p in SCENARIOS if p.stem in MINE}
    assert total["semarang-2021"] >= 10_000 and total["semarang-2024"] == 14_000
    rt = next(c for c in load_scenario(SCENARIOS[[p.stem for p in SCENARIOS].index("semarang-2021")]).cameras.classes
              if c.name == "rt")
    assert rt.count == 10_000 and rt.online_share == 0.6
