"""The sizing interval: repeated over resampled costs and seeds, it covers the answers that repeated sizing
runs give (each from a calibration measured anew, i.e. costs drawn from the measured spread, and the full
simulated window rather than the replications' short one)."""
from __future__ import annotations

import copy

import numpy as np
import pytest

from benchmarks.scenario import Scenario
from simulator.alternatives import alternatives
from simulator.calibration import CostSpread
from simulator.config import SimScenario
from simulator.hardware import load_catalogue
from simulator.uncertainty import (
    Replication,
    _replicate,
    rel_sd,
    scale_costs,
    size_with_interval,
    summarise,
)

SPREAD = 0.12


@pytest.fixture
def cpu_city(small):
    """Enough cameras that CPU detection needs several servers, so the count moves with the costs."""
    d = copy.deepcopy(small)
    d["cameras"]["classes"][0]["count"] = 700
    d["simulation"]["duration_s"] = 120
    return SimScenario.of(Scenario.model_validate(d))


@pytest.fixture
def spread_cal(cal):
    s = {k: CostSpread(median=1.0, low=0.8, high=1.2, rel_sd=SPREAD, resamples=200)
         for k in ("decode_ms", "detector_ms")}
    return cal.model_copy(update={"spread": s})


def test_the_interval_covers_repeated_sizing_runs(cpu_city, spread_cal):
    cat = load_catalogue().model_copy(update={"gpus": []})       # CPU detection: counts follow the costs
    iv = size_with_interval(cpu_city, spread_cal, cat, replications=16, workers=2, window_s=40.0, seed=5)
    assert not iv.failed and len(iv.replications) == 16
    costs = [r.cost for r in iv.replications]
    assert len(set(costs)) > 1, "the costs' spread must move the answer, or coverage says nothing"
    c = iv.cost
    assert c["min"] <= c["low"] <= c["median"] <= c["p95"] <= c["high"] <= c["max"]
    ingest = next(i for i in iv.items if i["item"].startswith("ingest/detection server"))
    assert ingest["low"] <= ingest["median"] <= ingest["p95"] <= ingest["high"]
    sigmas = {k: rel_sd(spread_cal, k)[0] for k in ("decode_ms", "detector_ms", "portal_ms")}
    assert sigmas["detector_ms"] == SPREAD
    # repeated runs: new cost draws and seeds, the scenario's full window
    repeated = [_replicate((1000 + k, cpu_city, spread_cal, cat, sigmas, 77, 1e9)) for k in range(4)]
    inside = [c["low"] <= r.cost <= c["high"] for r in repeated]
    assert sum(inside) >= 3, ([r.cost for r in repeated], c)


def test_summary_reports_the_modal_model_and_zero_for_items_not_bought():
    a = Replication(0, {}, 10.0, [("server", "s1", 2, 5.0)], "cpu")
    b = Replication(1, {}, 15.0, [("server", "s1", 3, 5.0), ("GPU", "g1", 1, 0.0)], "cpu")
    c = Replication(2, {}, 20.0, [("server", "s2", 1, 20.0)], "cpu")
    items, cost = summarise([a, b, c])
    server = next(i for i in items if i["item"] == "server")
    assert server["name"] == "s1" and server["chosen"] == 2 and server["alternatives"] == {"s1": 2, "s2": 1}
    assert (server["min"], server["max"]) == (2, 3)       # the s2 replication is not counted in s1's numbers
    gpu = next(i for i in items if i["item"] == "GPU")
    assert (gpu["min"], gpu["max"]) == (0, 1)             # a replication without a GPU needed none
    assert (cost["min"], cost["median"], cost["max"]) == (10.0, 15.0, 20.0)


def test_scaling_costs_scales_every_row(cal):
    half = scale_costs(cal, {"detector_ms": 0.5})
    assert all(np.isclose(h.ms_per_batch, r.ms_per_batch * 0.5) for h, r in zip(half.detector_ms, cal.detector_ms))
    assert half.decode_ms == cal.decode_ms


def test_cpu_only_and_gpu_alternatives_side_by_side(small, cal):
    sc = SimScenario.of(Scenario.model_validate(small))
    alts = {a.kind: a for a in alternatives(sc, cal)}
    cpu, gpu = alts["CPU only"], alts["GPU"]
    assert cpu.result is not None and cpu.result.hardware.gpu is None
    assert gpu.result is not None and gpu.result.hardware.gpu is not None
    for a in (cpu, gpu):
        assert a.cost_per_camera == pytest.approx(a.result.cost / 124)
        assert a.result.result.slo_ok


def test_phases_buy_what_each_phase_adds(small, cal):
    from simulator.phases import Growth, plan
    sc = Scenario.model_validate({**small, "growth": {"phases": [
        {"name": "today", "cameras": {"rt": 40, "atcs": 0}}, {"name": "target", "cameras": {}}]}})
    today, target = plan(SimScenario.of(sc), sc.growth, cal)
    assert (today.cameras, target.cameras) == (40, 124)
    bought = {}
    for ph in (today, target):
        for item, name, qty, _ in ph.buy:
            bought[(item.split(" (")[0], name)] = bought.get((item.split(" (")[0], name), 0) + qty
    for b in target.result.bom:          # the two phases together buy at least the target's one-off BOM
        if not b.per_year:               # links are paid by the year, not bought once
            assert bought.get((b.item.split(" (")[0], b.name), 0) >= b.quantity
    assert target.to_dict()["yearly_usd"] == target.result.yearly_usd > 0
    assert target.cost <= target.result.cost and today.cost == today.result.cost
    with pytest.raises(Exception, match="camera classes the scenario does not declare: bus"):
        plan(SimScenario.of(sc), Growth.model_validate({"phases": [{"name": "x", "cameras": {"bus": 3}}]}), cal)
