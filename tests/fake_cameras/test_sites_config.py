"""NVR sites in the scenario: how cameras fill sites, the shares of vendors and uplink classes, the vendor
stream paths, and errors that name the YAML path."""
from __future__ import annotations

from collections import Counter

import pytest
import yaml

from benchmarks.scenario import load_scenario
from common.errors import InputError
from fake_cameras.config import FleetConfig
from fake_cameras.impairments import Schedule
from fake_cameras.sites import stream_path

UPLINKS = [{"name": "res-10", "up_mbit": 10, "share": 0.75}, {"name": "res-20", "up_mbit": 20, "share": 0.25}]


def fleet(count: int = 100, impairments=(), **sites) -> FleetConfig:
    return FleetConfig.model_validate({
        "classes": [{"name": "rt", "count": count, "group": "CCTV RT", "profile": "test-240p10"}],
        "impairments": list(impairments),
        "sites": {"channels": {4: 0.5, 8: 0.5}, "uplinks": UPLINKS, **sites}})


def test_cameras_fill_sites_in_order_with_channel_counts_from_the_distribution():
    sites = fleet(100).site_plan()
    assert [c for s in sites for c in s.camera_ids()] == [f"rt-{i:04d}" for i in range(1, 101)]
    sizes = [len(s.channels) for s in sites]
    assert set(sizes[:-1]) <= {4, 8} and 1 <= sizes[-1] <= 8          # the last site takes what is left
    assert all([c.channel for c in s.channels] == list(range(1, len(s.channels) + 1)) for s in sites)
    assert fleet(100).site_plan() == sites                               # seeded: the same plan every time
    assert fleet(100, seed=5).site_plan() != sites


def test_uplink_classes_and_vendors_take_their_shares_of_the_sites():
    sites = fleet(400, channels={4: 1.0}, vendors={"hikvision": 0.6, "dahua": 0.4}).site_plan()
    assert len(sites) == 100
    assert Counter(s.uplink.name for s in sites) == {"res-10": 75, "res-20": 25}
    assert Counter(s.vendor for s in sites) == {"hikvision": 60, "dahua": 40}
    first20 = Counter(s.uplink.name for s in sites[:20])                 # a small run keeps the mix
    assert first20 == {"res-10": 15, "res-20": 5}


def test_a_share_of_the_sites_is_namespaced_spread_over_the_list():
    sites = fleet(80, channels={4: 1.0}, namespaced_share=0.25).site_plan()
    ns = [i for i, s in enumerate(sites) if s.namespaced]
    assert len(ns) == 5 and ns == [0, 4, 8, 12, 16]
    assert all(s.namespaced for s in fleet(8, channels={4: 1.0}).site_plan())


def test_vendor_paths_for_main_and_sub_streams():
    assert stream_path("hikvision", 3, sub=False) == "/Streaming/Channels/301"
    assert stream_path("hikvision", 12, sub=True) == "/Streaming/Channels/1202"
    assert stream_path("dahua", 2, sub=False) == "/cam/realmonitor?channel=2&subtype=0"
    assert stream_path("dahua", 2, sub=True) == "/cam/realmonitor?channel=2&subtype=1"


def test_site_impairments_target_sites_and_run_on_their_own_schedule():
    cfg = fleet(16, channels={4: 1.0}, impairments=[
        {"kind": "link_stall", "target": "site-002", "at_s": 1, "duration_s": 2},
        {"kind": "loss_burst", "target": "site-003", "at_s": 0, "duration_s": 5, "loss": 0.2},
        {"kind": "offline", "target": "rt-0001", "at_s": 0, "duration_s": 1}])
    sites = Schedule.for_sites(cfg, {s.id for s in cfg.site_plan()})
    assert sites.state_at("site-002", 1.5) == ("stall", 1.0) and sites.state_at("site-002", 3.5)[0] == "online"
    assert sites.state_at("site-003", 2) == ("loss", 0.2)
    cams = Schedule.from_config(cfg)
    assert cams.cameras == ["rt-0001"]                                    # site kinds stay out of it
    with pytest.raises(ValueError, match=r"impairments\[0\].target 'rt-0001': site_reboot needs a site id"):
        fleet(8, impairments=[{"kind": "site_reboot", "target": "rt-0001", "at_s": 0, "duration_s": 1}])


@pytest.mark.parametrize(("sites", "where", "message"), [
    ({"uplinks": [{"name": "a", "up_mbit": 10, "share": 0.5}]}, "cameras.sites.uplinks", "must sum to 1"),
    ({"uplinks": [{"name": "a", "up_mbit": 0, "share": 1}]}, "cameras.sites.uplinks[0].up_mbit", "greater than 0"),
    ({"uplinks": UPLINKS, "channels": {0: 1.0}}, "cameras.sites.channels", "1..64 channels"),
    ({"uplinks": UPLINKS, "vendors": {"axis": 1.0}}, "cameras.sites.vendors.axis", "hikvision"),
    ({"uplinks": UPLINKS, "sub_profile": "nope"}, "cameras.sites.sub_profile", "unknown camera profile"),
    ({"uplinks": UPLINKS, "upplinks": 1}, "cameras.sites.upplinks", "unknown key"),
])
def test_bad_sites_are_named_by_their_yaml_path(tmp_path, sites, where, message):
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump({"schema_version": 1, "name": "t", "seed": 1, "cameras": {
        "classes": [{"name": "rt", "count": 8, "group": "CCTV RT", "profile": "test-240p10"}], "sites": sites}}))
    with pytest.raises(InputError) as e:
        load_scenario(path)
    text = f"{e.value.where} {e.value}"
    assert where in text and message in text


def test_sites_need_the_embedded_backend():
    with pytest.raises(ValueError, match="embedded backend only"):
        FleetConfig.model_validate({"backend": "mediamtx", "classes": [
            {"name": "rt", "count": 4, "group": "CCTV RT", "profile": "test-240p10"}],
            "sites": {"uplinks": UPLINKS}})
