"""Which cameras citizens open (Zipf over the ranked catalogue) and how browser viewers are summarised."""
from __future__ import annotations

import random
from collections import Counter

import pytest
from pydantic import ValidationError

from benchmarks.load.browser import PlayerStats, summarise
from benchmarks.load.config import LoadConfig
from benchmarks.load.popularity import (
    CameraChooser,
    PopularityConfig,
    ranked,
    zipf_probabilities,
)
from benchmarks.runner.browser_viewers import cold_start_share

CAMS = [f"cam-{i:02d}" for i in range(10)]


def test_zipf_draws_match_the_law_within_sampling_error():
    n = 40_000
    chooser = CameraChooser(PopularityConfig(zipf_s=1.0), CAMS, rng=random.Random(5))
    seen = Counter(chooser.choose() for _ in range(n))
    for cam, p in zip(CAMS, zipf_probabilities(len(CAMS), 1.0)):
        sigma = (p * (1 - p) / n) ** 0.5
        assert abs(seen[cam] / n - p) < 4 * sigma, (cam, seen[cam] / n, p)
    assert zipf_probabilities(10, 1.0)[0] == pytest.approx(1 / sum(1 / r for r in range(1, 11)))


def test_zipf_exponent_zero_is_uniform_and_hot_list_keeps_its_share():
    assert zipf_probabilities(4, 0.0) == [0.25] * 4
    hot = CameraChooser(PopularityConfig(law="hot_list"), CAMS, hot=["cam-07"], hot_share=0.8, rng=random.Random(1))
    share = sum(hot.choose() == "cam-07" for _ in range(5000)) / 5000
    assert 0.8 < share < 0.86            # 0.8 to the hot camera, plus its uniform share of the rest


def test_ranking_puts_hot_cameras_first_and_ignores_unknown_ones():
    assert ranked(CAMS[:4], ["cam-03", "gone", "cam-03"]) == ["cam-03", "cam-00", "cam-01", "cam-02"]
    with pytest.raises(ValueError, match="no cameras"):
        CameraChooser(PopularityConfig(), [])


def test_load_config_rejects_bad_popularity_and_unbounded_browsers():
    with pytest.raises(ValidationError, match="zipf_s"):
        LoadConfig.model_validate({"popularity": {"zipf_s": -1}})
    with pytest.raises(ValidationError, match="count"):
        LoadConfig.model_validate({"browsers": {"count": 500}})
    assert LoadConfig().popularity.law == "zipf" and LoadConfig().browsers is None


def _player(ttff, start="cold", stall_ms=0.0, watched_ms=10_000.0):
    return PlayerStats("c", "hls", ttff, 100, 1 if stall_ms else 0, stall_ms, watched_ms, 4, 9.0, start, None)


def test_summary_counts_players_without_a_frame_at_the_timeout_and_pools_stalls():
    s = summarise([_player(1000.0), _player(2000.0, "warm", stall_ms=500.0), _player(None, watched_ms=0.0)],
                  ttff_timeout_s=20.0)
    assert (s.viewers, s.started, s.cold_starts) == (3, 2, 2)
    assert s.ttff_p50_ms == 2000.0 and s.ttff_p95_ms > 18_000      # the failed player is not dropped
    assert s.stall_ratio == pytest.approx(500 / 20_000)


def test_cold_start_share_is_the_difference_over_the_trial():
    assert cold_start_share((3, 10), (5, 16)) == {"view_starts": 8, "cold_start_share": 0.25}
    assert cold_start_share((3, 10), (3, 10)) == {} and cold_start_share(None, (1, 1)) == {}
