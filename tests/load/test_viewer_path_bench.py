"""Viewer-path benches (``make bench``): the policy table of docs/portal.md, and the demo's packaging
policy against on demand in the same viewer load, side by side."""
from __future__ import annotations

import statistics
from pathlib import Path

import pytest
import yaml

from benchmarks.load import viewer_bench
from benchmarks.runner.context import RunContext
from benchmarks.runner.driver import RunOptions, ScenarioRun
from benchmarks.scenario import load_scenario
from common.resultmeta import REPO_ROOT, write_json_atomic

pytestmark = pytest.mark.bench


def test_policy_table_at_1_10_and_50_browser_viewers():
    out = REPO_ROOT / "results" / "viewer-bench.json"
    data = viewer_bench.run_bench(viewer_bench.parse_args(["--out", str(out)]))
    print(viewer_bench.markdown(data["cells"]))
    cells = {(c["policy"], c["viewers"]): c for c in data["cells"]}
    for n in (1, 10, 50):
        assert all(cells[(p, n)]["started"] >= 0.9 * n for p in viewer_bench.POLICIES), n
        assert cells[("always-on", n)]["ttff_p50_ms"] < cells[("on-demand", n)]["ttff_p50_ms"]
    cal = data["viewer_start_calibration"]
    assert cal["hls_cold_ttff_ms"]["p50"] > cal["hls_warm_ttff_ms"]["p50"]


def demo_viewer_scenario(tmp: Path, packaging: dict | None) -> Path:
    """The demo's cameras, portal and viewer load without the analytics stack, stepping viewers only."""
    data = yaml.safe_load((REPO_ROOT / "scenarios" / "semarang-demo.yaml").read_text())
    data.pop("stack")
    data["cameras"]["impairments"] = []
    if packaging is not None:
        data["portal"]["packaging"] = packaging
    data["slos"] = {"viewer_p95_ms": 4000, "viewer_ttff_p95_ms": 3000, "portal_error_rate": 0.05}
    data["run"] = {"cameras": [10], "sampling_fps": [1.0], "viewers": [4, 8, 12], "trials": 2,
                   "step_duration_s": 12, "warmup_s": 3}
    name = "policy" if packaging is None else "on-demand"
    path = tmp / f"demo-viewers-{name}.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def test_demo_policy_keeps_the_viewer_slos_that_cold_starts_break(tmp_path):
    out = {}
    for name, packaging in (("on-demand", {}), ("demo policy", None)):
        path = demo_viewer_scenario(tmp_path, packaging)
        run = ScenarioRun(load_scenario(path), str(path), RunOptions(out=tmp_path, run_id=name.replace(" ", "-"),
                          free_ports=True, model_check=False, city_scale=False), RunContext(run_dir=tmp_path))
        data = run.execute()
        trials = [t["metrics"] for s in data["steps"] for t in s["trials"]]
        out[name] = {"steps": [{"viewers": s["load"]["viewers"], "ok": s["verdict"]["ok"],
                                "failed": sorted(s["verdict"].get("failed", {}))} for s in data["steps"]],
                     **{m: statistics.median([t[m] for t in trials if m in t])
                        for m in ("viewer_p95_ms", "viewer_ttff_p95_ms", "cold_start_share")
                        if any(m in t for t in trials)},
                     "viewer_start": data.get("measured_costs", {}).get("viewer_start")}
    write_json_atomic(REPO_ROOT / "results" / "demo-viewer-policy.json", out)
    print(out)
    assert out["demo policy"]["cold_start_share"] < out["on-demand"]["cold_start_share"]
    assert all(s["ok"] for s in out["demo policy"]["steps"]), out["demo policy"]
