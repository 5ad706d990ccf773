"""Load shapes, the knee finder, bounds and the target guard (no traffic leaves loopback)."""
from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from benchmarks.load.config import (MAX_USERS, DiurnalShapeConfig, EndpointMapping, LoadConfig, SpikeShapeConfig,
                                    StepShapeConfig)
from benchmarks.load.knee import StepStat, users_knee, steps_from_history
from benchmarks.load.shapes import diurnal_level, diurnal_tick, spike_tick, step_tick
from benchmarks.yamlpath import validate_file
from common.errors import InputError
from common.netguard import check_target

REPO = Path(__file__).resolve().parents[2]


def test_knee_is_first_step_over_slo():
    steps = [StepStat(10, 40), StepStat(20, 90), StepStat(30, 180), StepStat(40, 260), StepStat(50, 150)]
    k = users_knee(steps, 200)
    assert (k.users, k.last_ok_users) == (40, 30)
    assert users_knee(steps, 300).users is None and users_knee(steps, 300).last_ok_users == 50
    assert users_knee(steps, 50).users == 20
    failing = [StepStat(10, 40, requests=100), StepStat(20, 45, requests=100, failures=30)]
    assert users_knee(failing, 200).users is None
    assert users_knee(failing, 200, max_fail_ratio=0.01).users == 20
    with pytest.raises(ValueError):
        users_knee(steps, 0)


def test_steps_from_locust_history(tmp_path: Path):
    head = ("Timestamp,User Count,Type,Name,Requests/s,Failures/s,50%,66%,75%,80%,90%,95%,98%,99%,99.9%,99.99%,"
            "100%,Total Request Count,Total Failure Count,Total Median Response Time,Total Average Response Time,"
            "Total Min Response Time,Total Max Response Time,Total Average Content Size")
    rows = [(100, 0, "N/A", "N/A", 0, 0), (101, 5, 10, 20, 50, 0), (102, 5, 11, 30, 100, 0),
            (103, 7, 11, 35, 120, 0),                                   # a ramp row: dropped
            (104, 10, 12, 40, 150, 0), (105, 10, 40, 250, 230, 3), (106, 10, 40, 250, 230, 3),
            (107, 4, 50, 900, 240, 3), (108, 4, 50, 900, 250, 3)]               # users stopping: dropped
    lines = [head] + [f"{t},{u},,Aggregated,1,0,{p50},1,1,1,1,{p95},1,1,1,1,1,{req},{fail},1,1,1,1,1"
                      for t, u, p50, p95, req, fail in rows]
    lines.insert(3, "102,5,GET,snapshot,1,0,5,1,1,1,1,900,1,1,1,1,1,40,0,1,1,1,1,1")
    path = tmp_path / "h.csv"
    path.write_text("\n".join(lines) + "\n")
    steps = steps_from_history(path)
    assert [(s.users, s.p95_ms, s.requests, s.failures) for s in steps] == [(5, 30, 100, 0), (10, 250, 110, 3)]
    assert users_knee(steps, 200).users == 10
    assert steps_from_history(path, name="snapshot") == []               # one row only
    assert [s.p95_ms for s in steps_from_history(path, name="snapshot", min_rows=1)] == []  # no earlier row


def test_shapes():
    c = StepShapeConfig(start_users=5, step_users=5, step_s=10, steps=3)
    assert [step_tick(c, t)[0] for t in (0, 9.9, 10, 25)] == [5, 5, 10, 15] and step_tick(c, 30) is None
    assert diurnal_level(3.0) < 0.1 < diurnal_level(8.0) < diurnal_level(19.5) == pytest.approx(1.0, abs=0.01)
    d = DiurnalShapeConfig(peak_users=100, day_s=240)
    users = [diurnal_tick(d, t)[0] for t in range(0, 240, 2)]
    assert max(users) == 100 and 180 <= 2 * users.index(100) <= 200          # the peak falls near 19:30
    assert min(users) <= 10 and diurnal_tick(d, 240) is None
    s = SpikeShapeConfig(base_users=5, spike_users=100, spike_at_s=10, spike_s=5, after_s=5)
    assert [spike_tick(s, t)[0] for t in (0, 10, 14.9, 15, 19)] == [5, 100, 100, 5, 5] and spike_tick(s, 20) is None


def test_bounds_and_config_errors():
    with pytest.raises(ValidationError):
        LoadConfig(users=MAX_USERS + 1)
    with pytest.raises(ValidationError, match="operator credentials"):
        LoadConfig(weights={"citizen": 1, "operator": 1})
    with pytest.raises(ValidationError):
        LoadConfig(wait_min_s=5, wait_max_s=1)


def test_mapping_example_is_valid():
    m = validate_file(EndpointMapping, REPO / "scenarios" / "load-mapping-example.yaml")
    assert m.playlist.format(camera_id="pahlawan-01") == "/hls/pahlawan-01/index.m3u8" and m.leave is None


def test_target_guard_refuses_non_loopback_without_flag(capsys, tilikbench_cli):
    for url in ("http://192.0.2.10:8080", "http://portal.example.test/", "http://[2001:db8::1]:80"):
        with pytest.raises(InputError, match="non-loopback"):
            check_target(url)
    assert check_target("http://127.0.0.1:8080") == "127.0.0.1" and check_target("http://[::1]:1") == "::1"
    assert check_target("http://192.0.2.10:8080", i_own_it=True) == "192.0.2.10"   # allowed, nothing sent
    code = tilikbench_cli("load", "--url", "http://192.0.2.10:8080", "--duration", "5")
    out, err = capsys.readouterr()
    assert code == 2 and out.startswith("target: http://192.0.2.10:8080")
    assert "refusing" in err and "--i-own-this-target" in err


def test_cli_rejects_out_of_bounds(capsys, tilikbench_cli):
    assert tilikbench_cli("load", "--url", "http://127.0.0.1:9", "--users", str(MAX_USERS + 1)) == 2
    assert "--users" in capsys.readouterr().err
    assert tilikbench_cli("load", "--url", "http://127.0.0.1:9", "--max-requests", "0") == 2
    assert tilikbench_cli("load") == 2
