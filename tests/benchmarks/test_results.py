"""Results: versioned JSON and CSVs, upgrades of older schema versions, clear errors."""
from __future__ import annotations

import json

import pytest

from benchmarks.records import CheckStatus, Wiring
from benchmarks.results import SCHEMA_VERSION, load_results, steps_csv, write_results
from common.errors import InputError


def test_results_carry_schema_machine_commit_and_every_trial(finished_run):
    data, notes = load_results(finished_run)
    assert notes == []
    assert data["schema_version"] == SCHEMA_VERSION and data["kind"] == "tilikbench.run"
    assert data["machine_info"]["cpu_count_logical"] >= 1
    assert isinstance(data["commit_info"]["dirty"], bool)
    assert data["complete"] is True
    assert data["knee"]["value"] == 4 and data["knee"]["binding_slo"] == "analytics_lag_p95_s"
    assert all(len(s["trials"]) == 2 for s in data["steps"])
    lines = (finished_run / "trials.csv").read_text().splitlines()
    assert lines[0].startswith("step,load_cameras") and len(lines) == 1 + 2 * len(data["steps"])
    assert "cpu_pct.work" in lines[0]


def test_version_1_results_upgrade_on_load_with_a_note(tmp_path):
    v1 = {"kind": "tilikbench.run", "schema_version": 1, "machine_info": {}, "commit_info": {"id": "x", "dirty": False},
          "run_id": "old", "scenario": {"name": "old"}, "axis": "cameras", "slos": {"stream_loss": 0.1},
          "steps": [{"index": 0, "load": {"cameras": 2}, "metrics": {"stream_loss": 0.0}, "ok": True},
                    {"index": 1, "load": {"cameras": 4}, "metrics": {"stream_loss": 0.5}, "ok": False}],
          "knee": 1}
    (tmp_path / "results.json").write_text(json.dumps(v1))
    data, notes = load_results(tmp_path)
    assert notes == ["upgraded from schema version 1 to 2 on load", "upgraded from schema version 2 to 3 on load"]
    assert data["schema_version"] == 3
    assert data["steps"][1]["trials"][0]["metrics"] == {"stream_loss": 0.5}
    assert data["knee"]["step"] == 1 and data["knee"]["load"] == {"cameras": 4}
    assert "stream_loss" in steps_csv(data)


def test_version_2_states_in_english_become_typed_states_with_their_text_beside(tmp_path):
    v2 = {"kind": "tilikbench.run", "schema_version": 2, "machine_info": {}, "commit_info": {"id": "x", "dirty": False},
          "run_id": "old", "scenario": {"name": "old"}, "axis": "cameras", "slos": {}, "steps": [], "knee": None,
          "wired": {"fleet": "wired", "stack": "not available: analytics is missing",
                    "portal": "not declared in the scenario", "load": "not wired into the runner yet"},
          "model_check": {"status": "done: the simulator predicts no knee within the planned steps"}}
    (tmp_path / "results.json").write_text(json.dumps(v2))
    data, _ = load_results(tmp_path)
    assert data["wired"] == {"fleet": Wiring.WIRED, "stack": Wiring.NOT_AVAILABLE, "portal": Wiring.NOT_DECLARED,
                             "load": Wiring.NOT_WIRED}
    assert data["wired_why"] == {"stack": "analytics is missing", "load": "not wired into the runner yet"}
    mc = data["model_check"]
    assert mc["status"] == CheckStatus.DONE and mc["status_detail"] == "the simulator predicts no knee within " \
                                                                       "the planned steps"
    failed = {**v2, "model_check": {"status": "failed: ValueError: x"}}
    (tmp_path / "results.json").write_text(json.dumps(failed))
    assert load_results(tmp_path)[0]["model_check"] == {"status": CheckStatus.FAILED, "status_detail": "ValueError: x"}


def test_newer_schema_is_a_clear_error(tmp_path):
    (tmp_path / "results.json").write_text(json.dumps({"kind": "tilikbench.run", "schema_version": 99}))
    with pytest.raises(InputError, match="schema_version 99 is newer than this tilikbench understands"):
        load_results(tmp_path)


def test_missing_or_broken_results_name_the_file(tmp_path):
    with pytest.raises(InputError, match="no run results here") as e:
        load_results(tmp_path)
    assert str(tmp_path) in str(e.value)
    (tmp_path / "results.json").write_text("{not json")
    with pytest.raises(InputError, match="not valid JSON"):
        load_results(tmp_path)


def test_write_is_atomic_and_leaves_no_temporary_files(tmp_path, finished_run):
    data, _ = load_results(finished_run)
    write_results(tmp_path, data)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["results.json", "steps.csv", "trials.csv"]
