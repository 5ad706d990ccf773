"""Tracker and rules on ground-truth boxes (a perfect detector): the rule logic alone, no model."""
from __future__ import annotations

import numpy as np
import pytest

from analytics.config import FloodLevelRule, IllegalParkingRule, LineCountRule, ZonePeopleRule
from analytics.pipeline import CameraPipeline, StreamClock
from analytics.rules import build_rules
from analytics.config import CLASS_NAMES
from tests.analytics.helpers import gt_detections, smoke_clip

BLANK = np.zeros((4, 4, 3), np.uint8)


def _run(gt, sample_fps: float, rules, loops: int = 1, start_frame: int = 0):
    pipe = CameraPipeline("cam", build_rules(rules, gt.geometry), StreamClock(gt.fps, gt.frames), list(CLASS_NAMES))
    step = max(1, int(round(gt.fps / sample_fps)))
    events = []
    for n in range(start_frame, gt.frames * loops):
        if n % step:
            continue
        f = pipe.frame_info(n / gt.fps, 1000.0 + n / gt.fps, gt.width, gt.height)
        events += pipe.process(f, BLANK, gt_detections(gt, n % gt.frames))
    events += pipe._end_loop()
    return events


@pytest.mark.parametrize("name", ["atcs", "rt"])
@pytest.mark.parametrize("fps", [10, 5, 2])
def test_line_counts_match_ground_truth_with_perfect_detections(name, fps):
    _, gt = smoke_clip(name)
    events = _run(gt, fps, [LineCountRule(type="line_count", classes=list(CLASS_NAMES))])
    got = {c: 0 for c in CLASS_NAMES}
    for e in events:
        got[e.payload["cls"]] += 1
    truth = gt.crossings_by_class()
    assert got == truth, (got, truth)


@pytest.mark.parametrize("name", ["atcs", "rt"])
def test_parking_dwell_within_a_second_with_perfect_detections(name):
    _, gt = smoke_clip(name)
    truth = gt.dwell_intervals(3.0)
    assert truth, "the smoke scene has a parked vehicle"
    found = _run(gt, 5, [IllegalParkingRule(type="illegal_parking", min_dwell_s=3.0)])
    events = [e for e in found if e.type == "illegal_parking_end"]
    decided = [e for e in found if e.type == "illegal_parking"]
    assert len(events) == len(decided) == len(truth), found
    for e, d in zip(sorted(events, key=lambda e: e.payload["start_clip_s"]), truth):
        assert abs(e.payload["dwell_s"] - d.duration_s) < 1.0, (e.payload, d)
    for e, d in zip(sorted(decided, key=lambda e: e.payload["start_clip_s"]), truth):
        # decided once the dwell so far reaches min_dwell_s, at that frame (not when the vehicle leaves)
        assert 3.0 <= e.payload["dwell_s"] < 3.0 + 0.5, e.payload
        assert e.payload["end_clip_s"] < d.end_t - 0.5, (e.payload, d)


def test_keys_repeat_when_frames_are_reprocessed_and_change_with_the_loop():
    _, gt = smoke_clip("atcs")
    rules = [LineCountRule(type="line_count"), IllegalParkingRule(type="illegal_parking", min_dwell_s=3.0)]
    first = _run(gt, 5, rules)
    again = _run(gt, 5, rules)
    assert [e.key for e in first] == [e.key for e in again]
    two = _run(gt, 5, rules, loops=2)
    keys = [e.key for e in two]
    assert len(keys) == len(set(keys)) == 2 * len(first)
    assert {e.payload["loop"] for e in two} == {0, 1}


def test_events_are_emitted_at_the_frame_that_decides_them():
    """Lag = capture of the deciding frame -> stored: each event comes out of the ``process`` call of
    the frame it is stamped with (line crossing, parking dwell reaching min_dwell_s, window's last
    frame), not later when the track ends or the next window begins."""
    _, gt = smoke_clip("atcs")
    rules = [LineCountRule(type="line_count"), IllegalParkingRule(type="illegal_parking", min_dwell_s=3.0),
             ZonePeopleRule(type="zone_people", window_s=4.0), FloodLevelRule(type="flood_level", window_s=4.0)]
    pipe = CameraPipeline("cam", build_rules(rules, gt.geometry), StreamClock(gt.fps, gt.frames), list(CLASS_NAMES))
    step = max(1, int(round(gt.fps / 5)))
    seen: dict[str, int] = {}
    last_window_frame = None
    for n in range(0, gt.frames, step):
        f = pipe.frame_info(n / gt.fps, 1000.0 + n / gt.fps, gt.width, gt.height)
        if (n + step) / gt.fps // 4.0 != n / gt.fps // 4.0:
            last_window_frame = f.t_capture
        for e in pipe.process(f, BLANK, gt_detections(gt, n)):
            seen[e.type] = seen.get(e.type, 0) + 1
            assert e.t_frame == f.t_capture, (e.type, e.payload, f)
            if e.type in ("zone_people", "flood_level"):
                assert e.t_frame == last_window_frame, (e.type, e.payload, f)
    assert seen.get("line_count") == sum(gt.crossings_by_class().values()), seen
    assert seen.get("illegal_parking") == len(gt.dwell_intervals(3.0)), seen
    assert seen.get("zone_people", 0) >= int(gt.frames / gt.fps // 4.0), seen
