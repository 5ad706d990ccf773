"""Headless Locust runs against the portal over embedded RTSP cameras: a low step load, master + two
workers, and overload at five times the knee of a portal with a deliberately small concurrency bound."""
from __future__ import annotations

import threading
import time
import urllib.error
import urllib.request

import psutil

from analytics.portal.serve import PortalServer
from benchmarks.load.config import LoadConfig
from benchmarks.load.runner import run_load

EXPECTED = {"groups", "cameras", "snapshot", "playlist", "segment", "leave", "login", "events", "my_cameras"}


def _locust_children() -> list[psutil.Process]:
    out = []
    for p in psutil.Process().children(recursive=True):
        try:
            if any("locust" in a for a in p.cmdline()):
                out.append(p)
        except psutil.Error:
            pass
    return out


def load_config(stack_mod, **kw) -> LoadConfig:
    base = dict(shape="step", run_time_s=30, wait_min_s=0.2, wait_max_s=0.8, citizen_watch_s=2.5,
                operator_wall_s=2.5, wall_size=4, weights={"citizen": 6, "operator": 1, "rt_head": 1},
                operator={"username": stack_mod.OPERATOR[0], "password": stack_mod.OPERATOR[1]},
                rt_heads=[{"username": stack_mod.RT_HEAD[0], "password": stack_mod.RT_HEAD[1]}],
                step={"start_users": 3, "step_users": 3, "step_s": 5, "steps": 3}, slo_p95_ms=20_000)
    base.update(kw)
    return LoadConfig.model_validate(base)


def test_step_load_serves_every_endpoint_without_failures(stack, stack_mod, tmp_path):
    run = run_load(stack.url, load_config(stack_mod), tmp_path / "step")
    assert run.returncode == 0, (tmp_path / "step" / "locust.log").read_text()[-2000:]
    names = set(run.endpoints)
    assert EXPECTED <= names, EXPECTED - names
    assert run.total.failures == 0 and run.total.requests > 100
    assert run.endpoints["segment"].requests >= 3 and run.endpoints["playlist"].requests >= 3
    assert (tmp_path / "step" / "locust_stats.csv").exists() and run.html.exists()
    assert run.html.read_text().lstrip().lower().startswith("<!doctype html")
    k = run.knee                                      # SLO of 20 s: not crossed at this low load
    assert k is not None and k.users is None and [s.users for s in k.steps] == [3, 6, 9]
    assert run.generator_cpu_s > 0
    assert not _locust_children()


def test_master_with_two_workers(stack, stack_mod, tmp_path):
    cfg = load_config(stack_mod, shape="constant", users=4, spawn_rate=4, run_time_s=6,
                      weights={"browser": 1})
    run = run_load(stack.url, cfg, tmp_path / "dist", workers=2)
    log = (tmp_path / "dist" / "locust.log").read_text()
    assert run.returncode == 0, log[-2000:]
    assert run.total.requests > 20 and run.total.failures == 0
    assert {"groups", "cameras", "snapshot"} <= set(run.endpoints)
    assert not _locust_children()
    assert not (tmp_path / "dist" / "locust.pids").exists()


def _get(url: str) -> tuple[int, float, str | None]:
    t0 = time.perf_counter()
    try:
        with urllib.request.urlopen(url, timeout=10) as r:
            r.read()
            return r.status, time.perf_counter() - t0, None
    except urllib.error.HTTPError as e:
        return e.code, time.perf_counter() - t0, e.headers.get("Retry-After")


def test_overload_503_fast_and_recovers(stack, stack_mod, tmp_path):
    from tilikbench_test_stack import portal_config
    cfg = portal_config(tmp_path, None, workers=1, max_concurrency=2, retry_after_s=1)
    with PortalServer(cfg, stack.records) as small:
        hammer = dict(weights={"browser": 1}, wait_min_s=0.0, wait_max_s=0.0, slo_p95_ms=200,
                      knee_max_fail_ratio=0.01)
        step = run_load(small.url, load_config(stack_mod, step={"start_users": 1, "step_users": 2, "step_s": 3,
                                                                 "steps": 4}, **hammer), tmp_path / "knee")
        knee = step.knee.users
        assert knee is not None, step.knee
        probes: list[tuple[int, float, str | None]] = []
        result = {}
        t = threading.Thread(target=lambda: result.update(run=run_load(
            small.url, load_config(stack_mod, shape="constant", users=5 * knee, spawn_rate=100, run_time_s=8,
                                   **hammer), tmp_path / "over")))
        t.start()
        time.sleep(3)
        while t.is_alive() and len(probes) < 200:
            probes.append(_get(small.url + "/api/groups"))
            time.sleep(0.02)
        t.join()
        stopped = time.monotonic()
        over = result["run"]
        rejected = [p for p in probes if p[0] == 503]
        assert over.total.failures > 0 and rejected, (knee, over.total, probes[:10])
        assert all(p[2] == "1" for p in rejected)                        # Retry-After
        rejected_s = sorted(p[1] for p in rejected)
        assert rejected_s[len(rejected_s) // 2] < 0.2, rejected_s         # answered quickly, not queued
        assert {p[0] for p in probes} <= {200, 503}                       # no timeouts, no 5xx but 503
        while True:
            status, latency, _ = _get(small.url + "/api/groups")
            if status == 200 and latency < 0.2:
                break
            assert time.monotonic() - stopped < 10, "no recovery within 10 s"
            time.sleep(0.1)
        recovered_s = time.monotonic() - stopped
        assert recovered_s < 10
        print(f"knee {knee} users; at {5 * knee} users {over.total.failures}/{over.total.requests} refused; "
              f"503 median {rejected_s[len(rejected_s) // 2] * 1000:.1f} ms; recovered in {recovered_s:.2f} s")


def test_runs_are_bounded_in_time_and_requests(stack, stack_mod, tmp_path):
    t0 = time.monotonic()     # a 100 s step shape, capped at 4 s
    run = run_load(stack.url, load_config(stack_mod, weights={"browser": 1}, run_time_s=4,
                                          step={"start_users": 2, "step_users": 2, "step_s": 50, "steps": 2}),
                   tmp_path / "time-cap")
    assert time.monotonic() - t0 < 20 and run.total.requests > 0
    t0 = time.monotonic()     # hammering users, capped at 60 requests
    run = run_load(stack.url, load_config(stack_mod, shape="constant", users=3, spawn_rate=10, run_time_s=60,
                                          max_requests=60, weights={"browser": 1}, wait_min_s=0, wait_max_s=0),
                   tmp_path / "request-cap")
    assert time.monotonic() - t0 < 25 and 60 <= run.total.requests < 1000
