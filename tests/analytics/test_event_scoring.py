"""Event-level scoring: a deliberately wrong pipeline scores clearly below the correct one on every
figure, errors of the same class never cancel, and a silent camera is all misses.

The pipeline is the stack's own (tracker + rules, ``CameraPipeline``) on ground-truth boxes of the
smoke clips, so the correct run is exact and each defect is the only thing that differs."""
from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from analytics.config import CLASS_NAMES, IllegalParkingRule, LineCountRule, ZonePeopleRule
from analytics.detect.prepost import Detection
from analytics.pipeline import CameraPipeline, StreamClock
from analytics.rules import build_rules
from analytics.scoring import Placed, match_events, merge, score_camera, scores
from tests.analytics.helpers import smoke_clip

RULES = [LineCountRule(type="line_count"), IllegalParkingRule(type="illegal_parking", min_dwell_s=3.0),
         ZonePeopleRule(type="zone_people", window_s=10.0)]
SWAP = {CLASS_NAMES.index("car"): CLASS_NAMES.index("motorcycle"),
        CLASS_NAMES.index("motorcycle"): CLASS_NAMES.index("car")}


def _detections(gt, frame: int, defect: str) -> list[Detection]:
    out = []
    for o in gt.objects_at(frame):
        if o.visible < 0.3 or (defect == "half_missed" and o.track_id % 2 == 0):
            continue                       # half the objects never detected
        cls = CLASS_NAMES.index(o.cls)
        if defect == "class_swapped":
            cls = SWAP.get(cls, cls)
        x1, y1, x2, y2 = o.box
        out.append(Detection(max(0, x1), max(0, y1), min(gt.width, x2), min(gt.height, y2), 1.0, cls))
    return out


def _events(gt, defect: str = "none", camera: str = "cam", fps: float = 5.0):
    pipe = CameraPipeline(camera, build_rules(RULES, gt.geometry), StreamClock(gt.fps, gt.frames), list(CLASS_NAMES))
    step = int(round(gt.fps / fps))
    events = []
    for n in range(0, gt.frames, step):
        f = pipe.frame_info(n / gt.fps, 1000.0 + n / gt.fps, gt.width, gt.height)
        events += pipe.process(f, np.zeros((4, 4, 3), np.uint8), _detections(gt, n, defect))
    events += pipe._end_loop()
    if defect == "shifted_5s":             # every event placed 5 s later on the clip
        frames = int(5 * gt.fps)
        events = [dataclasses.replace(e, payload={**e.payload, "clip_frame": e.payload["clip_frame"] + frames,
                                                  **({"start_clip_s": e.payload["start_clip_s"] + 5.0}
                                                     if "start_clip_s" in e.payload else {})}) for e in events]
    return events


@pytest.fixture(scope="module")
def clips():
    return {name: smoke_clip(name)[1] for name in ("atcs", "rt")}


def _score(clips, defect: str):
    parts = [score_camera(name, _events(gt, defect, name), gt, RULES, 0.0, gt.frames / gt.fps)
             for name, gt in clips.items()]
    return scores(merge(parts), by=("rule",))


def test_events_carry_the_clip_position_they_were_decided_at(clips):
    gt = clips["atcs"]
    events = _events(gt)
    assert events and all(isinstance(e.payload["loop"], int) and 0 <= e.payload["clip_frame"] < gt.frames
                          for e in events)
    for e in (e for e in events if e.type == "line_count"):
        assert e.payload["clip_frame"] == round(e.payload["t_clip"] * gt.fps)


def test_the_correct_pipeline_finds_every_event_on_time(clips):
    s = _score(clips, "none")
    for rule in ("line_count", "illegal_parking", "zone_people"):
        assert s[(rule,)].tp > 0 and s[(rule,)].f1 == 1.0, (rule, s[(rule,)].as_dict())
        assert s[(rule,)].timing_abs_max_s <= 0.5, s[(rule,)].as_dict()


@pytest.mark.parametrize("defect, rules", [
    ("class_swapped", ("line_count", "illegal_parking")),
    ("half_missed", ("line_count", "illegal_parking")),
    ("shifted_5s", ("line_count", "illegal_parking")),
])
def test_a_wrong_pipeline_scores_clearly_below_the_correct_one(clips, defect, rules):
    good, bad = _score(clips, "none"), _score(clips, defect)
    for rule in rules:
        g, b = good[(rule,)], bad[(rule,)]
        assert b.f1 <= g.f1 - 0.25, (rule, defect, b.as_dict())
        assert b.recall <= g.recall - 0.3, (rule, defect, b.as_dict())
        if defect != "half_missed":        # missing objects lowers recall, not precision
            assert (b.precision or 0.0) <= g.precision - 0.3, (rule, defect, b.as_dict())


def test_events_shifted_by_5s_show_as_timing_error_where_the_tolerance_still_matches_them(clips):
    good, bad = _score(clips, "none")[("zone_people",)], _score(clips, "shifted_5s")[("zone_people",)]
    assert good.timing_abs_median_s <= 0.2 and bad.timing_abs_median_s >= 4.5, (good.as_dict(), bad.as_dict())


def test_a_false_count_and_a_miss_of_the_same_class_do_not_cancel():
    """Per-window counts would call this exact (one car counted, one car crossed); event matching
    finds a car missed at 3 s and a car that never crossed at 15 s."""
    truth = [Placed("c", "line_count", ("car", "left_to_right"), 3.0, 0)]
    stored = [Placed("c", "line_count", ("car", "left_to_right"), 15.0, 0)]
    s = scores(match_events(truth, stored, 0.0, 20.0), by=())[()]
    assert (s.tp, s.fp, s.fn, s.f1) == (0, 1, 1, 0.0)
    direction = [Placed("c", "line_count", ("car", "right_to_left"), 3.2, 0)]
    s = scores(match_events(truth, direction, 0.0, 20.0), by=())[()]
    assert (s.tp, s.fp, s.fn) == (0, 1, 1)
    s = scores(match_events(truth, [Placed("c", "line_count", ("car", "left_to_right"), 3.4, 0)], 0.0, 20.0),
               by=())[()]
    assert (s.tp, s.fp, s.fn) == (1, 0, 0) and s.timing_abs_median_s == pytest.approx(0.4)


def test_a_silent_camera_lowers_recall(clips):
    gt = clips["atcs"]
    span = (0.0, gt.frames / gt.fps)
    both = [score_camera("a", _events(gt, camera="a"), gt, RULES, *span),
            score_camera("b", _events(gt, camera="b"), gt, RULES, *span)]
    one_silent = [both[0], score_camera("b", [], gt, RULES, *span)]
    full = scores(merge(both), by=())[()]
    silent = scores(merge(one_silent), by=())[()]
    assert full.recall == 1.0 and silent.recall == pytest.approx(0.5), (full.as_dict(), silent.as_dict())
    per_camera = scores(merge(one_silent), by=("camera",))
    assert per_camera[("b",)].tp == 0 and per_camera[("b",)].fn == full.tp // 2


def test_a_span_of_several_loops_holds_each_loops_truth(clips):
    gt = clips["rt"]
    d = gt.frames / gt.fps
    one = scores(score_camera("rt", _events(gt, camera="rt"), gt, RULES, 0.0, d), by=())[()]
    # the same loop's events, but the span covers two loops: the second loop is all misses
    two = scores(score_camera("rt", _events(gt, camera="rt"), gt, RULES, 0.0, 2 * d), by=())[()]
    assert two.tp == one.tp and two.fn == one.tp and two.recall == pytest.approx(0.5)


def test_spans_that_tile_a_stream_score_an_event_across_their_edge_once():
    """A crossing at 9.8 s decided at 10.4 s: the span [0, 10) finds it, [10, 20) counts it as nothing."""
    truth = [Placed("c", "line_count", ("car", "left_to_right"), 9.8, 0)]
    stored = [Placed("c", "line_count", ("car", "left_to_right"), 10.4, 0)]
    first = scores(match_events(truth, stored, 0.0, 10.0), by=())[()]
    assert (first.tp, first.fp, first.fn) == (1, 0, 0)
    assert scores(match_events(truth, stored, 10.0, 20.0), by=()) == {}
