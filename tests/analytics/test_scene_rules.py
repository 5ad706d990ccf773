"""Flood level and garbage presence on generated scenes, against their ground truth."""
from __future__ import annotations

import av
import pytest

from analytics.config import FloodLevelRule, GarbagePresenceRule
from analytics.geometry import Polygon, rect_to_poly
from analytics.pipeline import CameraPipeline, StreamClock
from analytics.rules import build_rules
from analytics.rules.scene_state import flood_level, garbage_score, too_dark
from fake_cameras.footage import generate_clip
from fake_cameras.groundtruth import load_ground_truth
from common.profiles import PROFILES
from fake_cameras.scene import FloodSpec, GarbageSpec, SceneSpec
from tests.analytics.helpers import CACHE


def _clip(night: bool):
    spec = SceneSpec(seed=5 + night, duration_s=30, vehicles_per_min=60, rain=not night, night=night,
                     flood=FloodSpec(start_s=5, rise_s=20, max_level=0.5), garbage=GarbageSpec(appear_s=8))
    clip = generate_clip(spec, PROFILES["rt-360p10"], CACHE)
    return clip, load_ground_truth(clip.ground_truth)


def _frames(clip, every: int = 10):
    with av.open(str(clip.path)) as c:
        for i, f in enumerate(c.decode(video=0)):
            if i % every == 0:
                yield i, f.to_ndarray(format="bgr24")


def test_flood_level_and_garbage_follow_ground_truth_by_day():
    clip, gt = _clip(night=False)
    flood = Polygon(tuple(rect_to_poly(gt.geometry["flood_region"])))
    garbage = Polygon(tuple(rect_to_poly(gt.geometry["garbage_region"])))
    errs, wrong = [], 0
    for i, img in _frames(clip):
        t = i / gt.fps
        assert not too_dark(img)
        errs.append(abs(flood_level(img, flood) - gt.flood_level_at(t)))
        wrong += (garbage_score(img, garbage) > 0.12) != gt.garbage_present_at(t)
    assert max(errs) <= 0.05, errs
    assert wrong <= 1          # the frame the pile appears in may go either way


def test_window_events_and_no_reading_at_night():
    for night in (False, True):
        clip, gt = _clip(night)
        rules = build_rules([FloodLevelRule(type="flood_level", window_s=10),
                             GarbagePresenceRule(type="garbage_presence", window_s=10)], gt.geometry)
        pipe = CameraPipeline("c", rules, StreamClock(gt.fps, gt.frames), ["car"])
        events = []
        for i, img in _frames(clip, every=5):
            events += pipe.process(pipe.frame_info(i / gt.fps, 0.0, img.shape[1], img.shape[0]), img, [])
        events += pipe._end_loop()
        flood = sorted((e for e in events if e.type == "flood_level"), key=lambda e: e.payload["window"])
        garbage = sorted((e for e in events if e.type == "garbage_presence"), key=lambda e: e.payload["window"])
        assert [e.payload["window"] for e in flood] == [0, 1, 2] == [e.payload["window"] for e in garbage]
        if night:
            assert all(e.payload["level"] is None and e.payload["reason"] == "too dark" for e in flood)
            assert all(e.payload["present"] is None for e in garbage)
        else:
            for e in flood:
                mid = (e.payload["window"] + 0.5) * 10
                assert e.payload["level"] == pytest.approx(gt.flood_level_at(mid), abs=0.06)
            assert [e.payload["present"] for e in garbage] == [False, True, True]
