"""Reading an external system's health, and the errors a user gets when the mapping or the template is wrong.

A real Prometheus text endpoint (``prometheus_client``'s own HTTP server, on a free loopback port) serves the
metrics; the reader parses them with ``prometheus_client``'s parser and maps them to the run's vocabulary.
"""
from __future__ import annotations

import contextlib
import re
import time
from pathlib import Path

import pytest
import yaml
from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    start_http_server,
)

from benchmarks.external.config import HealthConfig
from benchmarks.external.delivery import ManifestServer
from benchmarks.external.health import (
    EndpointError,
    HealthReader,
    HealthSnapshot,
    fetch,
)
from benchmarks.external.metrics import histogram_p95, trial_metrics
from common.errors import InputError
from common.netguard import free_port

CAMS = {"rt-0001": "rt-0001", "rt-0002": "rt-0002", "rtsp://127.0.0.1:8554/rt-0002": "rt-0002"}


@contextlib.contextmanager
def endpoint(registry: CollectorRegistry):
    port = free_port()
    server, thread = start_http_server(port, addr="127.0.0.1", registry=registry)
    try:
        yield f"http://127.0.0.1:{port}/metrics"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def reader(url: str, metrics: dict, **source) -> HealthReader:
    cfg = HealthConfig.model_validate({"prometheus": [{"url": url, "metrics": metrics, **source}], "timeout_s": 2})
    return HealthReader(cfg, {"stack.health.prometheus[0].url": url}, CAMS)


def test_prometheus_counters_gauges_and_a_lag_histogram_become_the_runs_metrics():
    reg = CollectorRegistry()
    frames = Counter("nvr_frames_decoded", "", ["stream"], registry=reg)
    up = Gauge("nvr_stream_up", "", ["stream"], registry=reg)
    lag = Histogram("nvr_lag_seconds", "", ["stream"], buckets=(0.1, 0.5, 1, 5), registry=reg)
    cpu = Counter("node_cpu_seconds", "", ["mode"], registry=reg)
    for mode in ("user", "system", "idle"):
        cpu.labels(mode)                                       # a node exporter serves every mode from the start
    up.labels("rt-0001").set(1)
    up.labels("rtsp://127.0.0.1:8554/rt-0002").set(1)     # a system that names cameras by their URL
    with endpoint(reg) as url:
        r = reader(url, {"decoded_frames": "nvr_frames_decoded_total", "online": "nvr_stream_up",
                         "lag_s": "nvr_lag_seconds",
                         "host_cpu_seconds": {"name": "node_cpu_seconds", "labels": {"mode": ["user", "system"]}}},
                   camera_label="stream")
        r.check_mapped()
        s0 = r.scrape()
        frames.labels("rt-0001").inc(100)
        frames.labels("rtsp://127.0.0.1:8554/rt-0002").inc(40)
        for v in [0.05] * 90 + [0.8] * 10:
            lag.labels("rt-0001").observe(v)
        cpu.labels("user").inc(3)
        cpu.labels("idle").inc(50)                            # not counted: only user and system
        time.sleep(0.2)
        s1 = r.scrape()
    s1 = HealthSnapshot(s0.t + 10.0, s1.cameras, s1.system, s1.lag_buckets)    # a 10 s trial
    m = trial_metrics(s0, s1, ["rt-0001", "rt-0002"], {"rt-0001": 10.0, "rt-0002": 10.0}, measured_by_pid=True)
    assert m["decoded_fps_total"] == pytest.approx(14.0)
    assert m["analysed_fps_min"] == pytest.approx(4.0) and m["analysed_share_min"] == pytest.approx(0.4)
    assert m["stream_loss"] == 0.0
    assert m["analytics_lag_p95_s"] == pytest.approx(0.75) and m["analytics_lag_source"] == 1.0
    assert m["stack_host_cpu_pct"] == pytest.approx(30.0)


def test_a_camera_that_stalls_or_goes_offline_counts_as_lost_and_a_counter_reset_is_not_negative():
    s0 = HealthSnapshot(0.0, {"a": {"decoded_frames": 500.0}, "b": {"decoded_frames": 70.0}, "c": {"fps": 5.0}})
    s1 = HealthSnapshot(5.0, {"a": {"decoded_frames": 50.0}, "b": {"decoded_frames": 70.0},
                              "c": {"fps": 5.0, "online": 0}})
    m = trial_metrics(s0, s1, ["a", "b", "c", "d"], {}, measured_by_pid=True)
    assert m["decoded_fps_total"] == pytest.approx(10.0)    # a restarted: its 50 frames count, not -450
    assert m["stream_loss"] == 0.75                          # b stalled, c reports offline, d is not reported


def test_histogram_quantile_interpolates_within_the_bucket():
    b0 = ((0.1, 10.0), (1.0, 10.0), (float("inf"), 10.0))
    b1 = ((0.1, 60.0), (1.0, 110.0), (float("inf"), 110.0))
    assert histogram_p95(b0, b1) == pytest.approx(0.1 + 0.9 * (95 - 50) / 50)
    assert histogram_p95(b1, b1) is None


def test_a_metric_the_endpoint_does_not_serve_is_named_with_its_yaml_path_and_the_closest_names():
    reg = CollectorRegistry()
    Counter("nvr_frames_decoded", "", ["camera"], registry=reg)
    with endpoint(reg) as url:
        r = reader(url, {"decoded_frames": "nvr_frame_decoded_total"})
        with pytest.raises(InputError) as e:
            r.check_mapped()
    msg = str(e.value)
    assert msg.startswith("stack.health.prometheus[0].metrics.decoded_frames: metric 'nvr_frame_decoded_total'")
    assert "closest: nvr_frames_decoded" in msg


def test_an_unreachable_endpoint_is_named_with_its_url():
    url = f"http://127.0.0.1:{free_port()}/metrics"          # nothing listens there
    with pytest.raises(EndpointError, match=r"stack.health.prometheus\[0\].url: cannot reach http://127.0.0.1:\d+/metrics"):
        reader(url, {"fps": "x"}).scrape()


def test_the_manifest_server_serves_what_was_last_published():
    server = ManifestServer()
    try:
        server.publish(b'{"cameras": [1]}')
        assert fetch(server.url, 2, "manifest") == '{"cameras": [1]}'
    finally:
        server.close()


EXTERNAL = {"type": "external", "name": "an NVR", "ports": ["http"],
            "cameras_via": {"type": "config_file", "template": "TEMPLATE", "reload": "kill -HUP {{ pid }}"},
            "process": {"type": "owned", "start": "nvrd --port {{ ports.http }}"},
            "health": {"prometheus": [{"url": "http://127.0.0.1:{{ ports.http }}/metrics",
                                       "metrics": {"fps": "nvr_fps"}}]}}


def _scenario(tmp_path, stack: dict):
    path = tmp_path / "nvr.yaml"
    path.write_text(yaml.safe_dump({
        "name": "nvr",
        "cameras": {"classes": [{"name": "rt", "count": 2, "group": "CCTV RT", "profile": "test-240p10"}]},
        "slos": {"stream_loss": 0.1}, "run": {"cameras": [1, 2]}, "stack": stack}))
    return path


def test_a_template_that_does_not_render_stops_the_run_before_anything_is_written(tmp_path, tilikbench_cli, capsys):
    template = tmp_path / "nvr.conf.j2"
    template.write_text("[cameras]\n{% for c in cameras %}\n{{ c.id }} = {{ c.rtsp_url }}\n{% endfor %}\n")
    path = _scenario(tmp_path, {**EXTERNAL, "cameras_via": {**EXTERNAL["cameras_via"], "template": str(template)}})
    assert tilikbench_cli("run", str(path), "--out", str(tmp_path / "results")) == 2
    err = capsys.readouterr().err
    assert "stack.cameras_via.template: the template does not render: 'dict object' has no attribute " \
           f"'rtsp_url' ({template}, line 3)" in err
    assert not (tmp_path / "results").exists(), "nothing half-written"


def test_a_non_loopback_endpoint_needs_the_owner_to_say_so(tmp_path, tilikbench_cli, capsys):
    template = tmp_path / "nvr.conf.j2"
    template.write_text("{% for c in cameras %}{{ c.url }}\n{% endfor %}")
    remote = {**EXTERNAL, "cameras_via": {**EXTERNAL["cameras_via"], "template": str(template)},
              "health": {"prometheus": [{"url": "http://10.20.30.40:9100/metrics", "metrics": {"fps": "nvr_fps"}}]}}
    assert tilikbench_cli("run", str(_scenario(tmp_path, remote)), "--out", str(tmp_path / "results")) == 2
    err = capsys.readouterr().err
    assert "stack.health.prometheus[0].url: refusing to contact non-loopback host '10.20.30.40'" in err
    assert "--i-own-this-target" in err and not (tmp_path / "results").exists()


def test_the_stack_section_is_checked_as_the_external_kind_with_yaml_paths(tmp_path, tilikbench_cli, capsys):
    bad = {**EXTERNAL, "health": {"prometheus": [{"url": "http://127.0.0.1/m", "metrics": {"cpu_seconds": "c"}}]},
           "process": {"type": "owned", "start": "nvrd", "restart": True}}
    assert tilikbench_cli("run", str(_scenario(tmp_path, bad)), "--out", str(tmp_path)) == 2
    err = capsys.readouterr().err
    assert "stack.process.restart (line" in err and "unknown key" in err
    assert "stack.health (line" in err and "map at least one per-camera frame quantity" in err


def test_the_worked_examples_of_the_docs_are_valid_scenarios():
    from benchmarks.scenario import Scenario
    text = (Path(__file__).resolve().parents[2] / "docs" / "external.md").read_text()
    blocks = re.findall(r"```yaml\n(.*?)```", text, re.DOTALL)
    scenarios = [Scenario.model_validate(yaml.safe_load(b)) for b in blocks]
    assert [s.stack.type for s in scenarios] == ["external", "external"]
    assert [s.stack.process.type for s in scenarios] == ["owned", "observed"]


def test_a_system_on_another_host_gets_that_hosts_cores_less_its_other_work():
    from benchmarks.external.metrics import host_stack_cores
    from benchmarks.runconfig import StepLoad
    history = [(StepLoad(0, 10, 2.0, 0), {"stack_host_cpu_pct": 350.0, "cpu_pct.stack": 250.0}),
               (StepLoad(0, 10, 2.0, 0), {"stack_host_cpu_pct": 330.0, "cpu_pct.stack": 250.0}),
               (StepLoad(1, 20, 2.0, 0), {"stack_host_cpu_pct": 700.0, "cpu_pct.stack": 500.0})]
    rows = host_stack_cores(history, host_cores=16)
    assert [(r["value"], r["others_cores"], r["cores"]) for r in rows] == [(10, 0.9, 15.1), (20, 2.0, 14.0)]
