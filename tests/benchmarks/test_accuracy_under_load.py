"""Accuracy under load (benchmarks.runner.event_accuracy) on a real generated clip's ground truth, with
line_count events built from that ground truth the way the stack stores them: decided at the first
analysed frame at or after the crossing, carrying that frame's clip position; cameras placed by the
stream frame their stats report, never by the events."""
from __future__ import annotations

import math

import pytest

from analytics.config import LineCountRule
from analytics.scoring import line_direction_names
from analytics.store import Event
from benchmarks.report import plots
from benchmarks.report.messages import Catalogue
from benchmarks.runner.event_accuracy import CameraTrial, step_f1, trial_event_metrics
from fake_cameras.footage import generate_clip
from fake_cameras.groundtruth import load_ground_truth
from common.profiles import CameraProfile
from fake_cameras.scene import SceneSpec

FPS = 10.0
STEP = 5                       # 2 fps sampling
CAM = "atcs-0001"
RULES = [LineCountRule(type="line_count")]


@pytest.fixture(scope="module")
def gt(tmp_path_factory):
    spec = SceneSpec(seed=3, duration_s=16, vehicles_per_min=60, parking={"dwell_s": 4})
    profile = CameraProfile(width=320, height=180, fps=FPS, bitrate_kbps=300, gop=20)
    clip = generate_clip(spec, profile, tmp_path_factory.mktemp("clips"))
    g = load_ground_truth(clip.ground_truth)
    assert len(g.events.line_crossings) >= 6, "the clip needs crossings for the test to mean anything"
    return g


def events_from(gt, loops, drop=(), camera=CAM) -> list[Event]:
    """One line_count event per ground-truth crossing and loop, decided at the next analysed frame."""
    sign = {v: k for k, v in line_direction_names(gt.geometry["counting_line"]).items()}
    out = []
    for loop in loops:
        for i, c in enumerate(gt.events.line_crossings):
            if (loop, i) in drop:
                continue
            n = math.ceil((loop * gt.frames + c.frame) / STEP) * STEP
            cl, k = divmod(n, gt.frames)
            out.append(Event(key=f"{camera}-{loop}-{i}", camera_id=camera, type="line_count", t_frame=0.0,
                             payload={"cls": c.cls, "direction": sign[c.direction], "loop": cl, "clip_frame": k}))
    return out


def crossings_in(gt, a_frame: int, b_frame: int) -> list[tuple[int, int]]:
    return [(loop, i) for loop in range(4) for i, c in enumerate(gt.events.line_crossings)
            if a_frame < loop * gt.frames + c.frame <= b_frame]


def test_a_stack_that_misses_nothing_scores_one_and_trials_tile_the_stream(gt):
    evs = events_from(gt, range(3))
    # three consecutive trials, placed by the stream frame the camera's stats reported
    marks = [None, 60, 2 * gt.frames + 10, 2 * gt.frames + 90]
    found = 0
    for before, after in zip(marks, marks[1:]):
        m = trial_event_metrics([CameraTrial(CAM, gt, RULES, before, after)], evs, trial_s=10.0)
        assert m["event_f1"] == 1.0 and m["event_cameras_silent"] == 0, m
        found += m["event_tp.line_count"]
    assert found == len(crossings_in(gt, -1, marks[-1])), "every crossing scored once across the trials"


def test_dropped_events_lower_recall_by_the_expected_share_and_a_false_one_does_not_cancel(gt):
    inside = crossings_in(gt, 0, 2 * gt.frames)
    dropped = set(inside[:2])
    m = trial_event_metrics([CameraTrial(CAM, gt, RULES, 0, 2 * gt.frames)],
                            events_from(gt, range(3), drop=dropped), trial_s=32.0)
    n = len(inside)
    assert m["event_fn.line_count"] == 2 and m["event_tp.line_count"] == n - 2
    assert m["event_recall"] == pytest.approx((n - 2) / n, abs=1e-4) and m["event_precision"] == 1.0
    c = gt.events.line_crossings[dropped.pop()[1]]
    other = next(k for k in ("bus", "truck", "car", "motorcycle") if k != c.cls)
    wrong = Event(key="x", camera_id=CAM, type="line_count", t_frame=0.0,
                  payload={"cls": other, "direction": "+", "loop": 0, "clip_frame": c.frame})
    m2 = trial_event_metrics([CameraTrial(CAM, gt, RULES, 0, 2 * gt.frames)],
                             events_from(gt, range(3), drop=set(inside[:2])) + [wrong], trial_s=32.0)
    assert m2["event_fp.line_count"] == 1 and m2["event_fn.line_count"] == 2


def test_a_silent_camera_is_all_misses_and_lowers_recall(gt):
    evs = events_from(gt, range(3)) + events_from(gt, range(3), camera="atcs-0002")
    both = [CameraTrial(CAM, gt, RULES, 0, gt.frames), CameraTrial("atcs-0002", gt, RULES, 0, gt.frames)]
    full = trial_event_metrics(both, evs, trial_s=16.0)
    # the second camera analysed nothing in the trial: its stream frame did not move
    silent = trial_event_metrics([both[0], CameraTrial("atcs-0002", gt, RULES, 0, 0)], evs, trial_s=16.0)
    assert full["event_recall"] == 1.0 and silent["event_cameras_silent"] == 1 and silent["event_cameras"] == 2
    assert silent["event_recall"] <= 0.6 and silent["event_precision"] == 1.0
    never = trial_event_metrics([CameraTrial(CAM, gt, RULES, None, None)], evs, trial_s=16.0)
    assert never["event_recall"] == 0.0 and never["event_fn.line_count"] == len(crossings_in(gt, -1, gt.frames - 1))


def test_a_restarted_stream_is_scored_from_the_clips_start(gt):
    c = CameraTrial(CAM, gt, RULES, 2 * gt.frames + 50, 40)       # the stream began again at frame 0
    assert c.span(10.0) == (0.0, 4.1, False)
    m = trial_event_metrics([c], events_from(gt, [0]), trial_s=10.0)
    assert m["event_tp.line_count"] == len(crossings_in(gt, -1, 40)) and m.get("event_fn.line_count", 0) == 0


def _run(points):
    steps = []
    for i, (cams, trials) in enumerate(points):
        steps.append({"index": i, "load": {"cameras": cams},
                      "trials": [{"partial": False, "metrics": m} for m in trials]})
    return {"axis": "cameras", "steps": steps, "knee": {"value": points[-1][0]}}


def test_f1_per_rule_against_load_in_both_languages():
    data = _run([(2, [{"event_tp.line_count": 4, "event_fp.line_count": 0, "event_fn.line_count": 0,
                       "event_tp.zone_people": 2, "event_f1": 1.0}]),
                 (4, [{"event_tp.line_count": 3, "event_fp.line_count": 1, "event_fn.line_count": 2,
                       "event_f1": 0.6},
                      {"event_tp.line_count": 1, "event_fp.line_count": 0, "event_fn.line_count": 1,
                       "event_f1": 0.7}])])
    assert (step_f1([t["metrics"] for t in data["steps"][1]["trials"]], "line_count")
            == pytest.approx(2 * 4 / (2 * 4 + 1 + 3)))
    for lang in ("en", "id"):
        assert plots.accuracy_plot(data, Catalogue(lang))
    assert Catalogue("id")("acc_step", rule="line_count") != Catalogue("en")("acc_step", rule="line_count")
    assert plots.accuracy_plot(_run([(2, [{"event_cameras": 1}])]), Catalogue("en")) is None


def test_an_event_decided_just_after_a_trials_edge_is_not_false_in_the_next_trial(gt):
    """Trials tile the stream at the analysed position; an event decided a frame after a crossing that
    lies on the previous trial's side is neither found nor false in the next trial."""
    c = gt.events.line_crossings[0]
    late = [e for e in events_from(gt, [0]) if e.payload["clip_frame"] > c.frame][:1]
    assert late, "the first crossing is decided at a later analysed frame"
    k = late[0].payload["clip_frame"]
    m = trial_event_metrics([CameraTrial(CAM, gt, RULES, k - 1, k + 5)], late, trial_s=1.0)
    assert m.get("event_fp.line_count", 0) == 0 and m.get("event_tp.line_count", 0) == 0
