"""Accuracy under load (benchmarks.runner.accuracy) on a real generated clip's ground truth, with
line_count events built from that ground truth the way the stack places them (observed at the first
analysed frame at or after the crossing; capture time = stream time + the reader's offset)."""
from __future__ import annotations

import math

import pytest

from analytics.store import Event
from benchmarks.report import plots
from benchmarks.report.messages import Catalogue
from benchmarks.runner.accuracy import (MARGIN_S, camera_counts, estimate_offset, grid_window, step_accuracy,
                                        trial_metrics)
from fake_cameras.footage import generate_clip
from fake_cameras.groundtruth import load_ground_truth
from common.profiles import CameraProfile
from fake_cameras.scene import SceneSpec

FPS = 10.0
SAMPLE_FPS = 2.0
STEP = int(FPS / SAMPLE_FPS)
OFFSET = 1_700_000_000.0          # wall clock of the reader's stream time 0
CAM = "atcs-0001"


@pytest.fixture(scope="module")
def gt(tmp_path_factory):
    spec = SceneSpec(seed=3, duration_s=16, vehicles_per_min=60, parking={"dwell_s": 4})
    profile = CameraProfile(width=320, height=180, fps=FPS, bitrate_kbps=300, gop=20)
    clip = generate_clip(spec, profile, tmp_path_factory.mktemp("clips"))
    g = load_ground_truth(clip.ground_truth)
    assert len(g.events.line_crossings) >= 6, "the clip needs crossings for the test to mean anything"
    return g


def events_from(gt, loops, drop=(), offset=OFFSET) -> list[Event]:
    """One line_count event per ground-truth crossing and loop, seen at the next analysed frame."""
    out = []
    for loop in loops:
        for i, c in enumerate(gt.events.line_crossings):
            if (loop, i) in drop:
                continue
            n = math.ceil((loop * gt.frames + c.frame) / STEP) * STEP      # first sampled frame >= crossing
            cl, k = divmod(n, gt.frames)
            out.append(Event(key=f"{loop}-{i}", camera_id=CAM, type="line_count", t_frame=offset + n / FPS,
                             payload={"cls": c.cls, "direction": "+", "t_clip": round(k / FPS, 3), "loop": cl}))
    return out


def truth_in(gt, t0, t1):
    """Crossings (loop, index) whose stream frame lies in the trial's compared window."""
    gi, gj = grid_window(t0 - OFFSET + MARGIN_S, t1 - OFFSET - MARGIN_S, FPS, STEP)
    return [(loop, i) for loop in range(4) for i, c in enumerate(gt.events.line_crossings)
            if gi < loop * gt.frames + c.frame <= gj]


def test_exact_events_give_accuracy_one(gt):
    evs = events_from(gt, range(3))
    assert estimate_offset(evs, gt.frames, FPS) == pytest.approx(OFFSET)
    t0, t1 = OFFSET + 1.3, OFFSET + 10.7
    c = camera_counts(CAM, evs, gt, t0, t1, sample_fps=SAMPLE_FPS)
    n = len(truth_in(gt, t0, t1))
    assert n >= 3 and sum(c.truth.values()) == n
    assert c.counted == c.truth
    m = trial_metrics([c])
    assert m["count_accuracy"] == 1.0 and m["count_truth"] == m["count_counted"] == n
    assert m["count_abs_error"] == 0


def test_dropped_events_lower_accuracy_by_the_expected_share(gt):
    t0, t1 = OFFSET + 1.3, OFFSET + 10.7
    inside = truth_in(gt, t0, t1)
    dropped = set(inside[:2])
    c = camera_counts(CAM, events_from(gt, range(3), drop=dropped), gt, t0, t1, sample_fps=SAMPLE_FPS)
    m = trial_metrics([c])
    n = len(inside)
    assert m["count_truth"] == n and m["count_counted"] == n - 2
    assert m["count_accuracy"] == pytest.approx(1 - 2 / n, abs=1e-4)
    per = {k.split(".", 1)[1]: v for k, v in m.items() if k.startswith("count_abs_error.")}
    assert sum(per.values()) == 2
    # a false count of another class adds to the error, it does not cancel a miss
    missed = {gt.events.line_crossings[i].cls for _, i in dropped}
    other = next(c for c in ("bus", "truck", "car", "motorcycle") if c not in missed)
    extra = Event(key="x", camera_id=CAM, type="line_count", t_frame=t0 + 4,
                  payload={"cls": other, "direction": "+", "t_clip": round(t0 + 4 - OFFSET, 1), "loop": 0})
    c2 = camera_counts(CAM, events_from(gt, range(3), drop=dropped) + [extra], gt, t0, t1,
                       sample_fps=SAMPLE_FPS, offset_s=OFFSET)
    assert trial_metrics([c2])["count_abs_error"] == 3


def test_window_wrapping_past_the_clip_end_takes_the_next_loop(gt):
    d = gt.frames / FPS
    t0, t1 = OFFSET + d - 4.0, OFFSET + d + 5.0          # the end of loop 0 and the start of loop 1
    inside = truth_in(gt, t0, t1)
    assert {loop for loop, _ in inside} == {0, 1}
    evs = events_from(gt, range(3))
    c = camera_counts(CAM, evs, gt, t0, t1, sample_fps=SAMPLE_FPS)
    assert sum(c.truth.values()) == len(inside) and c.counted == c.truth
    # the second loop of the same clip: the same truth again, each loop's events only
    c1 = camera_counts(CAM, evs, gt, t0 + d, t1 + d, sample_fps=SAMPLE_FPS)
    assert c1.truth == c.truth and c1.counted == c.counted
    lost = camera_counts(CAM, events_from(gt, range(3), drop={p for p in inside if p[0] == 1}), gt, t0, t1,
                         sample_fps=SAMPLE_FPS)
    assert sum(lost.counted.values()) == len([p for p in inside if p[0] == 0])


def test_window_end_follows_the_analytics_lag(gt):
    t0, t1 = OFFSET + 1.3, OFFSET + 10.7
    full = camera_counts(CAM, events_from(gt, range(3)), gt, t0, t1, sample_fps=SAMPLE_FPS)
    assert full.window[0] == 2.0
    # a trial with 3 s of analytics lag stops comparing 3 s before its end (events not stored yet)
    lag = camera_counts(CAM, events_from(gt, range(3)), gt, t0, t1, sample_fps=SAMPLE_FPS, end_margin_s=3.0)
    assert lag.window == (full.window[0], 7.5) and lag.counted == lag.truth


def test_unplaceable_camera_and_parking_dwell(gt):
    assert camera_counts(CAM, [], gt, OFFSET, OFFSET + 5) is None
    assert trial_metrics([], unplaced=1) == {"count_cameras": 0, "count_cameras_unplaced": 1}
    # no event yet: placed by the reader's statistics instead, and every crossing there is a miss
    t0, t1 = OFFSET + 1.3, OFFSET + 10.7
    none = camera_counts(CAM, [], gt, t0, t1, fallback_offset_s=OFFSET, sample_fps=SAMPLE_FPS)
    m = trial_metrics([none])
    assert m["count_truth"] == len(truth_in(gt, t0, t1)) and m["count_counted"] == 0 and m["count_accuracy"] == 0.0
    d = gt.events.parking[0]
    park = Event(key="p", camera_id=CAM, type="illegal_parking_end", t_frame=OFFSET + d.end_t,
                 payload={"cls": d.cls, "dwell_s": round(d.duration_s - 0.4, 3), "start_clip_s": d.start_t + 0.4,
                          "end_clip_s": d.end_t, "loop": 0})
    c = camera_counts(CAM, events_from(gt, [0]) + [park], gt, OFFSET + d.start_t, OFFSET + d.end_t + 0.5,
                      sample_fps=SAMPLE_FPS)
    assert trial_metrics([c])["parking_dwell_error_s"] == pytest.approx(0.4, abs=1e-3)
    # the alert sent when the dwell reaches the rule's minimum holds the dwell so far: not compared
    alert = Event(key="a", camera_id=CAM, type="illegal_parking", t_frame=OFFSET + d.start_t + 3,
                  payload={**park.payload, "dwell_s": 2.0})
    c = camera_counts(CAM, events_from(gt, [0]) + [alert], gt, OFFSET + d.start_t, OFFSET + d.end_t + 0.5,
                      sample_fps=SAMPLE_FPS)
    assert "parking_dwell_error_s" not in trial_metrics([c])


def _run(points):
    steps = []
    for i, (cams, trials) in enumerate(points):
        steps.append({"index": i, "load": {"cameras": cams},
                      "trials": [{"partial": False, "metrics": m} for m in trials]})
    return {"axis": "cameras", "steps": steps, "knee": {"value": points[-1][0]}}


def test_accuracy_figure_in_both_languages():
    data = _run([(2, [{"count_truth": 4, "count_abs_error": 0, "count_accuracy": 1.0}]),
                 (4, [{"count_truth": 6, "count_abs_error": 3, "count_accuracy": 0.5},
                      {"count_truth": 2, "count_abs_error": 1, "count_accuracy": 0.5}])])
    assert step_accuracy([t["metrics"] for t in data["steps"][1]["trials"]]) == pytest.approx(1 - 4 / 8)
    for lang in ("en", "id"):
        assert plots.accuracy_plot(data, Catalogue(lang))
    assert plots.accuracy_plot(_run([(2, [{"count_truth": 0, "count_abs_error": 0}])]), Catalogue("en")) is None
