"""An external system under test: real RTSP consumers that are not our stack, driven and measured by the runner.

The system is ``external_sut.py``: a supervisor of ``ffmpeg`` readers or GStreamer decode pipelines that
exports their health as Prometheus text and JSON. Its licence limit (``--max-streams``) gives a knee that
does not depend on how busy the machine is.
"""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import psutil
import pytest
import yaml

from benchmarks.records import CheckStatus
from benchmarks.runner.context import RunContext
from benchmarks.runner.driver import RunOptions, ScenarioRun
from benchmarks.scenario import load_scenario
from common.netguard import free_port
from common.procs import stop_pid
from simulator.calibration import calibration_from_results

HERE = Path(__file__).resolve().parent
SUT = HERE / "external_sut.py"
NVR_TEMPLATE = HERE / "external" / "nvr.yaml.j2"

PROMETHEUS = {"url": "http://127.0.0.1:{{ ports.http }}/metrics",
              "metrics": {"decoded_frames": "sut_frames_decoded_total", "analysed_frames": "sut_frames_analysed_total",
                          "online": "sut_stream_up", "errors": "sut_reader_restarts_total",
                          "lag_s": "sut_stream_lag_seconds", "cpu_seconds": "sut_cpu_seconds_total",
                          "memory_bytes": "sut_memory_bytes"}}


def scenario(tmp_path: Path, stack: dict, run: dict, slos: dict, cameras: int = 3) -> Path:
    doc = {"schema_version": 1, "name": "ext", "seed": 1,
           "cameras": {"backend": "embedded", "host": "127.0.0.1", "rtsp_port": free_port(), "api_port": free_port(),
                       "classes": [{"name": "rt", "count": cameras, "group": "CCTV RT", "profile": "test-240p10",
                                    "footage": {"variants": 1, "scene": {"duration_s": 10}}}]},
           "slos": slos, "run": run, "stack": stack}
    path = tmp_path / "scenario.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return path


def execute(path: Path, tmp_path: Path, run_id: str = "ext", **options) -> dict:
    sc = load_scenario(path)
    run = ScenarioRun(sc, str(path), RunOptions(out=tmp_path, run_id=run_id, city_scale=False,
                                                cache_dir=HERE.parents[1] / "cache", **options),
                      RunContext(run_dir=tmp_path, seed=sc.seed))
    return run.execute()


def system_log(tmp_path: Path, run_id: str = "ext") -> str:
    log = tmp_path / run_id / "external" / "system.log"
    return log.read_text()[-2000:] if log.exists() else "(no system log)"


def test_ffmpeg_reader_group_owned_through_a_config_file_has_its_knee_found_model_checked_and_reported(
        tmp_path, tilikbench_cli, capsys):
    stack = {"type": "external", "name": "ffmpeg reader group (test NVR, 2-stream licence)", "ports": ["http"],
             "cameras_via": {"type": "config_file", "template": str(NVR_TEMPLATE), "reload": "kill -HUP {{ pid }}"},
             "process": {"type": "owned",
                         "start": f"{sys.executable} {SUT} --reader ffmpeg --config {{{{ config_path }}}} "
                                  "--port {{ ports.http }} --max-streams 2 --workdir {{ run_dir }}/external"},
             "health": {"prometheus": [PROMETHEUS]}, "settle_timeout_s": 5}
    path = scenario(tmp_path, stack, {"cameras": [1, 2, 3], "sampling_fps": [2, 5, 10], "trials": 2,
                                      "step_duration_s": 1.5, "warmup_s": 0.5},
                    {"min_analysed_share": 0.7, "stream_loss": 0.1})
    code = tilikbench_cli("run", str(path), "--out", str(tmp_path), "--run-id", "ext", "--no-city-scale")
    out = capsys.readouterr().out
    assert code == 0, out + system_log(tmp_path)
    assert "knee: cameras=3 (step 3)" in out and "model check: " in out
    data = json.loads((tmp_path / "ext" / "results.json").read_text())
    assert [s["verdict"]["ok"] for s in data["steps"]] == [True, True, False], system_log(tmp_path)
    assert data["knee"]["binding_slo"] in ("min_analysed_share", "stream_loss")
    first = data["steps"][0]["trials"][0]["metrics"]
    assert first["decoded_fps_total"] == pytest.approx(10, rel=0.3)     # one 10 fps camera, every frame
    assert first["analysed_fps_min"] == pytest.approx(2, rel=0.3)       # sampled at the step's 2 fps
    assert first["cpu_pct.stack"] > 0.5 and first["rss_mb.stack"] > 10  # its PID tree, measured here
    knee = data["steps"][2]["trials"][0]["metrics"]
    assert knee["stream_loss"] == pytest.approx(1 / 3, abs=0.01)        # the third camera is not licensed
    fit = data["measured_costs"]["fit"]                                  # the simulator calibrated from it
    # the trials of the two steps below the knee (two each); the knee step never calibrates
    assert fit["trials"] == 4 and fit["method"] == "nnls" and fit["analyse_s"] > fit["decode_s"], fit
    cal = calibration_from_results(data)                                 # what the city-scale sizing uses
    assert any(r.ms_per_batch == pytest.approx(fit["analyse_s"] * 1000) for r in cal.detector_ms)
    mc = data["model_check"]
    assert mc["status"] == CheckStatus.DONE and mc["measured_knee"] == 3, mc
    assert mc["calibration_method"] == fit["method"]
    assert (tmp_path / "ext" / "external" / "nvr.yaml").read_text().count("url:") == 3
    assert system_processes() == [], "the owned system and its readers are stopped by PID"
    assert tilikbench_cli("report", str(tmp_path / "ext")) == 0
    html = (tmp_path / "ext" / "report.en.html").read_text()
    assert "ffmpeg reader group (test NVR, 2-stream licence)" in html


def system_processes() -> list[psutil.Process]:
    """This process's descendants that belong to an external system of these tests (none after a run)."""
    out = []
    for p in psutil.Process().children(recursive=True):
        try:
            if str(SUT) in " ".join(p.cmdline()) or p.name() in ("ffmpeg", "gst-launch-1.0"):
                out.append(p)
        except psutil.Error:
            continue
    return out


def test_gstreamer_pipelines_given_cameras_through_an_http_api_are_measured_by_json_and_pid(tmp_path):
    put = ("curl -sf -X PUT -H 'Content-Type: application/json' --data {{ {'cameras': cameras, "
           "'sampling_fps': sampling_fps} | tojson | quote }} http://127.0.0.1:{{ ports.http }}/api/cameras")
    stack = {"type": "external", "name": "GStreamer decode pipelines (test VMS)", "ports": ["http"],
             "cameras_via": {"type": "command", "command": put},
             "process": {"type": "owned",
                         "start": f"{sys.executable} {SUT} --reader gstreamer --port {{{{ ports.http }}}} "
                                  "--workdir {{ run_dir }}/external", "restart_on_step": True},
             "health": {"json_api": [{"url": "http://127.0.0.1:{{ ports.http }}/api/streams", "items": "streams",
                                      "camera_key": "name",
                                      "cameras": {"decoded_frames": "frames.decoded", "online": "up",
                                                  "errors": "restarts"},
                                      "system": {"cpu_seconds": "system.cpu_seconds"}}]},
             "expected_fps": "camera_fps", "settle_timeout_s": 6}
    path = scenario(tmp_path, stack, {"cameras": [1, 2], "trials": 1, "step_duration_s": 1.5, "warmup_s": 0.5},
                    {"min_analysed_share": 0.7, "stream_loss": 0.1}, cameras=2)
    data = execute(path, tmp_path)
    assert [s["verdict"]["ok"] for s in data["steps"]] == [True, True], system_log(tmp_path)
    assert data["knee"] is None and data["complete"] is True
    m = data["steps"][1]["trials"][0]["metrics"]
    assert m["decoded_fps_total"] == pytest.approx(20, rel=0.3)    # two 10 fps cameras, every frame decoded
    assert m["analysed_share_min"] > 0.7 and m["stream_loss"] == 0.0
    assert m["cpu_pct.stack"] > 0.5                                   # gst-launch children in the PID tree
    assert m["stack_reported_cpu_pct"] > 0.5                          # and the system's own report beside it
    assert data["model_check"]["status"] == CheckStatus.DONE
    assert system_log(tmp_path).count("reading 1 of 1 cameras") == 1     # restarted for step 2's cameras
    assert system_processes() == []


def test_an_already_running_system_is_only_observed_through_its_metrics(tmp_path):
    manifest = tmp_path / "cameras.json"
    port = free_port()
    proc = subprocess.Popen([sys.executable, str(SUT), "--reader", "ffmpeg", "--manifest-url", manifest.as_uri(),
                             "--port", str(port), "--workdir", str(tmp_path / "sut")],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        prom = {**PROMETHEUS, "url": f"http://127.0.0.1:{port}/metrics"}
        stack = {"type": "external", "name": "ffmpeg readers, already running",
                 "cameras_via": {"type": "manifest", "path": str(manifest), "serve": False},
                 "process": {"type": "observed"}, "health": {"prometheus": [prom], "timeout_s": 5},
                 "settle_timeout_s": 6}
        path = scenario(tmp_path, stack, {"cameras": [2], "sampling_fps": [2], "trials": 1, "step_duration_s": 1.5,
                                          "warmup_s": 0.5}, {"min_analysed_fps": 1.5, "stream_loss": 0.1}, cameras=2)
        data = execute(path, tmp_path)
        assert [s["verdict"]["ok"] for s in data["steps"]] == [True]
        m = data["steps"][0]["trials"][0]["metrics"]
        assert m["cpu_pct.stack"] > 0.5 and m["rss_mb.stack"] > 10      # from its own metrics, not by PID
        assert "stack_reported_cpu_pct" not in m
        assert json.loads(manifest.read_text())["cameras"][1]["url"].startswith("rtsp://127.0.0.1:")
        assert proc.poll() is None, "an observed system is never stopped by the run"
    finally:
        stop_pid(proc.pid, None)          # TERM, then KILL, to its process tree
        proc.wait(10)
