"""The report says how sure its answer is: the interval per item, CPU-only vs GPU, the out-of-sample
pairings (with the reason where one is not comparable), the assumptions and their tornado chart."""
from __future__ import annotations

import pytest

from benchmarks.report.build import render_html

ITEM = {"item": "ingest/detection server", "name": "cpu-64c", "unit_price_usd": 16000.0, "chosen": 37, "of": 50,
        "alternatives": {"cpu-64c": 37, "cpu-32c": 13}, "p95": 6.0, "median": 5.0, "low": 4.0, "high": 6.0,
        "min": 4.0, "max": 6.0}
SIZING = {"summary": "5 x cpu-64c", "cost_text": "207,900 USD", "bom": [],
          "interval": {"replications": 50, "planned": 50, "failed": [], "window_s": 60.0, "items": [ITEM],
                       "cost_usd": {"p95": 215200.0, "median": 207900.0, "low": 188600.0, "high": 215200.0,
                                    "min": 185500.0, "max": 215200.0}},
          "alternatives": [{"kind": "CPU only", "cost_usd": 392800.0, "cost_per_camera_usd": 17.34,
                            "hardware": "18x cpu-64c"},
                           {"kind": "GPU", "cost_usd": 207900.0, "cost_per_camera_usd": 9.18,
                            "hardware": "5x cpu-64c"}],
          "sensitivity": {"swing": 0.3, "window_s": 60.0, "base_cost": 207900.0, "bars": [
              {"key": "prices", "label": "hardware prices", "source": "catalogue", "low_cost": 145530.0,
               "high_cost": 270270.0, "why": ""},
              {"key": "viewers", "label": "peak concurrent viewers", "source": "scenario", "low_cost": 207900.0,
               "high_cost": 207900.0, "why": ""}]}}
PAIRINGS = [
    {"calibrated_on": 1.0, "predicted_for": 0.5, "measured_knee": 6, "predicted_knee": 6,
     "measured_binding_slo": "min_analysed_share", "predicted_binding_slo": "overload", "status": "counts",
     "reason": "", "rel_error": 0.0, "within_target": True},
    {"calibrated_on": 0.5, "predicted_for": 1.0, "measured_knee": 10, "predicted_knee": 8,
     "measured_binding_slo": "min_analysed_share", "predicted_binding_slo": "min_analysed_share",
     "status": "not comparable", "reason": "the 1-core run's knee is at its last planned step",
     "rel_error": None, "within_target": None}]


@pytest.mark.parametrize("lang", ["en", "id"])
def test_the_report_says_how_sure_it_is(lang):
    data = {"run_id": "r", "complete": True, "steps": [], "simulation": {"sizing": SIZING},
            "out_of_sample": {"summary": "1 of 2 pairings within 15%", "pairings": PAIRINGS},
            "measured_costs": {"fit": {"method": "nnls", "trials": 6, "steps_used": [0, 1, 2],
                                       "outlier_trials": [{"reason": "machine CPU not of this run 1.2 cores"}]},
                               "spread": {"detector_ms": {"median": 30.0, "low": 27.0, "high": 33.0,
                                                          "rel_sd": 0.05, "resamples": 200}}}}
    html = render_html(data, [], lang)
    section = html[html.index('id="certainty"'):html.index("</section>")]
    assert "6 (median 5; 95%: 4-6; " in section               # the count to buy, median, interval
    assert "215,200" in section and "188,600" in section
    assert "17.34" in section and "9.18" in section           # cost per camera, CPU-only and GPU
    assert section.count("<tr>") >= 2 + 1 + 2 + 1             # both tables with their rows
    assert "last planned step" in section                     # the reason a pairing does not count
    assert "machine CPU not of this run" in section
    assert "hardware prices" in section and "peak concurrent viewers" in section
    assert 'id="fig_tornado"' in section and "data:image/png;base64," in section


def test_without_the_new_records_the_section_says_what_is_missing():
    html = render_html({"run_id": "r", "complete": True, "steps": []}, [], "en")
    section = html[html.index('id="certainty"'):html.index("</section>")]
    assert "no sizing interval" in section and "not checked out of sample" in section
    assert "data:image/png" not in section
