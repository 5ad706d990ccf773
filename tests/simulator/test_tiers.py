"""The model's structure against hand arithmetic and closed forms: decode placement, storage, network,
redundancy, the viewer start-up chain and the night bitrate."""
from __future__ import annotations

import math

import numpy as np
import pytest

from common.errors import InputError
from simulator.config import SimulationConfig
from simulator.config import SimScenario
from simulator.costs import storage_bytes
from simulator.hardware import HardwareSet, load_catalogue
from simulator.network import plan_network
from simulator.placement import choose, demand, prices
from simulator.sites import Sites, assign, build_sites, fail_busiest
from simulator.startup import (
    cold_share,
    fewest_prewarmed,
    packagers_running,
    simulate_sessions,
    zipf_weights,
)
from simulator.storage import group_geometry, plan_storage
from simulator.tiers import Structure
from simulator.workload import build_workload


@pytest.fixture(scope="module")
def cat():
    return load_catalogue()


def _workload(classes, sim=None, hour=12):
    cfg = SimulationConfig.model_validate({"viewers": {"peak_concurrent": 100}, **(sim or {})})
    return build_workload({"classes": classes}, cfg, hour)


HD4K = {"width": 1920, "height": 1080, "fps": 25, "bitrate_kbps": 4096, "gop": 50}


# ---- storage ----

def test_raid6_on_12_disks_keeps_10_and_writes_1_2_bytes_per_byte(cat):
    assert group_geometry(cat, "raid6", 12) == (10, 1.2)
    assert group_geometry(cat, "raid10", 12) == (6, 2.0)
    with pytest.raises(InputError, match="raid6 needs more than 3 disks"):
        group_geometry(cat, "raid6", 3)


def test_storage_plan_of_100_1080p_cameras_by_hand(cat):
    # 100 cameras x 4096 kbit/s, 30 days, by day (hour 12: no night bitrate; night factor 1 for the mean)
    w = _workload([{"name": "hd", "count": 100, "profile": HD4K}],
                  {"retention_days": 30, "model_inputs": {"night_bitrate_factor": 1.0, "playback_share": 0.0}})
    disk = cat.disk("hdd-22tb")
    plan = plan_storage(w, cat, disk, viewers_peak=0.0, headroom=0.7)
    stored = 100 * 4096e3 / 8 * 30 * 86400                        # 132.7 TB
    assert plan.stored_tb == pytest.approx(stored / 1e12)
    per_group = 10 * 22e12 * 0.95                                   # RAID 6 of 12: 10 data disks, 209 TB
    assert plan.groups == 1 and plan.disks == 12 + 1                # one group + one hot spare (one enclosure)
    assert plan.utilisation["disk_capacity"] == pytest.approx(stored / per_group)
    # 51.2 MB/s of recordings x 1.2 (parity) over 12 disks
    assert plan.utilisation["disk_write"] == pytest.approx(51.2 * 1.2 / (12 * 230))
    assert plan.utilisation["disk_streams"] == pytest.approx(100 / (10 * 64))
    assert plan.rebuild_h == pytest.approx(22e6 / 100 / 3600)


def test_rated_streams_per_disk_bind_before_capacity(cat):
    # 6,400 cameras at 384 kbit/s for 7 days: 1.9 PB fits 10 groups, but 6,400 streams need
    # 6,400 / (64 x 0.7) = 143 data disks, 15 groups of 10
    w = _workload([{"name": "rt", "count": 6400, "profile": "rt-360p10"}],
                  {"retention_days": 7, "model_inputs": {"night_bitrate_factor": 1.0, "playback_share": 0.0}})
    plan = plan_storage(w, cat, cat.disk("hdd-22tb"), viewers_peak=0.0, headroom=0.7)
    assert plan.binding == "streams" and plan.groups == math.ceil(6400 / (10 * 64 * 0.7)) == 15
    assert plan.enclosures == math.ceil(15 / ((60 - 1) // 12)) and plan.hot_spares == plan.enclosures


def test_playback_reads_add_streams_and_bytes(cat):
    w = _workload([{"name": "hd", "count": 100, "profile": HD4K}], {"model_inputs": {"playback_share": 0.5}})
    plan = plan_storage(w, cat, cat.disk("hdd-22tb"), viewers_peak=200.0, headroom=0.7)
    assert plan.streams == 100 + 100 and plan.read_mbps == pytest.approx(100 * 4096e3 / 8 / 1e6)


def test_retention_per_class_and_night_bitrate_in_the_kept_bytes():
    classes = [{"name": "a", "count": 10, "profile": "rt-360p10"}, {"name": "b", "count": 10, "profile": "rt-360p10"}]
    w = _workload(classes, {"retention_days": 30, "storage": {"retention_days_by_class": {"b": 90}}})
    # catalogue: 12 night hours (18-6) at 1.5x: the day's mean is 1.25x
    assert storage_bytes(w) == pytest.approx(10 * 384e3 * 1.25 / 8 * (30 + 90) * 86400)
    night = _workload(classes, hour=20)
    assert night.classes[0].bitrate_kbps == 384 * 1.5 and w.classes[0].bitrate_kbps == 384


# ---- network ----

def test_nvr_site_uplink_saturation_by_hand(cat):
    sites = Sites(("atcs",), np.array([0, 0, 0]), np.array([1, 2, 4]))
    plan = plan_network(sites, {"atcs": 1536.0}, 7 * 1536e3, 1e9, 1e9, servers=10, cat=cat,
                        chosen={"atcs": "site-up-5m"}, headroom=0.7)
    # 4 cameras x 1.536 Mbit/s = 6.144 Mbit/s on a 5 Mbit/s uplink: saturated, and named
    assert plan.utilisation["site_uplink"] == pytest.approx(6.144 / 5)
    assert plan.binding == "site_uplink"
    auto = plan_network(sites, {"atcs": 1536.0}, 7 * 1536e3, 1e9, 1e9, servers=10, cat=cat, chosen={},
                        headroom=0.7)
    # auto: the cheapest uplink carrying each site size within 70%: 1 -> 5M (31%), 2 -> 5M (61%), 4 -> 10M (61%)
    assert [(u.cameras_per_site, u.uplink) for u in auto.uplinks] == [
        (1, "site-up-5m"), (2, "site-up-5m"), (4, "site-up-10m")]
    assert auto.utilisation["site_uplink"] == pytest.approx(6.144 / 10)


def test_wan_and_egress_links_and_switch_pairs_by_hand(cat):
    sites = Sites(("rt",), np.array([0]), np.array([1]))
    plan = plan_network(sites, {"rt": 384.0}, 13.7e9, 5.0e9, 2.0e9, servers=60, cat=cat, chosen={},
                        headroom=0.7, wan_spares=1)
    # 13.7 Gbit/s over 10G links at 70%: 2 links + 1 spare (cheaper than one 100G); 5 Gbit/s of viewers
    assert (plan.wan_link, plan.wan_links) == ("metro-10g", 3)
    assert plan.utilisation["core_wan"] == pytest.approx(13.7 / 20)
    assert (plan.egress_link, plan.egress_links) == ("transit-10g", 1)
    assert plan.switches == 2 * math.ceil(60 / 48)      # dual-homed: a pair per 48 servers


# ---- decode placement ----

def test_keyframe_decode_costs_the_measured_ratio_per_keyframe(cal, cat):
    w = _workload([{"name": "rt", "count": 1, "profile": "rt-360p10"}], {"analytic_fps": {"rt": 0.2}})
    c = w.classes[0]
    ratio = cat.input("keyframe_cost_ratio")
    full = cal.decode("h264", 640, 360) / 1000.0
    d = demand(c, "cpu_keyframes", cal, ratio, 0.15)
    # 10 fps, GOP 20: 0.5 keyframes a second, each costing `ratio` mean frames; analytics see all 0.5
    assert d.cpu_cores == pytest.approx(0.5 * full * ratio) and d.analysed_fps == 0.5
    assert demand(c, "cpu_all", cal, ratio, 0.15).cpu_cores == pytest.approx(10 * full)
    assert 1 < ratio < 20 == 10 / 0.5           # measured between a mean frame and a whole GOP
    fast = _workload([{"name": "rt", "count": 1, "profile": "rt-360p10"}], {"analytic_fps": {"rt": 2.0}})
    assert demand(fast.classes[0], "cpu_keyframes", cal, ratio, 0.15) is None   # 0.5 keyframes/s < 2 fps


def test_gpu_decode_capacity_from_the_1080p30_figure(cal, cat):
    t4 = cat.gpu("t4")
    assert t4.decode_pixels_per_s("h264") == 38 * 1920 * 1080 * 30
    # an RT sub-stream (360p10) is 1/27 of a 1080p30 stream: a T4 decodes 1,026 of them
    assert t4.decode_pixels_per_s("h264") / (640 * 360 * 10) == pytest.approx(1026, abs=0.5)
    w = _workload([{"name": "rt", "count": 1000, "profile": "rt-360p10"}], {"analytic_fps": {"rt": 0.2}})
    spec = {"ingest": {"server": "cpu-16c", "count": 2, "gpu": "t4", "gpus_per_server": 1},
            "portal": {"server": "cpu-16c"}, "nic": "nic-10g", "disk": "hdd-22tb", "decode": {"rt": "gpu"}}
    from simulator.config import HardwareSetSpec
    hw = HardwareSet.resolve(HardwareSetSpec.model_validate(spec), cat)
    st = Structure.evaluate(w, cal, hw)
    on_busiest = st.shard["rt"]
    assert on_busiest >= 500 and st.gpu_decode == pytest.approx(on_busiest * 640 * 360 * 10 / (38 * 1920 * 1080 * 30))


def test_placement_is_the_cheapest_at_the_options_unit_prices(cal, cat):
    w = _workload([{"name": "rt", "count": 1, "profile": "rt-360p10"},
                   {"name": "atcs", "count": 1, "profile": "atcs-720p15"}],
                  {"analytic_fps": {"rt": 0.5, "atcs": 5.0}})
    t4 = cat.gpu("t4")
    unit = {"h264": prices(5500, 16, 1.1, t4, t4.price_usd, "h264", detector_fps_per_usd=0.1)}
    got = choose(w.classes, cal, cat, t4, unit, {}, {})
    ratio = cat.input("keyframe_cost_ratio")
    for c in w.classes:
        costs = {}
        for mode in ("cpu_all", "cpu_keyframes", "gpu"):
            d = demand(c, mode, cal, ratio, cat.input("gpu_decode_cpu_share"))
            if d is not None:
                u = unit["h264"]
                costs[mode] = d.cpu_cores * u.core_usd + d.nvdec_px_per_s * u.nvdec_usd_per_px \
                    + d.analysed_fps * u.detector_usd_per_fps
        assert got[c.name] == min(costs, key=costs.get)
    assert got["atcs"] != "cpu_keyframes"      # 0.5 keyframes/s cannot feed 5 fps of analytics
    assert choose(w.classes, cal, cat, None, unit, {"rt": "gpu"}, {}) is None   # forced GPU, none there


# ---- redundancy ----

def test_sites_keep_every_camera_and_the_public_mean(cat):
    w = _workload([{"name": "rt", "count": 14000, "profile": "rt-360p10"}])
    sites = build_sites(w.classes, w.config, cat)
    assert sites.cameras(0) == 14000
    # the public figure: 14,000 cameras on 7,862 NVR sites
    assert len(sites.size) == pytest.approx(7862, rel=0.002)


def test_failover_moves_the_dead_servers_sites_and_loads_the_rest(cat):
    w = _workload([{"name": "rt", "count": 4000, "profile": "rt-360p10"}])
    sites = build_sites(w.classes, w.config, cat)
    weight = np.array([1.0])
    normal = assign(sites, weight, 5)
    assert normal.cameras.sum() == 4000 and normal.cameras.max() - normal.cameras.min() <= 2
    fo = fail_busiest(sites, weight, 5)
    assert fo.cameras.shape == (4, 1) and fo.cameras.sum() == 4000
    # four servers carry what five did: each about 5/4 of its share
    assert fo.cameras.max() == pytest.approx(4000 / 4, abs=2)


def test_n_plus_1_adds_one_server_to_the_arithmetic_bound(cal, cat, small):
    from simulator.model import split_scenario
    from simulator.sizing import _ingest_options
    cameras, cfg, _ = split_scenario(SimScenario.of(small))
    cfg0 = cfg.model_copy(update={"redundancy": cfg.redundancy.model_copy(update={"ingest_spares": 0})})
    w0, w1 = build_workload(cameras, cfg0), build_workload(cameras, cfg)
    a = {(o.server.name, o.gpu.name if o.gpu else None, o.gpus, o.detector_cores): o.count
         for o in _ingest_options(w0, cal, cat, 0.7)}
    b = {(o.server.name, o.gpu.name if o.gpu else None, o.gpus, o.detector_cores): o.count
         for o in _ingest_options(w1, cal, cat, 0.7)}
    assert a and all(b[k] == n + 1 for k, n in a.items())


# ---- viewer start-up ----

@pytest.mark.parametrize("viewers,prewarm", [(20, 0), (100, 0), (50, 10)])
def test_zipf_cold_start_share_matches_its_closed_form(viewers, prewarm):
    p = zipf_weights(300, 0.8)
    played = simulate_sessions(p, viewers, 60.0, 20.0, 40_000, np.random.default_rng(viewers), prewarm)
    assert played == pytest.approx(cold_share(p, viewers, 60.0, 20.0, prewarm), abs=0.012)


def test_cold_share_limits_and_prewarming():
    p = zipf_weights(1000, 1.0)
    assert cold_share(p, 0.0, 60.0, 20.0) == pytest.approx(1.0)      # nobody watching: every start cold
    assert cold_share(p, 1e6, 60.0, 20.0) < 1e-6                      # everything watched: none cold
    k = fewest_prewarmed(p, 50.0, 60.0, 20.0, target=0.05)
    assert cold_share(p, 50.0, 60.0, 20.0, k) <= 0.05 < cold_share(p, 50.0, 60.0, 20.0, k - 1)
    assert packagers_running(p, 50.0, 60.0, 20.0, k) >= k


def test_cold_starts_lengthen_the_start_p95(small, cal):
    from simulator.model import simulate
    small["simulation"]["startup"] = {"prewarm_top": 0}
    slow = simulate(SimScenario.of(small), cal, rng=np.random.default_rng(3))
    small["simulation"]["startup"] = {"prewarm_top": 124}
    warm = simulate(SimScenario.of(small), cal, rng=np.random.default_rng(3))
    assert warm.structure["startup"]["cold_share"] == 0.0
    assert slow.structure["startup"]["cold_share"] > 0.1
    assert slow.latency["viewer_start"]["p95"] > cal.hls.cold_start_s * 0.8 > warm.latency["viewer_start"]["p95"]


# ---- the whole day ----

def test_the_day_has_24_windows_night_bitrate_and_a_binding_hour(small, cal):
    from simulator.day import simulate_day
    d = simulate_day(SimScenario.of(small), cal, window_s=60.0)
    assert [r.hour for r in d.hours] == list(range(24)) and d.slo_ok
    noon, night = d.hours[12], d.hours[22]
    assert night.ingest_gbps == pytest.approx(1.5 * noon.ingest_gbps)      # catalogue night factor
    # the binding hour is the one whose worst resource or latency is closest to its limit
    ranked = d.to_dict()["hours"]
    assert d.binding_hour == max(ranked, key=lambda h: h["worst_ratio"])["hour"]
    assert d.binding == ranked[d.binding_hour]["worst"]


def test_a_placement_naming_a_missing_class_or_decoder_is_a_clear_error(small, cal):
    from simulator.model import simulate
    small["simulation"]["hardware"]["decode"] = {"nosuch": "cpu_keyframes"}
    with pytest.raises(InputError, match="names classes that do not exist: nosuch") as e:
        simulate(SimScenario.of(small), cal)
    assert e.value.where == "simulation.hardware.decode"
    small["simulation"]["hardware"]["decode"] = {"rt": "gpu"}
    with pytest.raises(InputError, match="classes rt decode on GPUs but the ingest tier has none"):
        simulate(SimScenario.of(small), cal)


def test_a_saturated_fixed_uplink_is_reported_not_grown_into_servers(small, cal):
    from simulator.sizing import size
    # the city keeps its atcs cameras four to a site on 5 Mbit/s uplinks
    small["simulation"]["network"] = {"sites": {"atcs": {"cameras_per_site": {4: 1.0}, "uplink": "site-up-5m"}}}
    s = size(SimScenario.of(small), cal, day_check=False)
    # 4 x 1.536 Mbit/s x 1.5 at night = 9.2 Mbit/s on 5 Mbit/s: named as the binding link, servers unchanged
    assert s.result.resources["site_uplink"].utilisation == pytest.approx(4 * 1.536 * 1.5 / 5)
    assert s.tiers.network.binding == "site_uplink" and s.binding_resource == "site_uplink"
    assert s.hardware.ingest_count <= 3
