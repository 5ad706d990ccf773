from __future__ import annotations

import json

import yaml

from benchmarks.cli import main


def _write(tmp_path, scenario) -> str:
    path = tmp_path / "small.yaml"
    path.write_text(yaml.safe_dump(scenario))
    return str(path)


def test_simulate_prints_figures_and_draws_the_plot(tmp_path, small, capsys):
    path = _write(tmp_path, small)
    assert main(["simulate", path, "--out", str(tmp_path / "out")]) == 0
    out = capsys.readouterr().out
    for word in ("utilisation:", "detector", "latency (s)", "frame_to_event", "drops:", "knee (cameras)"):
        assert word in out
    result = json.loads((tmp_path / "out" / "small-simulation.json").read_text())
    assert result["kind"] == "simulation" and result["machine_info"] and result["sensitivity"]["viewers"]
    assert (tmp_path / "out" / "small-sensitivity.png").stat().st_size > 1000


def test_size_prints_bom_cost_and_binding(tmp_path, small, capsys):
    path = _write(tmp_path, small)
    assert main(["size", path, "--out", str(tmp_path), "--replications", "6"]) == 0
    out = capsys.readouterr().out
    assert "bill of materials" in out and "total" in out and "binding resource:" in out
    assert "95% interval over 6 of 6 replications" in out and "for 95% confidence (median" in out
    assert "CPU only:" in out and "GPU:" in out and "USD per camera" in out
    for line in ("<- binding", "decode placement per class: rt ", "ingest tier:", "storage tier:",
                 "network tier:", "redundancy: ingest N+1", "viewer start-up:", "whole day: hour",
                 "disk enclosure", "storage server (N+1)", "switch (pairs)", "NVR-site uplink, per year"):
        assert line in out, line
    result = json.loads((tmp_path / "small-sizing.json").read_text())
    assert result["schema_version"] == 2 and result["interval"]["replications"] == 6
    assert {a["kind"] for a in result["alternatives"]} == {"CPU only", "GPU"}
    assert len(result["day"]["hours"]) == 24
    assert result["hardware"]["decode"] and result["failover"]["structure"]["ingest"]["failover"]


def test_unknown_hardware_exits_2_naming_it(tmp_path, small, capsys):
    small["simulation"]["hardware"]["ingest"]["gpu"] = "voodoo2"
    small["simulation"]["hardware"]["ingest"]["gpus_per_server"] = 1
    assert main(["simulate", _write(tmp_path, small), "--no-plot", "--out", str(tmp_path)]) == 2
    assert "unknown GPU 'voodoo2'; the catalogue has: t4" in capsys.readouterr().err


def test_wrong_calibration_version_exits_2(tmp_path, small, capsys):
    bad = tmp_path / "cal.json"
    bad.write_text(json.dumps({"schema_version": 99}))
    assert main(["simulate", _write(tmp_path, small), "--calibration", str(bad), "--no-plot"]) == 2
    err = capsys.readouterr().err
    assert str(bad) in err and "schema_version is 99" in err


def test_unmeetable_slo_exits_2_with_shortfall(tmp_path, small, capsys):
    small["simulation"]["slos"] = {"viewer_start_p95_s": 0.01}
    assert main(["size", _write(tmp_path, small), "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "viewer start p95 <= 0.01 s" in err and "over" in err


def test_simulate_day_prints_every_hour_and_the_binding_one(tmp_path, small, capsys):
    path = _write(tmp_path, small)
    assert main(["simulate", path, "--no-plot", "--day", "--day-window", "20", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "decode placement: rt cpu_all" in out and "whole day: hour" in out
    result = json.loads((tmp_path / "small-simulation.json").read_text())
    assert result["schema_version"] == 2 and [h["hour"] for h in result["day"]["hours"]] == list(range(24))
    assert result["day"]["window_s"] == 20
    assert main(["simulate", path, "--no-plot", "--day", "--day-window", "5"]) == 2
    assert "--day-window must be 10-3600 s, got 5" in capsys.readouterr().err
