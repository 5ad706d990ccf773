"""Tracker backends behind the stack's interface, and the tracking metrics computed from maintained
libraries (py-motmetrics: MOTA, IDF1; trackers.eval: HOTA) checked against hand-computed cases."""
from __future__ import annotations

import math

import numpy as np
import pytest

from analytics.config import CLASS_NAMES, IngestClass, LineCountRule
from analytics.pipeline import CameraPipeline, StreamClock
from analytics.rules import build_rules
from analytics.scoring import score_camera, scores
from analytics.trackers import TRACKERS
from analytics.tracking_metrics import tracking_score, truth_boxes
from tests.analytics.helpers import gt_detections, smoke_clip


def _box(x: float) -> tuple[float, float, float, float]:
    return (x, 0.0, x + 10.0, 10.0)


TRUTH = {n: [(1, _box(n)), (2, _box(50 + n))] for n in range(4)}


def test_perfect_tracks_score_one_on_every_metric():
    s = tracking_score(TRUTH, {n: [(7, _box(n)), (8, _box(50 + n))] for n in range(4)})
    assert (s.mota, s.idf1, s.hota, s.id_switches) == (1.0, 1.0, 1.0, 0)


def test_swapped_identities_halfway():
    """Two objects whose ids swap at frame 2. By hand: 8 matches (DetA 1), 2 switches, so
    MOTA = 1 - 2/8; IDF1 = 2*4 / (8 + 8) (each id keeps 2 of its 4 frames); every match's association
    has TPA 2, FNA 2, FPA 2, so AssA = 1/3 and HOTA = sqrt(1 x 1/3) at every IoU threshold."""
    hyp = {n: [(7 if n < 2 else 8, _box(n)), (8 if n < 2 else 7, _box(50 + n))] for n in range(4)}
    s = tracking_score(TRUTH, hyp)
    assert s.mota == pytest.approx(0.75) and s.idf1 == pytest.approx(0.5)
    assert s.hota == pytest.approx(math.sqrt(1 / 3)) and s.id_switches == 2


def test_a_split_track_and_a_missed_object():
    """Object 1 split into two ids, object 2 never tracked. By hand: DetA = 4/8, AssA = 2/4, so
    HOTA = 0.5; MOTA = 1 - (4 misses + 1 switch)/8; IDF1 = 2*2 / (8 + 4)."""
    s = tracking_score(TRUTH, {n: [(7 if n < 2 else 9, _box(n))] for n in range(4)})
    assert s.hota == pytest.approx(0.5) and s.mota == pytest.approx(0.375) and s.idf1 == pytest.approx(1 / 3)


def test_the_stack_setting_selects_the_tracker():
    from pydantic import ValidationError

    from analytics.track import Tracker
    from analytics.trackers import LibraryTracker
    assert IngestClass(name="atcs").tracker == "motion_field"
    with pytest.raises(ValidationError, match="tracker"):
        IngestClass(name="atcs", tracker="deepsort")
    _, gt = smoke_clip("rt")
    for name, kind in (("motion_field", Tracker), ("sv_bytetrack", LibraryTracker)):
        cls = IngestClass(name="rt", tracker=name, rules=[LineCountRule(type="line_count")])
        pipe = CameraPipeline("rt", build_rules(cls.rules, gt.geometry), StreamClock(gt.fps, gt.frames),
                              list(CLASS_NAMES), tracker=cls.tracker, sample_fps=cls.sample_fps)
        pipe.process(pipe.frame_info(0.0, 0.0, gt.width, gt.height), np.zeros((4, 4, 3), np.uint8), [])
        assert isinstance(pipe.tracker, kind)


@pytest.mark.parametrize("tracker", TRACKERS)
def test_every_tracker_counts_the_lines_of_a_clip_at_its_full_rate(tracker):
    """Perfect detections at the clip's full 10 fps: every backend, behind the same pipeline and rule,
    finds every crossing (at 1-2 fps they differ: docs/analytics.md has the figures)."""
    _, gt = smoke_clip("rt")
    rules = [LineCountRule(type="line_count")]
    pipe = CameraPipeline("rt", build_rules(rules, gt.geometry), StreamClock(gt.fps, gt.frames), list(CLASS_NAMES),
                          tracker=tracker, sample_fps=gt.fps)
    events, hyp = [], {}
    for n in range(gt.frames):
        f = pipe.frame_info(n / gt.fps, n / gt.fps, gt.width, gt.height)
        events += pipe.process(f, np.zeros((4, 4, 3), np.uint8), gt_detections(gt, n))
        hyp[n] = [(tr.id, tr.box) for tr in pipe.live_tracks if tr.frame_last == f.frame_no]
    events += pipe._end_loop()
    s = scores(score_camera("rt", events, gt, rules, 0.0, gt.frames / gt.fps), by=())[()]
    assert s.f1 == 1.0, (tracker, s.as_dict())
    assert tracking_score(truth_boxes(gt, range(gt.frames)), hyp).idf1 >= 0.9
