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
@pytest.mark.parametrize("fps", [10, 5, 2, 1])
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


def test_tracker_keeps_identities_in_a_dense_lane_sampled_at_one_fps():
    """Vehicles in one lane, seen once a second, each moving about as far as the gap to its follower.
    A track seen once must predict with the lane's learnt motion, not stand still, or the follower
    takes its identity (and a line crossing is lost)."""
    from analytics.detect.prepost import Detection
    from analytics.track import Tracker
    rng = np.random.default_rng(5)
    W, H, speed, n = 1280, 720, 150.0, 24
    # irregular gaps of 1.0 to 2.2 steps; the first vehicle comes alone, as at the start of a clip
    # (a perfectly periodic queue sampled at 1 Hz is aliased: no tracker can tell its direction)
    gaps = np.concatenate([[0.0, 4.0], rng.uniform(1.0, 2.2, n - 2)])
    enter = np.cumsum(gaps)
    tracker, seen = Tracker(H, frame_w=W), {}
    for t in range(0, int(enter[-1] + W / speed) + 2):
        dets, who = [], []
        for k, t0 in enumerate(enter):
            cx = W + 35 - speed * (t - t0)
            if t >= t0 and 35 <= cx <= W - 35:
                dets.append(Detection(cx - 35, 355, cx + 35, 430, 0.9, 3))
                who.append(k)
        live, _ = tracker.update(float(t), t, dets)
        for k, d in zip(who, dets):
            tr = next(tr for tr in live if tr.t_last == t and tr.box == (d.x1, d.y1, d.x2, d.y2))
            seen.setdefault(tr.id, set()).add(k)
    assert {tid: ks for tid, ks in seen.items() if len(ks) > 1} == {}
    assert len(seen) == n


def test_model_counts_measures_line_count_accuracy_of_a_clip(tmp_path):
    """`tilikbench detector counts`: the shipped detector, tracker and rule on a whole generated clip."""
    import json
    import subprocess
    import sys
    clip, gt = smoke_clip("atcs")
    out = tmp_path / "counts.json"
    r = subprocess.run([sys.executable, "-m", "benchmarks.cli", "detector", "counts", str(clip.path), "--fps", "2,5",
                        "--out", str(out)], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
    data = json.loads(out.read_text())
    assert data["kind"] == "line_count_accuracy" and data["commit_info"]
    assert [row["sample_fps"] for row in data["rows"]] == [2.0, 5.0]
    truth = sum(gt.crossings_by_class().get(c, 0) for c in ("car", "motorcycle", "bus", "truck"))
    for row in data["rows"]:
        assert row["truth"] == truth > 0
        assert row["accuracy"] >= 0.9, row
    bad = subprocess.run([sys.executable, "-m", "benchmarks.cli", "detector", "counts", str(tmp_path / "none.mp4")],
                         capture_output=True, text=True, timeout=120)
    assert bad.returncode == 2 and "none.mp4" in bad.stderr and "clip not found" in bad.stderr
