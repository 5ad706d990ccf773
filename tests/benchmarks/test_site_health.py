"""Per-site health in a run and the site uplink that binds: what a trial records, when an uplink counts
as binding, and which one the report names at the knee."""
from __future__ import annotations

from benchmarks.runner.site_health import (
    BINDING_UTIL,
    binding_uplink,
    knee_binding_uplink,
    site_health,
    stack_site_health,
)
from fake_cameras.config import FleetConfig
from fake_cameras.nvr_sites import SiteServing


def serving(tmp_path) -> SiteServing:
    cfg = FleetConfig.model_validate({
        "classes": [{"name": "rt", "count": 8, "group": "CCTV RT", "profile": "test-240p10"}],
        "sites": {"channels": {4: 1.0}, "uplinks": [{"name": "adsl", "up_mbit": 1, "share": 0.5},
                                                     {"name": "fibre", "up_mbit": 20, "share": 0.5}]}})
    return SiteServing(cfg, set(cfg.camera_ids()), tmp_path)


def test_a_trial_records_each_sites_cameras_fault_and_uplink_use(tmp_path, monkeypatch):
    s = serving(tmp_path)
    monkeypatch.setattr(s, "bytes_up", lambda: {"site-001": 1_000_000 + 480_000, "site-002": 2_000_000 + 60_000})
    s._fault["site-002"] = ("loss", 0.1)
    status = {f"rt-000{i}": {"ready": i != 3, "readers": [{"id": "r"}] if i < 6 else []} for i in range(1, 9)}
    online = [f"rt-000{i}" for i in range(1, 7)]          # the step's first six cameras
    h = site_health(s, status, online, {"site-001": 1_000_000, "site-002": 2_000_000}, duration_s=4.0)
    assert h["site-001"] == {"uplink": "adsl", "up_mbit": 1, "cameras": 4, "ready": 3, "read": 4,
                             "fault": "online", "up_mbps": 0.96, "utilisation": 0.96}
    assert h["site-002"] == {"uplink": "fibre", "up_mbit": 20, "cameras": 2, "ready": 2, "read": 1,
                                  "fault": "loss", "up_mbps": 0.12, "utilisation": 0.006}


def test_an_uplink_binds_when_it_runs_full_with_cameras_read():
    full = {"uplink": "adsl", "up_mbit": 1, "read": 4, "utilisation": 0.97}
    assert binding_uplink({"site-001": full, "site-002": full | {"utilisation": 0.9},
                           "site-003": full | {"utilisation": 0.3}}) == {
        "site": "site-001", "uplink": "adsl", "up_mbit": 1, "utilisation": 0.97, "saturated_sites": 2}
    assert binding_uplink({"site-001": full | {"utilisation": BINDING_UTIL - 0.01}}) is None
    assert binding_uplink({"site-001": full | {"read": 0}}) is None          # full of what? nobody reads
    assert binding_uplink({"site-001": full | {"utilisation": None}}) is None  # not namespaced: not measured


def test_the_knee_names_the_uplink_that_bound_in_most_trials():
    b1 = {"site": "site-004", "uplink": "adsl", "up_mbit": 1, "utilisation": 0.95, "saturated_sites": 3}
    b2 = b1 | {"utilisation": 0.99}
    other = b1 | {"site": "site-009"}
    step = {"trials": [{"metrics": {"site_uplink_binding": b}} for b in (b1, b2, other)]}
    assert knee_binding_uplink(step) == b2
    step = {"trials": [{"metrics": {"site_uplink_binding": b}} for b in (b1, None, None)]}
    assert knee_binding_uplink(step) is None
    assert knee_binding_uplink({"trials": [{"metrics": {}}]}) is None


def test_the_stack_side_of_a_site_is_its_worst_camera():
    per_cam = {"rt-0001": (10.0, 1.0), "rt-0002": (4.5, 0.5), "rt-0005": (9.8, 1.0), "rt-0009": (1.0, 0.1)}
    site_of = {"rt-0001": "site-001", "rt-0002": "site-001", "rt-0005": "site-002"}
    assert stack_site_health(per_cam, site_of) == {
        "site-001": {"cameras": 2, "decoded_fps_min": 4.5, "analysed_fps_min": 0.5},
        "site-002": {"cameras": 1, "decoded_fps_min": 9.8, "analysed_fps_min": 1.0}}
