"""The step driver: stops at the knee, keeps a partial run on a stop request, refuses a scenario with no SLOs."""
from __future__ import annotations

import threading

import psutil
import pytest

from benchmarks.records import CheckStatus
from benchmarks.results import load_results
from benchmarks.runconfig import RunConfig
from benchmarks.runner.context import RunContext
from benchmarks.runner.knee import binding_slo, check_slos, step_verdict
from common.errors import InputError
from runfixtures import SCENARIO, make_run


def test_knee_is_the_first_step_failing_in_more_than_the_fail_fraction():
    trials = [{"slo": check_slos({"stream_loss": 0.1}, {"stream_loss": v})} for v in (0.0, 0.2, 0.3)]
    assert step_verdict(trials, 0.5)["failed"] == {"stream_loss": pytest.approx(2 / 3)}
    assert step_verdict(trials, 0.7)["ok"] is True
    unmeasured = [{"slo": check_slos({"viewer_p95_ms": 200}, {})}]
    assert step_verdict(unmeasured, 0.5) == {"ok": True, "failed": {}, "fail_shares": {}, "severity": {},
                                             "unmeasured": ["viewer_p95_ms"], "trials": 1}


def test_binding_slo_among_equally_failing_ones_is_the_furthest_past_its_limit():
    slos = {"stream_loss": 0.1, "viewer_p95_ms": 1000, "min_analysed_share": 0.9}
    trials = [{"slo": check_slos(slos, {"stream_loss": 0.2, "viewer_p95_ms": 5000, "analysed_share_min": 0.5})}
              for _ in range(2)]
    v = step_verdict(trials, 0.5)
    assert set(v["failed"]) == set(slos)
    assert binding_slo(v) == "viewer_p95_ms"      # 5x its limit, against 2x and 1.8x


def test_run_config_axes_broadcast_and_must_agree():
    rc = RunConfig(cameras=[1, 2, 4], sampling_fps=[2.0], viewers=[0, 10, 20])
    assert [(s.cameras, s.sampling_fps, s.viewers) for s in rc.steps()] == [(1, 2.0, 0), (2, 2.0, 10), (4, 2.0, 20)]
    assert rc.stepped_axis() == "cameras"
    with pytest.raises(ValueError, match="same number of values"):
        RunConfig(cameras=[1, 2], viewers=[0, 1, 2])


def test_run_stops_at_the_knee_and_measures_the_parts_cpu(tmp_path):
    data = make_run(tmp_path).execute()
    planned = [s for s in data["steps"] if not s.get("refinement")]
    assert [s["verdict"]["ok"] for s in planned] == [True, True, False]
    # between 2 (passed) and 4 (failed) the knee is refined at 3, the only whole value between
    refined = [s for s in data["steps"] if s.get("refinement")]
    assert [s["load"]["cameras"] for s in refined] == [3]
    knee = data["knee"]
    assert knee["value"] == (3 if refined[0]["verdict"]["ok"] is False else 4)
    assert knee["last_passing_value"] == (2 if knee["value"] == 3 else 3)
    assert knee["binding_slo"] == "analytics_lag_p95_s"
    assert knee["at_last_step"] is False and knee["at_first_step"] is False
    assert data["complete"] is True and data["stop_reason"].startswith("knee")
    cpu = [t["metrics"]["cpu_pct.work"] for s in data["steps"] for t in s["trials"]]
    assert all(c > 1.0 for c in cpu), cpu      # the child's busy loop is measured by PID
    mc = data["model_check"]                   # the simulator's prediction is stored beside the knee
    assert mc["measured_knee"] == knee["value"] and mc["status"] == CheckStatus.DONE, mc
    assert mc["predicted_knee"] in (None, 1.0, 2.0, 3.0, 4.0, 8.0)


def test_stop_request_keeps_a_partial_reportable_run_and_stops_children(tmp_path):
    ctx = RunContext(run_dir=tmp_path)
    slow = SCENARIO.replace("step_duration_s: 0.2", "step_duration_s: 30")
    run = make_run(tmp_path, "cut", text=slow, ctx=ctx)
    timer = threading.Timer(1.5, ctx.stop.set)
    timer.start()
    data = run.execute()
    timer.cancel()
    assert data["complete"] is False and data["stop_reason"].startswith("interrupted")
    assert data["steps"][0]["trials"][0]["partial"] is True
    assert data["knee"] is None
    child = run.components[0].proc
    assert not psutil.pid_exists(child.pid) or psutil.Process(child.pid).status() == psutil.STATUS_ZOMBIE
    on_disk, _ = load_results(tmp_path / "cut")
    assert on_disk["complete"] is False and len(on_disk["steps"]) == 1


def test_scenario_without_slos_is_a_clear_error(tmp_path, tilikbench_cli, capsys):
    path = tmp_path / "noslo.yaml"
    path.write_text(SCENARIO.replace("slos: {analytics_lag_p95_s: 0.07, stream_loss: 0.1}\n", ""))
    assert tilikbench_cli("run", str(path), "--out", str(tmp_path)) == 2
    err = capsys.readouterr().err
    assert f"{path}: slos: the scenario declares no SLOs" in err
    assert not any(tmp_path.glob("work-*")), "nothing half-written"
    with pytest.raises(InputError, match="run.cameras"):
        make_run(tmp_path, text=SCENARIO.replace("[1, 2, 4, 8]", "[1, 2, 4, 9]"))
