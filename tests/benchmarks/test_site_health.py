"""Per-site health in a run and the site uplink that binds: what a trial records, when an uplink counts
as binding, and which one the report names at the knee."""
from __future__ import annotations

from benchmarks.runner.site_health import (
    BINDING_UTIL,
    binding_uplink,
    knee_binding_uplink,
    site_health,
    stack_site_health,
    uplink_model_check,
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
    # with the cameras' streams: what the read ones ask of the uplink (rt-0006 is not read)
    streams = {f"rt-000{i}": (300.0, 10.0) for i in range(1, 9)}
    h = site_health(s, status, online, {"site-001": 1_000_000, "site-002": 2_000_000}, 4.0, streams)
    assert (h["site-001"]["demand_kbps"], h["site-001"]["camera_fps"]) == (1200.0, 10.0)
    assert (h["site-002"]["demand_kbps"], h["site-002"]["camera_fps"]) == (300.0, 10.0)


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
        "site-001": {"cameras": 2, "decoded_fps_min": 4.5, "decoded_fps_mean": 7.25, "analysed_fps_min": 0.5},
        "site-002": {"cameras": 1, "decoded_fps_min": 9.8, "decoded_fps_mean": 9.8, "analysed_fps_min": 1.0}}


def _run(narrow_mbps: float, narrow_fps: float) -> dict:
    """A run's results with two sites: one whose 1 Mbit/s uplink is narrower than its four 400 kbit/s
    cameras, one on a wide link."""
    base = {"read": 4, "cameras": 4, "fault": "online", "camera_fps": 10.0}
    return {"steps": [{"index": 0, "trials": [{"metrics": {
        "sites": {"site-001": base | {"uplink": "adsl", "up_mbit": 1, "up_mbps": narrow_mbps, "demand_kbps": 1600},
                  "site-002": base | {"uplink": "fibre", "up_mbit": 20, "up_mbps": 1.66, "demand_kbps": 1600},
                  "site-003": base | {"uplink": "fibre", "up_mbit": 20, "up_mbps": 1.7, "demand_kbps": 1600,
                                      "fault": "stall"}},
        "sites_stack": {"site-001": {"decoded_fps_mean": narrow_fps}, "site-002": {"decoded_fps_mean": 10.0}}}}]}]}


def test_the_uplink_model_agrees_with_a_run_whose_narrow_link_binds_and_not_with_a_wrong_rate():
    good = _run(narrow_mbps=0.88, narrow_fps=5.5)         # the link full; ~0.9/1.68 of the frames arrive
    mc = uplink_model_check(good)
    assert mc["ok"] and mc["compared"] == 2 and mc["bound_compared"] == 1, mc
    s1 = mc["sites"]["site-001"]
    assert s1["predicted_mbps"] == 0.9 and s1["predicted_frame_share"] == 0.536 and s1["within"]
    assert mc["sites"]["site-002"]["predicted_frame_share"] == 1.0 and mc["sites"]["site-002"]["within"]
    assert "site-003" in mc["skipped"]                   # a stalled link is not the model's steady state
    wrong = uplink_model_check(good, rates={"site-001": 2.0})   # the model told the link is twice as wide
    assert wrong["ok"] is False and not wrong["sites"]["site-001"]["within"]
    # the link carried what the model says, but the frames did not arrive: the share alone fails the site
    assert not uplink_model_check(_run(narrow_mbps=0.88, narrow_fps=9.8))["sites"]["site-001"]["within"]
    assert uplink_model_check({"steps": [{"trials": [{"metrics": {}}]}]}) is None
