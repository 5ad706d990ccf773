"""Procedural scenes: deterministic, loop-clean, and the ground truth says where objects were drawn."""
from __future__ import annotations

import hashlib

import numpy as np
import pytest
from pydantic import ValidationError

from fake_cameras.groundtruth import GroundTruth, GroundTruthBuilder
from common.profiles import PROFILES, CameraProfile
from fake_cameras.scene import (CLASSES, FloodSpec, GarbageSpec, ParkingSpec, Scene, SceneSpec, frame_count,
                                render_frames)
from fake_cameras.scene import geometry as geo
from fake_cameras.scene.weather import flood_level

W, H, FPS = 480, 270, 10
BUSY = SceneSpec(seed=11, duration_s=24, vehicles_per_min=90, pedestrians_per_min=30,
                 class_mix={"car": 0.3, "motorcycle": 0.4, "bus": 0.15, "truck": 0.15},
                 parking=ParkingSpec(dwell_s=6))


def _render(spec: SceneSpec, w: int = W, h: int = H, fps: float = FPS, sensor_noise: bool = True):
    scene = Scene(spec, w, h, fps, sensor_noise=sensor_noise)
    gt = GroundTruthBuilder(spec, w, h, fps, scene.tracks, "test")
    frames = []
    for i in range(frame_count(spec.duration_s, fps)):
        img, objs = scene.frame(i)
        gt.add(i, objs)
        frames.append(img)
    return scene, frames, GroundTruth.model_validate(gt.finish())


@pytest.fixture(scope="module")
def busy():
    return _render(BUSY)


@pytest.fixture(scope="module")
def busy_clean():
    """The busy scene without sensor grain: every changed pixel was drawn."""
    return _render(BUSY, sensor_noise=False)


def test_deterministic_for_a_seed_and_different_across_seeds():
    spec = SceneSpec(seed=3, duration_s=6, vehicles_per_min=120, pedestrians_per_min=40)
    def digest(s):
        return hashlib.sha256(b"".join(f.tobytes() for f, _ in render_frames(s, 160, 90, 5))).hexdigest()
    assert digest(spec) == digest(spec)
    assert digest(spec) != digest(spec.model_copy(update={"seed": 4}))
    a = [o for _, objs in render_frames(spec, 160, 90, 5) for o in objs]
    b = [o for _, objs in render_frames(spec, 160, 90, 5) for o in objs]
    assert a == b and len(a) > 0


def test_traffic_plan_does_not_depend_on_frame_size():
    spec = SceneSpec(seed=5, duration_s=12, vehicles_per_min=60)
    small, large = Scene(spec, 320, 180, 10), Scene(spec, 1280, 720, 10)
    assert [(t.cls, t.motion.spawn_t, t.lane) for t in small.tracks] == \
           [(t.cls, t.motion.spawn_t, t.lane) for t in large.tracks]
    for i in (40, 80):
        a = sorted(o.box for o in small.frame(i)[1])
        b = sorted(o.box for o in large.frame(i)[1])
        assert len(a) == len(b)
        for ba, bb in zip(a, b):
            assert np.allclose(np.array(ba) * 4, bb, atol=6)


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_first_and_last_frames_are_empty(seed):
    spec = SceneSpec(seed=seed, duration_s=20, vehicles_per_min=200, pedestrians_per_min=60,
                     parking=ParkingSpec(dwell_s=4))
    scene = Scene(spec, 160, 90, 10)
    n = frame_count(spec.duration_s, 10)
    first, objs_first = scene.frame(0)
    last, objs_last = scene.frame(n - 1)
    assert objs_first == [] and objs_last == []
    for img in (first, last):   # nothing drawn but the background and sensor noise
        assert np.abs(img.astype(int) - scene.background.astype(int)).max() < 40
    assert any(scene.frame(n // 2)[1])


def test_boxes_lie_where_objects_were_drawn_for_every_class(busy_clean):
    scene, frames, gt = busy_clean
    bg = scene.background.astype(np.int16)
    seen: dict[str, list[float]] = {c: [] for c in CLASSES}
    for rec in gt.per_frame[::3]:
        img = frames[rec.frame].astype(np.int16)
        diff = np.abs(img - bg).max(axis=2)
        outside = np.ones(diff.shape, bool)
        pad = 3
        for o in rec.objects:
            x1, y1, x2, y2 = o.box
            outside[max(0, y1 - pad):y2 + pad, max(0, x1 - pad):x2 + pad] = False
            if o.visible >= 0.95 and x2 - x1 > 4:
                seen[o.cls].append((diff[y1:y2, x1:x2] > 30).mean())
                inside = diff[y1:y2, x1:x2] > 8
                # the drawing reaches every side of its box (the box is tight)
                cols, rows = inside.any(axis=0), inside.any(axis=1)
                margin_x, margin_y = max(2, (x2 - x1) // 8), max(2, (y2 - y1) // 8)
                assert cols[:margin_x].any() and cols[-margin_x:].any(), (o, "box wider than drawing")
                assert rows[:margin_y].any() and rows[-margin_y:].any(), (o, "box taller than drawing")
        # outside every box (and the shadows below them) nothing changed
        assert (diff[outside] > 8).mean() < 0.003, f"frame {rec.frame}: drawing outside the boxes"
    for cls in CLASSES:
        assert len(seen[cls]) >= 3, f"no fully visible {cls} in the busy scene"
        assert np.median(seen[cls]) > 0.3, f"{cls}: too little drawn inside its boxes"


def test_nearer_objects_occlude_farther_ones(busy):
    _, _, gt = busy
    fractions = [o.visible for rec in gt.per_frame for o in rec.objects if o.box[0] > 0 and o.box[2] < W]
    assert min(fractions) < 0.9, "lanes overlap in the image, so some objects must be partly hidden"
    assert np.median(fractions) > 0.9


def test_every_crossing_matches_a_track_passing_the_line(busy):
    _, _, gt = busy
    line_x = geo.COUNTING_LINE[0][0] * W
    centre = {}
    for rec in gt.per_frame:
        for o in rec.objects:
            centre[(o.track_id, rec.frame)] = (o.box[0] + o.box[2]) / 2
    for c in gt.events.line_crossings:
        before, after = centre[(c.track_id, c.frame - 1)], centre[(c.track_id, c.frame)]
        if c.direction == "left_to_right":
            assert before < line_x <= after
        else:
            assert before >= line_x > after
    crossed = [c.track_id for c in gt.events.line_crossings]
    assert len(crossed) == len(set(crossed)), "a track crosses the line once"
    # every track enters on one side and leaves on the other, so every track is counted once
    assert sorted(crossed) == sorted(t.track_id for t in gt.tracks)
    lane_dir = {ln["name"]: ln["direction"] for ln in gt.geometry["lanes"]}
    by_track = {t.track_id: t for t in gt.tracks}
    for c in gt.events.line_crossings:
        lane = by_track[c.track_id].lane
        if lane in lane_dir:
            assert c.direction == lane_dir[lane]
    counts = gt.crossings_by_class()
    assert sum(counts.values()) == len(crossed) and counts["motorcycle"] > 0


def test_parked_vehicle_stands_in_the_zone_for_its_dwell(busy):
    _, _, gt = busy
    (dwell,) = gt.dwell_intervals()
    assert dwell.duration_s == pytest.approx(6.0)
    zx1, zy1, zx2, zy2 = geo.NO_PARKING_ZONE
    boxes = {rec.frame: o.box for rec in gt.per_frame for o in rec.objects if o.track_id == dwell.track_id}
    still = {boxes[f] for f in range(dwell.start_frame, dwell.end_frame + 1)}
    assert len(still) == 1, "the parked vehicle does not move"
    x1, _, x2, y2 = still.pop()
    assert zx1 * W <= (x1 + x2) / 2 <= zx2 * W and zy1 * H <= y2 <= zy2 * H + 1
    assert boxes[dwell.start_frame - 15] != boxes[dwell.start_frame]
    assert boxes[dwell.end_frame + 15] != boxes[dwell.end_frame]
    # other vehicles passing the zone in their lane are not parked there
    assert not gt.dwell_intervals(min_dwell_s=7)


def test_flood_rises_and_garbage_appears():
    spec = SceneSpec(seed=2, duration_s=10, vehicles_per_min=0, pedestrians_per_min=0,
                     flood=FloodSpec(start_s=1, rise_s=6, max_level=0.5), garbage=GarbageSpec(appear_s=4))
    scene, frames, gt = _render(spec, 320, 180, 5)
    levels = [s.level for s in gt.events.flood]
    assert levels[0] == 0 and levels == sorted(levels) and levels[-1] == pytest.approx(0.5)
    assert gt.flood_level_at(4.0) == pytest.approx(flood_level(spec.flood, 4.0))
    bg = scene.background.astype(int)
    def wet(f):
        return (np.abs(frames[f].astype(int) - bg).max(axis=2) > 30).mean()
    assert wet(0) < 0.01 < wet(20) < wet(45)
    gx1, gy1, gx2, gy2 = (int(v * s) for v, s in zip(geo.GARBAGE_REGION, (320, 180, 320, 180)))
    def change(a, b):
        return np.abs(frames[a][gy1:gy2, gx1:gx2].astype(int) - frames[b][gy1:gy2, gx1:gx2]).mean()
    assert change(18, 19) < 6 < change(19, 20)      # the pile appears at t = 4.0 s (frame 20)
    assert not gt.garbage_present_at(3.9) and gt.garbage_present_at(4.0)


def test_night_and_rain_change_the_picture():
    base = SceneSpec(seed=1, duration_s=2, vehicles_per_min=0, pedestrians_per_min=0)
    day = next(render_frames(base, 160, 90, 5))[0].mean()
    night = next(render_frames(base.model_copy(update={"night": True}), 160, 90, 5))[0].mean()
    assert night < day * 0.6
    rain = [f for f, _ in render_frames(base.model_copy(update={"rain": True}), 160, 90, 5)]
    assert np.abs(rain[0].astype(int) - rain[1].astype(int)).mean() > 1.0   # streaks move


def test_bad_specs_and_profiles_name_the_field():
    with pytest.raises(ValidationError, match="class_mix"):
        SceneSpec(class_mix={"car": 1, "becak": 1})
    with pytest.raises(ValidationError, match="duration_s"):
        SceneSpec(duration_s=-1)
    with pytest.raises(ValidationError, match="needs duration_s"):
        SceneSpec(duration_s=10, parking=ParkingSpec(dwell_s=5))
    with pytest.raises(ValidationError, match="nigth"):
        SceneSpec(nigth=True)
    good = PROFILES["rt-360p10"].model_dump()
    with pytest.raises(ValidationError, match="codec"):
        CameraProfile(**{**good, "codec": "mjpeg"})
    with pytest.raises(ValidationError, match="fps"):
        CameraProfile(**{**good, "fps": -10})
    with pytest.raises(ValidationError, match="even"):
        CameraProfile(**{**good, "width": 641})
    assert SceneSpec().class_mix["motorcycle"] == max(SceneSpec().class_mix.values())


def test_drawing_a_frame_costs_less_cpu_than_encoding_it(tmp_path):
    """Footage generation is bound by the encoder, not by drawing: the render's CPU per 480p frame
    against ffmpeg encoding the same frames with ``generate_clip``'s encoder options (CPU of every
    encoder thread), side by side; median of three after one warm-up round."""
    import resource
    import statistics
    import subprocess
    import time
    from fake_cameras.footage import encoder_args, rate_arg
    profile = PROFILES["rt-480p10"]
    spec = SceneSpec(seed=1, duration_s=5, vehicles_per_min=60)
    ratios = []
    for _ in range(4):
        t0 = time.process_time()
        frames = [f.copy() for f, _ in render_frames(spec, profile.width, profile.height, profile.fps)]
        render = time.process_time() - t0
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        enc = subprocess.Popen(["ffmpeg", "-v", "error", "-y", "-f", "rawvideo", "-pix_fmt", "bgr24",
                                "-s", f"{profile.width}x{profile.height}", "-r", rate_arg(profile.fps), "-i", "-",
                                *encoder_args(profile), str(tmp_path / "clip.mp4")], stdin=subprocess.PIPE)
        for f in frames:
            enc.stdin.write(f.tobytes())
        enc.stdin.close()
        assert enc.wait(timeout=120) == 0
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        encode = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
        ratios.append(render / encode)
    ratios = ratios[1:]     # the first round pays one-off costs (imports, caches)
    ratio = statistics.median(ratios)
    print(f"render / encode CPU per 480p frame: {ratio:.2f} (runs {', '.join(f'{r:.2f}' for r in ratios)})")
    assert ratio < 1.0, f"drawing costs {ratio:.2f}x the encoding of the same frames"
