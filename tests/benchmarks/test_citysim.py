"""City scale after a run: the curves on the sized hardware reach past the break, and the report says
how far past the target the hardware holds."""
from __future__ import annotations

import pytest

from benchmarks.report.build import margin_text
from benchmarks.report.messages import Catalogue
from benchmarks.runner import citysim
from simulator.calibration import DEFAULT_REFERENCE

# What `tilikbench size scenarios/semarang-target.yaml` buys with the reference calibration
SIZED = {"ingest": {"server": "cpu-64c", "count": 8, "gpu": "l4", "gpus_per_server": 1, "detector_cores": None},
         "portal": {"server": "cpu-16c", "count": 1}, "nic": "nic-10g", "disk": "hdd-22tb"}


@pytest.fixture(scope="module")
def curves():
    saved = citysim.FACTORS, citysim.SEEDS
    citysim.FACTORS, citysim.SEEDS = {"cameras": (1.0, 2.0), "viewers": (1.0, 6.0)}, 2
    try:
        return citysim.city_curves(citysim.TARGET, DEFAULT_REFERENCE, SIZED, budget_s=300)
    finally:
        citysim.FACTORS, citysim.SEEDS = saved


def test_curves_cover_both_axes_with_every_metric(curves):
    keys = {(c["axis"], c["key"]) for c in curves["curves"]}
    assert {k for a, k in keys if a == "cameras"} == {"frame_to_event", "frames_dropped", "peak_utilisation", "api"}
    assert {k for a, k in keys if a == "viewers"} == {"viewer_start", "viewers_refused", "portal_utilisation", "api"}
    for c in curves["curves"]:
        assert len(c["x"]) == 2
        assert all(lo <= m <= hi for lo, m, hi in zip(c["low"], c["mean"], c["high"])), c


def test_the_sized_hardware_holds_the_target_and_the_curves_show_where_it_breaks(curves):
    by = {(c["axis"], c["key"]): c for c in curves["curves"]}
    util = by[("cameras", "peak_utilisation")]["mean"]
    assert util[0] < 100.0 < util[1]                                  # 1x fits, 2x overloads ingest
    # and at 2x the analytics fall behind (frames wait past the lag SLO) or lose frames
    lag, drops = by[("cameras", "frame_to_event")], by[("cameras", "frames_dropped")]
    assert lag["mean"][0] <= lag["limit"] and drops["mean"][0] <= drops["limit"]
    assert lag["mean"][1] > lag["limit"] or drops["mean"][1] > drops["limit"]
    portal = by[("viewers", "portal_utilisation")]["mean"]
    assert portal[0] < 100.0 < portal[1]
    limits = {lim["axis"]: lim for lim in curves["limits"]}
    for axis in ("cameras", "viewers"):
        assert limits[axis]["holds"] == 1.0
        assert limits[axis]["breaks"]["factor"] > 1.0 and limits[axis]["breaks"]["violations"]


def test_report_states_the_margin_in_both_languages(curves):
    cams = next(lim for lim in curves["limits"] if lim["axis"] == "cameras")
    en = margin_text(cams, Catalogue("en"))
    assert "up to 1x" in en and "at 2x it breaks (" in en and "overloaded" in en
    assert "sampai 1x jumlah kamera" in margin_text(cams, Catalogue("id"))
    held = margin_text({"axis": "viewers", "holds": 6.0, "breaks": None, "largest": 6.0}, Catalogue("en"))
    assert "up to 6x" in held and "largest multiple simulated" in held
    assert margin_text({"axis": "viewers", "holds": None, "breaks": {"factor": 0.5, "violations": ["x"]},
                        "largest": 2.0}, Catalogue("en")).startswith("On that hardware the simulator already breaks")
