"""Compare: a change counts only when it crosses the threshold AND the confidence intervals differ."""
from __future__ import annotations

import copy

from benchmarks.compare import compare_runs


def run_with(values_by_step: list[list[float]], metric: str = "viewer_p95_ms") -> dict:
    return {"knee": None, "steps": [
        {"index": i, "load": {"cameras": 2 ** i}, "trials": [{"metrics": {metric: v}} for v in vals]}
        for i, vals in enumerate(values_by_step)]}


def test_change_beyond_threshold_with_separate_intervals_is_flagged_worse():
    a = run_with([[100, 102, 98, 101]])
    b = run_with([[150, 152, 149, 151]])
    [c] = compare_runs(a, b)
    assert c.significant and c.worse and c.cis_differ
    assert abs(c.rel_change - 0.5) < 0.02


def test_noisy_change_with_overlapping_intervals_is_not_flagged():
    a = run_with([[100, 60, 140, 100]])
    b = run_with([[120, 70, 170, 120]])       # +20% mean, but the intervals overlap
    [c] = compare_runs(a, b)
    assert c.beyond_threshold and not c.cis_differ and not c.significant


def test_small_change_with_tight_intervals_is_below_threshold():
    a = run_with([[100.0, 100.1, 99.9]])
    b = run_with([[103.0, 103.1, 102.9]])
    [c] = compare_runs(a, b)
    assert c.cis_differ and not c.beyond_threshold and not c.significant


def test_higher_is_better_metric_direction_and_step_matching():
    a = run_with([[10, 10.1, 9.9], [5, 5.1]], metric="analysed_fps_min")
    b = copy.deepcopy(a)
    b["steps"] = b["steps"][:1]
    for t in b["steps"][0]["trials"]:
        t["metrics"]["analysed_fps_min"] *= 2
    [c] = compare_runs(a, b)           # only the step present in both
    assert c.significant and not c.worse


def test_compare_cli_on_two_real_runs(tmp_path, tilikbench_cli, capsys):
    from runfixtures import make_run
    make_run(tmp_path, "fast", ms_per_camera=10).execute()
    make_run(tmp_path, "slow", ms_per_camera=30).execute()
    code = tilikbench_cli("compare", str(tmp_path / "fast"), str(tmp_path / "slow"), "--fail-on-worse")
    out = capsys.readouterr().out
    assert code == 1, out
    assert "knee: cameras=8" in out or "knee: no knee" in out
    assert "WORSE" in out and "analytics_lag_p95_s" in out
