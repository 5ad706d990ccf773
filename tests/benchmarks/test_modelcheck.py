"""Model check: the run's own CPU measurements calibrate the simulator, which predicts the run's knee.

The run here is real but small: a "stack" child process that spends a known CPU time per decoded frame
and per analysed frame at the rates each step asks for (cameras x fps, cameras x sampling fps) and reports
the frames it did, and a "fleet" child burning a little CPU beside it. The runner measures both by PID,
exactly as in a full run; the fit must recover the stack's costs from those measurements.
"""
from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest
from fakestack import BURN, FakeStack

from benchmarks.records import CheckStatus
from benchmarks.runconfig import HardwareBudget
from benchmarks.runner.components import Component
from benchmarks.runner.context import RunContext
from benchmarks.runner.driver import RunOptions, ScenarioRun
from benchmarks.scenario import load_scenario
from common.cpubudget import find_cgroup_cpu
from simulator.calibration import calibration_from_results
from simulator.runcal import fit_costs

DECODE_MS, ANALYSE_MS = 3.0, 30.0
CAMERA_FPS = 10            # rt-360p10

SCENARIO = textwrap.dedent("""\
    name: modelcheck
    seed: 3
    cameras:
      classes:
        - {name: rt, count: 6, group: CCTV RT, profile: rt-360p10}
    slos: {min_analysed_share: 0.9, analytics_lag_p95_s: 2.0}
    run: {cameras: [1, 2, 3, 4, 6], sampling_fps: [1, 2, 3, 5, 8], viewers: [0], trials: 2, step_duration_s: 1.5,
          warmup_s: 0.3}
    simulation:
      duration_s: 120
    """)


class Burner(Component):
    name = "fleet"

    def _start(self, ctx, peak):
        self.proc = subprocess.Popen([sys.executable, "-c", BURN], start_new_session=True)

    def _stop(self):
        self.proc.terminate()
        self.proc.wait(5)


@pytest.fixture(scope="module")
def run_data(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("mc")
    path = tmp / "scenario.yaml"
    path.write_text(SCENARIO)
    sc = load_scenario(path)
    # the stand-in stack gets the whole machine, reserved against other work on it where cgroups allow, so
    # that a busy neighbour does not put the knee at the first steps and leave nothing below it to fit on
    budget = HardwareBudget(cpus=len(os.sched_getaffinity(0)), reserve=True) if find_cgroup_cpu()[0] else None
    run = ScenarioRun(sc, str(path), RunOptions(out=tmp, run_id="mc", city_scale=False, budget=budget),
                      RunContext(run_dir=tmp),
                      components=[Burner(), FakeStack(tmp / "stack-state.json", DECODE_MS, ANALYSE_MS, CAMERA_FPS)])
    data = run.execute()
    assert not any(c.started for c in run.components)
    return data


def test_run_costs_fitted_from_measured_cpu(run_data):
    costs = run_data["measured_costs"]
    fit = costs["fit"]
    below = [s for s in run_data["steps"] if s["load"]["cameras"] < run_data["knee"]["value"]]
    assert costs["schema_version"] == 1 and fit["method"] == "nnls" and fit["trials"] >= 4
    assert fit["trials"] == sum(len(s["trials"]) for s in below) - len(fit["outlier_trials"])
    # recovered from CPU measured by PID (the child's own loop adds a little)
    # decode is the small term (0.03 core per camera) and only the low loads below the knee calibrate:
    # 4.2-4.5 ms measured on a busy machine, 3.7 ms when the knee step was fitted too
    assert fit["decode_s"] * 1000 == pytest.approx(DECODE_MS, rel=0.6), (fit, run_data["knee"])
    assert fit["analyse_s"] * 1000 == pytest.approx(ANALYSE_MS, rel=0.35)
    cores = costs["machine_cores"]
    for row in costs["stack_cores"]:          # the burner's ~10% of a core is taken off the machine
        assert 0.03 < row["others_cores"] < 0.5 and row["external_cores"] >= 0
        assert row["cores"] == pytest.approx(max(cores - row["others_cores"] - row["external_cores"], 0.1), abs=0.002)
    cal = calibration_from_results(run_data)   # the shape simulator.calibration reads
    assert cal.provenance["detector_ms"].startswith(f"measured in the run: fitted on {fit['trials']} trials")
    assert cal.provenance["portal_ms"].startswith("reference")
    assert cal.detector_batch_ms("onnx", 640, 1) == pytest.approx(fit["analyse_s"] * 1000)
    assert cal.detector_batch_ms("ultralytics", 320, 1) > 0       # other backends: the reference's rows


def test_model_check_predicts_with_the_runs_calibration(run_data):
    mc = run_data["model_check"]
    assert mc["status"] == CheckStatus.DONE, mc
    assert mc["calibration_method"] == "nnls"
    assert "measured in the run" in mc["calibration_provenance"]["decode_ms"]
    assert mc["axis"] == "cameras" and mc["target"] == 0.15
    steps = mc["predicted_steps"]
    # the planned steps and the knee's refinement steps, in order along the axis
    loads = sorted({1, 2, 3, 4, 6} | {s["load"]["cameras"] for s in run_data["steps"]})
    assert [s["load"]["cameras"] for s in steps] == loads[:len(steps)]
    first = steps[0]
    assert set(first["slo"]) >= {"min_analysed_share", "analytics_lag_p95_s"}
    # 1 camera at 10 fps sampled at 1 fps: every 10th frame -> share 1.0 x the delivered ratio
    assert first["slo"]["min_analysed_share"]["value"] == pytest.approx(mc["delivered_fps_ratio"], rel=0.02)
    assert 0.5 < mc["delivered_fps_ratio"] <= 1.0
    assert first["stack_cores"] < run_data["measured_costs"]["machine_cores"]
    assert first["utilisation"]["detector"] > 0
    if mc["predicted_knee"] is not None:
        assert mc["predicted_binding_slo"] in steps[-1]["slo"] or mc["predicted_binding_slo"] == "overload"
    # the last step asks for ~2 cores of a one-process stack: both the run and the model find a knee
    assert mc["measured_knee"] is not None and mc["predicted_knee"] is not None, mc["summary"]
    assert mc["rel_error"] == pytest.approx(abs(mc["predicted_knee"] - mc["measured_knee"]) / mc["measured_knee"])
    assert mc["within_target"] is (mc["rel_error"] <= 0.15)
    knee = mc["at_measured_knee"]             # each SLO at the measured knee step: model vs measured
    assert set(knee) >= {"min_analysed_share", "analytics_lag_p95_s"}
    assert all(isinstance(v["predicted"], float) and isinstance(v["measured"], float) for v in knee.values())
    at_knee = next(s for s in run_data["steps"] if s["index"] == run_data["knee"]["step"])["verdict"]
    assert mc["measured_binding_slo"] in at_knee["failed"]
    assert mc["summary"].endswith("calibration: nnls")


def _trial(cpu, d, a, **extra):
    return {"partial": False, "metrics": {"cpu_pct.stack": cpu, "decoded_fps_total": d, "analysed_fps_total": a,
                                          **extra}}


def test_fit_falls_back_to_stack_stats_then_reference():
    # one load mix only: the two costs cannot be told apart
    same = {"steps": [{"index": 0, "load": {"cameras": 2}, "trials": [_trial(20, 20, 2), _trial(21, 20, 2)]}]}
    assert fit_costs(same)["method"] == "reference" and "differ by" in fit_costs(same)["provenance"]
    with_stats = {"steps": [{"index": 0, "load": {"cameras": 2},
                             "trials": [_trial(20, 20, 2, decode_cpu_ms=1.5, detect_cpu_ms=40.0)] * 2}]}
    fit = fit_costs(with_stats)
    assert fit["method"] == "stack_stats" and fit["analyse_s"] == pytest.approx(0.040)
