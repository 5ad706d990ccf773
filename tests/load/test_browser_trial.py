"""Browser viewers as a run's trial sees them: players on cameras drawn by the popularity law, their
time to first frame as the SLO's metric, the portal's cold-start share, and the calibration record."""
from __future__ import annotations

import pytest

from analytics.portal.player import HLSJS
from benchmarks.load.browser_config import BrowserViewersConfig
from benchmarks.load.config import LoadConfig
from benchmarks.runner.browser_viewers import BrowserTrial, cold_start_share, view_start_counts
from benchmarks.runner.knee import check_slos

pytestmark = pytest.mark.skipif(not HLSJS.exists(), reason="hls.js not installed (scripts/setup.sh installs it)")


def test_a_trial_of_browser_viewers_reports_first_frame_stalls_and_cold_starts(stack):
    load = LoadConfig(popularity={"zipf_s": 1.0})
    trial = BrowserTrial(BrowserViewersConfig(count=2, players_per_page=2, card_s=0, watch_s=2), load,
                         stack.url, seed=3)
    before = view_start_counts(stack.url)
    trial.begin(watch_s=2.0)
    metrics = trial.end(watch_s=2.0)
    starts = cold_start_share(before, view_start_counts(stack.url))
    assert metrics["browser_viewers"] == 2 and metrics["browser_no_frame"] == 0
    assert 0 < metrics["viewer_ttff_p50_ms"] <= metrics["viewer_ttff_p95_ms"] < 20_000
    assert 0 <= metrics["viewer_stall_ratio"] <= 1
    assert starts["view_starts"] >= 2 and 0 <= starts["cold_start_share"] <= 1
    slo = check_slos({"viewer_ttff_p95_ms": 20_000}, metrics)
    assert slo["viewer_ttff_p95_ms"]["ok"] is True
    costs = trial.cold_start_costs()
    assert costs["players"] == 2 and sum(costs[k]["n"] for k in ("cold_ttff_ms", "warm_ttff_ms") if k in costs) == 2
