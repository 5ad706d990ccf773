"""Typed run records: each round-trips through its dict, older files load into them, keys this code does
not know survive, and the report is built from them."""
from __future__ import annotations

import copy
import json
import time

import pytest

from benchmarks.records import (
    Alternative,
    Calibration,
    CheckStatus,
    CostSource,
    Curve,
    Keyed,
    Knee,
    Limit,
    ModelCheck,
    OutOfSample,
    Pairing,
    PairingStatus,
    RunRecord,
    Simulation,
    Sizing,
    SizingInterval,
    Step,
    Trial,
    Wiring,
)
from benchmarks.report.build import render_html
from benchmarks.results import load, load_results

TRIAL = {"trial": 1, "started_s": 0.4, "duration_s": 0.2, "partial": False,
         "metrics": {"stream_loss": 0.0, "cpu_pct.work": 41.5},
         "slo": {"stream_loss": {"metric": "stream_loss", "value": 0.0, "limit": 0.1, "ok": True}}}
STEP = {"index": 2, "load": {"cameras": 4, "sampling_fps": 2.0, "viewers": 0}, "trials": [TRIAL],
        "verdict": {"ok": False, "failed": {"stream_loss": 1.0}, "fail_shares": {"stream_loss": 1.0},
                    "unmeasured": ["viewer_p95_ms"], "severity": {"stream_loss": 2.5}, "trials": 1},
        "complete": True, "refinement": True}
KNEE = {"step": 2, "load": STEP["load"], "axis": "cameras", "value": 4, "binding_slo": "stream_loss",
        "fail_share": 1.0, "failed": {"stream_loss": 1.0}, "last_passing_value": 3, "resolution": 0.25,
        "refinement_steps": 1, "at_last_step": False, "at_first_step": False}
MODEL_CHECK = {"axis": "cameras", "measured_knee": 4, "predicted_knee": 5, "measured_binding_slo": "stream_loss",
               "predicted_binding_slo": "overload", "rel_error": 0.25, "within_target": False, "target": 0.15,
               "status": "done", "status_detail": "predicted and measured knees compared",
               "calibration": "calibrated from results r1", "calibration_provenance": {"decode_ms": "measured"},
               "calibration_method": "nnls", "delivered_fps_ratio": 0.98, "delivered_fps_source": "median",
               "predicted_steps": [{"load": {"cameras": 4}, "ok": True}], "simulated_as": "this machine",
               "at_measured_knee": None, "summary": "predicted knee cameras=5 vs measured 4"}
PAIRING = {"calibrated_on": 1.0, "predicted_for": 0.5, "axis": "cameras", "measured_knee": 6, "predicted_knee": 6,
           "measured_binding_slo": "min_analysed_share", "predicted_binding_slo": "overload", "status": "counts",
           "reason": "", "rel_error": 0.0, "within_target": True, "summary": "calibrated at 1 cores -> 0.5 cores",
           "predicted_steps": [{"load": {"cameras": 6}, "ok": False}]}
COSTS = {"schema_version": 1, "fit": {"trials": 6, "method": "nnls", "provenance": "fitted on 6 trials",
                                      "decode_s": 0.002, "analyse_s": 0.03, "steps_used": [0, 1, 2],
                                      "outlier_trials": [{"step": 1, "trial": 0, "reason": "machine busy"}],
                                      "r2": 0.97},
         "stack_cores": [{"step": 0, "value": 1, "others_cores": 0.2, "external_cores": 0.0, "cores": 1.8}],
         "machine_cores": 2, "provenance": {"detector_ms": "fitted", "decode_ms": "fitted"},
         "decode_ms": [{"codec": "h264", "width": 1280, "height": 720, "ms_per_frame": 2.9}],
         "detector_ms": [{"backend": "torch", "input_size": 640, "batch": 1, "ms_per_batch": 30.0}],
         "spread": {"detector_ms": {"median": 30.0, "low": 27.0, "high": 33.0, "rel_sd": 0.05, "resamples": 200,
                                    "of": "ms per analysed frame"}}}
SIZING = {"target": "semarang (50,000 cameras online)", "summary": "5 x cpu-64c", "cost_usd": 207900.0,
          "cost_text": "207,900 USD", "peak_utilisation": 0.61, "headroom": 0.7, "binding": "detector",
          "storage_tb": 9000.0, "ingest_gbps": 40.0, "egress_gbps": 3.0, "hardware": {"nic": "nic-10g"},
          "bom": [{"item": "server: cpu-64c", "qty": "5", "unit": "16,000 USD", "total": "80,000 USD"}],
          "tiers": [{"key": "storage", "disks": 13, "raid": "raid6"}], "source": "x-sizing.json",
          "interval": {"replications": 50, "planned": 50, "failed": [], "window_s": 60.0, "wall_s": 12.5,
                       "items": [{"item": "server", "name": "cpu-64c", "p95": 6.0, "median": 5.0, "low": 4.0,
                                  "high": 6.0, "min": 4.0, "max": 6.0, "chosen": 37, "of": 50,
                                  "alternatives": {"cpu-64c": 37}}],
                       "cost_usd": {"p95": 2.0, "median": 1.0, "low": 0.5, "high": 2.0, "min": 0.5, "max": 2.0}},
          "alternatives": [{"kind": "GPU", "cost_usd": 1.0, "cost_per_camera_usd": 0.1, "hardware": "5x cpu-64c",
                            "cameras": 10, "binding_resource": "detector", "bom": []},
                           {"kind": "CPU only", "why": "no server fits"}],
          "sensitivity": {"swing": 0.3, "window_s": 60.0, "base_cost": 1.0, "bars": [
              {"key": "prices", "label": "hardware prices", "source": "catalogue", "low_cost": 0.7,
               "high_cost": 1.3, "why": ""}]}}
SIMULATION = {"calibration": "calibrated from this run", "target_scenario": "semarang-target.yaml", "sizing": SIZING,
              "curves": [{"key": "api", "axis": "cameras", "label": "portal API p95", "x_label": "x", "y_label": "ms",
                          "x": [1.0, 2.0], "mean": [10.0, 20.0], "low": [9.0, 18.0], "high": [11.0, 22.0],
                          "limit": 500.0}],
              "curves_seeds": 3,
              "limits": [{"axis": "cameras", "holds": 1.0, "largest": 2.0,
                          "breaks": {"factor": 2.0, "violations": ["API p95 812 ms > 500 ms"],
                                     "breaches": [{"key": "api", "value": 812.0, "limit": 500.0}]}}],
              "wall_s": 120.5}

CASES = [(Trial, TRIAL), (Step, STEP), (Knee, KNEE), (ModelCheck, MODEL_CHECK), (Pairing, PAIRING),
         (Calibration, COSTS), (Sizing, SIZING), (Simulation, SIMULATION),
         (OutOfSample, {"schema_version": 1, "target": 0.15, "budgets": [1.0, 0.5], "cost_scale": 1.0,
                        "pairings": [PAIRING], "pairs": 2, "counting": 1, "within_target": 1, "summary": "1 of 2"})]


@pytest.mark.parametrize("cls,data", CASES, ids=[c.__name__ for c, _ in CASES])
def test_each_record_round_trips_through_its_dict(cls, data):
    rec = cls.from_dict(copy.deepcopy(data))
    assert rec.to_dict() == data                      # the JSON shape comes back unchanged
    assert cls.from_dict(rec.to_dict()) == rec
    assert json.loads(json.dumps(rec.to_dict())) == data
    assert rec.extra == {}                             # every key here is a declared field


def test_fields_are_typed_not_strings():
    step = Step.from_dict(STEP)
    assert isinstance(step.trials[0], Trial) and step.trials[0].slo["stream_loss"].ok is True
    assert step.verdict.ok is False and step.verdict.unmeasured == ("viewer_p95_ms",)
    assert ModelCheck.from_dict(MODEL_CHECK).status is CheckStatus.DONE
    assert Pairing.from_dict(PAIRING).status is PairingStatus.COUNTS
    sim = Simulation.from_dict(SIMULATION)
    assert isinstance(sim.sizing, Sizing) and isinstance(sim.sizing.interval, SizingInterval)
    assert isinstance(sim.sizing.alternatives[0], Alternative) and sim.sizing.alternatives[1].why == "no server fits"
    assert isinstance(sim.curves[0], Curve) and isinstance(sim.limits[0], Limit)
    assert sim.limits[0].breaks.breaches[0] == Keyed("api", {"value": 812.0, "limit": 500.0})


def test_a_pairing_written_with_the_english_state_reads_as_the_typed_one():
    old = {**PAIRING, "status": "not comparable", "reason": "the knee is at the last planned step"}
    p = Pairing.from_dict(old)
    assert p.status is PairingStatus.NOT_COMPARABLE and not p.counts
    assert p.to_dict()["status"] == "not_comparable"
    assert "not comparable (the knee is at the last planned step)" in p.describe(0.15)


def test_the_calibration_says_which_costs_were_measured_and_their_spread():
    cal = Calibration.from_dict(COSTS)
    assert cal.fitted and cal.fit.outlier_trials[0].reason == "machine busy"
    assert cal.fit.extra == {"r2": 0.97}             # a fit figure this code does not name is kept
    by = {c.section: c for c in cal.costs()}
    assert by["detector_ms"].source is CostSource.MEASURED and by["detector_ms"].spread.rel_sd == 0.05
    assert by["portal_ms"].source is CostSource.REFERENCE and by["portal_ms"].spread is None
    assert not Calibration.from_dict({"schema_version": 1, "fit": {"method": "reference", "trials": 1}}).fitted


def test_unknown_keys_survive_at_every_level():
    step = {**STEP, "future_step": 1, "trials": [{**TRIAL, "future_trial": [1, 2]}],
            "verdict": {**STEP["verdict"], "future_verdict": "x"}}
    data = {"kind": "tilikbench.run", "schema_version": 3, "run_id": "r", "steps": [step], "knee": {**KNEE, "k": 1},
            "simulation": {**SIMULATION, "future_sim": {"a": 1}}, "future_top": True,
            "model_check": {**MODEL_CHECK, "future_mc": 2}}
    rec = RunRecord.from_dict(copy.deepcopy(data))
    assert rec.extra == {"future_top": True} and rec.steps[0].extra == {"future_step": 1}
    assert rec.steps[0].trials[0].extra == {"future_trial": [1, 2]} and rec.knee.extra == {"k": 1}
    assert rec.simulation.extra == {"future_sim": {"a": 1}} and rec.model_check.extra == {"future_mc": 2}
    back = rec.to_dict()
    assert back["future_top"] is True and back["steps"][0]["future_step"] == 1
    assert back["steps"][0]["trials"][0]["future_trial"] == [1, 2]
    assert back["steps"][0]["verdict"]["future_verdict"] == "x" and back["simulation"]["future_sim"] == {"a": 1}
    assert RunRecord.from_dict(back) == rec


def test_an_old_schema_file_upgrades_and_loads_into_records(tmp_path):
    v1 = {"kind": "tilikbench.run", "schema_version": 1, "machine_info": {"cpu_count_logical": 2},
          "commit_info": {"id": "abc", "dirty": False}, "run_id": "old", "scenario": {"name": "old"},
          "axis": "cameras", "slos": {"stream_loss": 0.1}, "wired": {"fleet": "wired", "stack": "not available: no"},
          "model_check": {"status": "done: neither found a knee"},
          "steps": [{"index": 0, "load": {"cameras": 2}, "metrics": {"stream_loss": 0.0}, "ok": True},
                    {"index": 1, "load": {"cameras": 4}, "metrics": {"stream_loss": 0.5}, "ok": False}],
          "knee": 1}
    (tmp_path / "results.json").write_text(json.dumps(v1))
    rec, notes = load(tmp_path)
    assert len(notes) == 2 and rec.schema_version == 3 and rec.dir == str(tmp_path)
    assert rec.steps[1].trials[0].number("stream_loss") == 0.5 and rec.steps[1].verdict.ok is False
    assert rec.knee.step == 1 and rec.knee.load == {"cameras": 4} and rec.knee.binding_slo is None
    assert rec.wired == {"fleet": Wiring.WIRED, "stack": Wiring.NOT_AVAILABLE} and rec.wired_why["stack"] == "no"
    assert rec.model_check.status is CheckStatus.DONE and rec.model_check.status_detail == "neither found a knee"
    assert rec.machine_info.cpu_count_logical == 2 and rec.commit_info.id == "abc"
    html = render_html(rec, notes, "en")
    assert "upgraded from schema version 1" in html and "= 4" in html


def test_a_finished_run_loads_into_records_and_round_trips(finished_run):
    data, _ = load_results(finished_run)
    rec, _ = load(finished_run)
    data.pop("_dir")
    assert rec.to_dict() == json.loads(json.dumps(data))    # what the runner wrote is what the record gives
    assert rec.knee.value == 4 and rec.knee.binding_slo == "analytics_lag_p95_s"
    assert all(isinstance(t, Trial) and t.duration_s is not None for s in rec.steps for t in s.trials)
    assert rec.wired == {"work": Wiring.WIRED}


@pytest.mark.parametrize("lang,counts,not_comparable", [("en", "counts", "not comparable"),
                                                         ("id", "dihitung", "tidak sebanding")])
def test_the_report_builds_from_records(finished_run, lang, counts, not_comparable):
    rec, notes = load(finished_run)
    old = {**PAIRING, "status": "not comparable", "reason": "the knee is at the last planned step"}
    rec = RunRecord.from_dict({**rec.to_dict(), "simulation": SIMULATION,
                               "out_of_sample": {"summary": "1 of 2", "pairings": [PAIRING, old]}})
    html = render_html(rec, notes, lang)
    section = html[html.index('id="certainty"'):html.index("</section>")]
    assert f"<td>{counts}</td>" in section and f"<td>{not_comparable}: the knee is at" in section
    assert "semarang (50,000 cameras online)" in html and "80,000 USD" in html
    assert "data:image/png;base64," in html


def test_sizing_skips_the_optional_parts_past_its_deadline_and_says_why():
    from simulator.calibration import load_calibration
    from simulator.hardware import load_catalogue
    from simulator.sizerun import SizingOptions, size_scenario
    from benchmarks.scenario import Scenario
    from tests.simulator.conftest import SMALL
    sc = Scenario.model_validate(copy.deepcopy(SMALL))
    parts = []
    run = size_scenario(sc, load_calibration(), load_catalogue(),
                        SizingOptions(replications=4, sensitivity=True, day=False, deadline=time.monotonic() - 1),
                        on_part=lambda name, _: parts.append(name))
    assert parts == ["sizing"]
    assert set(run.skipped) == {"interval", "alternatives", "sensitivity"}
    rec = run.record()
    assert rec["interval"] is None and rec["alternatives"] == [] and rec["skipped"]["interval"].startswith("the time")
    sizing = Sizing.from_dict({"bom": [], "tiers": rec["tiers"], "skipped": rec["skipped"]})
    assert [t.key for t in sizing.tiers][:2] == ["decode", "ingest"]
