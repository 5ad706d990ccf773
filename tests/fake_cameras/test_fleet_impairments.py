"""The impairment schedule: windows, repeats, overlaps by severity, and the scheduler's timing."""
from __future__ import annotations

import threading
import time

from fake_cameras.config import FleetConfig
from fake_cameras.impairments import Schedule, Scheduler


def config(impairments):
    return FleetConfig.model_validate({"classes": [
        {"name": "atcs", "count": 2, "group": "ATCS", "profile": "test-240p10"},
        {"name": "rt", "count": 3, "group": "CCTV RT", "profile": "test-240p10"}], "impairments": impairments})


def test_targets_resolve_to_camera_class_and_group():
    c = config([])
    assert c.resolve_target("atcs-0002") == ["atcs-0002"]
    assert c.resolve_target("rt") == ["rt-0001", "rt-0002", "rt-0003"]
    assert c.resolve_target("CCTV RT") == ["rt-0001", "rt-0002", "rt-0003"]
    assert c.resolve_target("rt-0009") == [] and c.resolve_target("Pasar") == []


def test_windows_repeat_and_overlaps_take_the_most_severe_state():
    s = Schedule.from_config(config([
        {"kind": "bitrate_spike", "target": "atcs-0001", "at_s": 0, "duration_s": 10, "factor": 3},
        {"kind": "freeze", "target": "atcs-0001", "at_s": 2, "duration_s": 2},
        {"kind": "reconnect_storm", "target": "ATCS", "at_s": 3, "duration_s": 2, "repeat_every_s": 20},
    ]))
    assert s.state_at("atcs-0001", 1) == ("spike", 3.0)
    assert s.state_at("atcs-0001", 2.5) == ("freeze", 1.0)
    assert s.state_at("atcs-0001", 3.5) == ("offline", 1.0)
    assert s.state_at("atcs-0002", 3.5) == ("offline", 1.0)
    assert s.state_at("atcs-0001", 6) == ("spike", 3.0)
    assert s.state_at("atcs-0001", 12) == ("online", 1.0)
    assert s.state_at("atcs-0002", 23.5) == ("offline", 1.0) and s.state_at("atcs-0002", 25.5) == ("online", 1.0)
    assert s.state_at("rt-0001", 3.5) == ("online", 1.0)
    assert [s.next_change(t) for t in (0, 2, 3, 4, 5, 10)] == [2, 3, 4, 5, 10, 23]


def test_scheduler_applies_each_change_on_time_and_restores_online():
    s = Schedule.from_config(config([{"kind": "offline", "target": "rt", "at_s": 0.3, "duration_s": 0.4}]))
    seen, lock, t0 = [], threading.Lock(), time.monotonic()

    def apply(cam, state, factor):
        with lock:
            seen.append((round(time.monotonic() - t0, 1), cam, state))

    sched = Scheduler(s, apply)
    sched.start()
    time.sleep(1.0)
    sched.stop()
    offs = [x for x in seen if x[2] == "offline"]
    ons = [x for x in seen if x[2] == "online"]
    assert sorted(c for _, c, _ in offs) == ["rt-0001", "rt-0002", "rt-0003"] == sorted(c for _, c, _ in ons)
    assert all(0.25 <= t <= 0.5 for t, _, _ in offs) and all(0.65 <= t <= 0.95 for t, _, _ in ons)


def test_scheduler_survives_a_backend_that_refuses():
    s = Schedule.from_config(config([{"kind": "freeze", "target": "atcs-0001", "at_s": 0, "duration_s": 0.2}]))

    def apply(cam, state, factor):
        raise OSError("server down")

    sched = Scheduler(s, apply)
    sched.start()
    time.sleep(0.4)
    sched.stop()
    assert sched.applied == [] and not sched.thread.is_alive()
