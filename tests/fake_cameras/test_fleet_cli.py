"""`tilikbench validate` and `tilikbench cameras up/down/status`: bad inputs give clear errors and
non-zero exits; `up --detach` then `down` leaves no process behind."""
from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from benchmarks.cli import main
from fake_cameras.fleet import stop_fleet
from common.manifest import MANIFEST_FILE, read_manifest
from common.netguard import free_port
from tests.fake_cameras.fleet_helpers import CACHE, REPO, alive, fleet_dict, records_of, rt_class, write_scenario


def cli(*argv: str) -> int:
    return main(list(argv))


def scenario_with(tmp_path, cameras: dict, name: str = "bad.yaml"):
    return write_scenario(tmp_path / name, cameras)


def test_misspelt_key_names_its_yaml_path_and_line(tmp_path, capsys):
    cams = fleet_dict([rt_class(1)])
    cams["classes"][0]["countt"] = cams["classes"][0].pop("count")
    path = scenario_with(tmp_path, cams)
    assert cli("validate", str(path)) == 2
    err = capsys.readouterr().err
    assert "cameras.classes[0].countt (line" in err and "unknown key" in err
    assert str(path) in err


def test_misspelt_scene_key_is_caught_at_validate(tmp_path, capsys):
    cams = fleet_dict([rt_class(1)])
    cams["classes"][0]["footage"]["scene"]["vehicle_per_min"] = 10
    assert cli("validate", str(scenario_with(tmp_path, cams))) == 2
    assert "cameras.classes[0].footage.scene.vehicle_per_min" in capsys.readouterr().err


def test_negative_fps_and_unknown_codec_in_inline_profile(tmp_path, capsys):
    cams = fleet_dict([rt_class(1)])
    cams["classes"][0]["profile"] = {"width": 640, "height": 360, "fps": -5, "bitrate_kbps": 500, "gop": 10,
                                     "codec": "vp9"}
    assert cli("validate", str(scenario_with(tmp_path, cams))) == 2
    err = capsys.readouterr().err
    assert "cameras.classes[0].profile.fps (line" in err and "greater than 0" in err
    assert "cameras.classes[0].profile.codec (line" in err and "'h264' or 'h265'" in err


def test_unknown_profile_name_and_impairment_target(tmp_path, capsys):
    cams = fleet_dict([rt_class(2)], impairments=[{"kind": "offline", "target": "rt-0009", "at_s": 1,
                                                   "duration_s": 1}])
    cams["classes"][0]["profile"] = "rt-999p"
    assert cli("validate", str(scenario_with(tmp_path, cams))) == 2
    err = capsys.readouterr().err
    assert "unknown camera profile 'rt-999p'" in err
    cams["classes"][0]["profile"] = "rt-360p10"
    assert cli("validate", str(scenario_with(tmp_path, cams))) == 2
    assert "impairments[0].target 'rt-0009' matches no camera" in capsys.readouterr().err


def test_bad_shard(tmp_path, capsys):
    cams = fleet_dict([rt_class(2)], shard={"index": 3, "count": 2})
    assert cli("validate", str(scenario_with(tmp_path, cams))) == 2
    assert "shard index 3 must be < count 2" in capsys.readouterr().err
    ok = scenario_with(tmp_path, fleet_dict([rt_class(2)]), "ok.yaml")
    assert cli("cameras", "up", str(ok), "--shard", "2/2", "--state-dir", str(tmp_path / "s")) == 2
    assert "--shard: shard 2/2" in capsys.readouterr().err


def test_missing_footage_names_the_file(tmp_path, capsys):
    cams = fleet_dict([rt_class(1)])
    cams["classes"][0]["footage"] = {"variants": 0, "recorded": [str(tmp_path / "no-such.mp4")]}
    path = scenario_with(tmp_path, cams)
    assert cli("cameras", "up", str(path), "--state-dir", str(tmp_path / "s"), "--cache-dir", str(CACHE)) == 2
    err = capsys.readouterr().err
    assert "no-such.mp4" in err and "does not exist" in err


def test_corrupt_footage_names_the_file(tmp_path, capsys):
    bad = tmp_path / "broken.mp4"
    bad.write_bytes(b"\x00\x00\x00\x18ftypmp42" + bytes(range(256)) * 40)
    cams = fleet_dict([rt_class(1)])
    cams["classes"][0]["footage"] = {"variants": 0, "recorded": [str(bad)]}
    path = scenario_with(tmp_path, cams)
    assert cli("cameras", "up", str(path), "--state-dir", str(tmp_path / "s"), "--cache-dir",
               str(tmp_path / "cache")) == 2
    assert "broken.mp4" in capsys.readouterr().err
    assert not list((tmp_path / "s").glob("cameras*.json"))


def test_port_in_use_is_named_and_nothing_is_started(tmp_path, capsys):
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        cams = fleet_dict([rt_class(1, variants=1)])
        cams["rtsp_port"] = port
        path = scenario_with(tmp_path, cams)
        before = set(p.pid for p in __import__("psutil").Process().children(recursive=True))
        assert cli("cameras", "up", str(path), "--state-dir", str(tmp_path / "s"), "--cache-dir", str(CACHE)) == 4
        err = capsys.readouterr().err
        assert f"port {port}" in err and "already in use" in err
        after = set(p.pid for p in __import__("psutil").Process().children(recursive=True))
        assert after <= before
        assert not (tmp_path / "s" / "cameras-procs.json").exists()


def test_mediamtx_without_binary_is_unavailable(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("MEDIAMTX_BIN", raising=False)
    monkeypatch.setenv("PATH", "/usr/bin:/bin")
    monkeypatch.delenv("TILIKBENCH_MEDIAMTX_DOWNLOAD", raising=False)
    cams = fleet_dict([rt_class(1, variants=1)], backend="mediamtx", hls_port=free_port(),
                      metrics_port=free_port())
    path = scenario_with(tmp_path, cams)
    assert cli("cameras", "up", str(path), "--state-dir", str(tmp_path / "s"), "--cache-dir", str(CACHE)) == 3
    err = capsys.readouterr().err
    assert "MediaMTX" in err and "MEDIAMTX_BIN" in err


def test_up_detach_status_down_leaves_nothing(tmp_path):
    state = tmp_path / "state"
    path = write_scenario(tmp_path / "fleet.yaml", fleet_dict([rt_class(2, variants=1)]))
    tb = [sys.executable, "-m", "benchmarks.cli", "cameras"]
    try:
        _up_status_down(tb, path, state)
    finally:
        stop_fleet(state)       # whatever failed above, the detached fleet does not outlive the test


def _up_status_down(tb, path, state):
    up = subprocess.run(tb + ["up", str(path), "--detach", "--state-dir", str(state), "--cache-dir", str(CACHE)],
                        capture_output=True, text=True, cwd=REPO, timeout=120)
    assert up.returncode == 0, up.stderr + up.stdout
    assert "2 cameras up in the background" in up.stdout and "rtsp://127.0.0.1:" in up.stdout
    info = json.loads((state / "cameras.json").read_text())
    manifest = read_manifest(state / MANIFEST_FILE)        # the contract the stack reads
    assert manifest.ids() == ["rt-0001", "rt-0002"] and manifest.api_url == info["api_url"]
    assert all(c.url.endswith("/" + c.id) and c.clip_frames and Path(c.clip).is_file() for c in manifest.cameras)
    recorded = [(r["pid"], r["create_time"]) for r in json.loads((state / "cameras-procs.json").read_text())]
    owner = records_of([info["owner_pid"]])
    assert alive(recorded + owner)
    status = subprocess.run(tb + ["status", "--state-dir", str(state)], capture_output=True, text=True,
                            cwd=REPO, timeout=60)
    assert status.returncode == 0 and "2/2 ready" in status.stdout and "rt-0002" in status.stdout
    again = subprocess.run(tb + ["up", str(path), "--state-dir", str(state), "--cache-dir", str(CACHE)],
                           capture_output=True, text=True, cwd=REPO, timeout=60)
    assert again.returncode == 4 and "already up" in again.stderr
    down = subprocess.run(tb + ["down", "--state-dir", str(state)], capture_output=True, text=True, cwd=REPO,
                          timeout=60)
    assert down.returncode == 0 and "stopped" in down.stdout
    deadline = time.monotonic() + 5
    while alive(recorded + owner) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert alive(recorded + owner) == []
    assert not (state / "cameras.json").exists() and not (state / MANIFEST_FILE).exists()


def test_scenarios_in_repo_validate():
    for name in ("smoke.yaml", "semarang-demo.yaml"):
        assert cli("validate", str(REPO / "scenarios" / name)) == 0
    demo = yaml.safe_load((REPO / "scenarios" / "semarang-demo.yaml").read_text())["cameras"]
    assert 8 <= sum(c["count"] for c in demo["classes"]) <= 12
    assert {c["group"] for c in demo["classes"]} >= {"ATCS", "CCTV RT", "Pasar", "Kota Lama"}


@pytest.fixture(autouse=True)
def _no_leftover_children():
    import psutil
    before = {p.pid for p in psutil.Process().children(recursive=True)}
    yield
    left = [p for p in psutil.Process().children(recursive=True) if p.pid not in before]
    assert not left, f"processes left behind: {left}"
