from __future__ import annotations

import numpy as np
import pytest

from common.errors import InputError
from simulator.costs import storage_bytes, ingest_bps
from simulator.knee import simulated_knee, predict_knee
from simulator.model import simulate
from simulator.workload import build_workload
from simulator.config import SimulationConfig
from simulator.config import SimScenario


def test_same_seed_same_numbers(small, cal):
    a = simulate(SimScenario.of(small), cal, rng=np.random.default_rng(5))
    b = simulate(SimScenario.of(small), cal, rng=np.random.default_rng(5))
    c = simulate(SimScenario.of(small), cal, rng=np.random.default_rng(6))
    assert a.latency == b.latency and a.drops == b.drops
    assert a.latency["frame_to_event"]["mean"] != c.latency["frame_to_event"]["mean"]


def test_fine_and_aggregated_models_agree(small, cal):
    agg = simulate(SimScenario.of(small), cal, rng=np.random.default_rng(2))
    fine = simulate(SimScenario.of(small), cal, rng=np.random.default_rng(2), fine=True)
    for key in ("mean", "p50"):
        assert agg.latency["frame_to_event"][key] == pytest.approx(fine.latency["frame_to_event"][key], rel=0.02)
    assert agg.resources["decode_cpu"].utilisation == pytest.approx(fine.resources["decode_cpu"].utilisation, rel=0.02)
    assert agg.queues["detector"]["busy_share"] == pytest.approx(fine.queues["detector"]["busy_share"], rel=0.02)


def test_storage_and_bandwidth_are_bitrate_times_cameras_times_time(small):
    cfg = SimulationConfig.model_validate({**small["simulation"], "retention_days": 14})
    w = build_workload(small["cameras"], cfg)
    # rt: inline 256 kbit/s, atcs-720p15: 1536 kbit/s (common.profiles); the peak hour (20 h) is at
    # night, when the catalogue's night factor (1.5) raises bitrates; over the day (12 night hours) 1.25
    bits_per_s = 120 * 256_000 + 4 * 1_536_000
    assert w.hour == 20 and ingest_bps(w) == pytest.approx(bits_per_s * 1.5)
    assert storage_bytes(w) == pytest.approx(bits_per_s * 1.25 / 8 * 14 * 86400)


def test_overload_drops_frames_and_violates_slos(small, cal):
    small["simulation"]["analytic_fps"] = {"rt": 5.0, "atcs": 15.0}
    r = simulate(SimScenario.of(small), cal, rng=np.random.default_rng(1))
    assert r.drops["frames"] > 0.02
    assert not r.slo_ok and r.binding_resource == "detector"


def test_unknown_hardware_name_is_a_clear_error(small, cal):
    small["simulation"]["hardware"]["ingest"]["server"] = "cray-1"
    with pytest.raises(InputError, match="unknown CPU server 'cray-1'; the catalogue has: .*cpu-16c"):
        simulate(SimScenario.of(small), cal)


def test_knee_brackets_the_slo(small, cal):
    knee = simulated_knee(SimScenario.of(small), cal, axis="cameras", tol=0.1)
    assert knee is not None and 1.0 < knee < 64
    steps = [62, 124, 248, 496, 992, 1984, 3968, 7936]
    first_bad = predict_knee(cal, "cameras", steps, scenario=SimScenario.of(small), seed=1)
    # the first failing step lies above the bisected knee and at most one doubling past it
    assert first_bad is not None and 124 * knee * 0.9 <= first_bad <= 124 * knee * 2.2
