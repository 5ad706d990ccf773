"""Generated clips: encoded at the profile, frame-exact, and matching their ground truth after decoding."""
from __future__ import annotations

import json

import av
import numpy as np
import psutil
import pytest

from fake_cameras.footage import clip_paths, generate_clip
from fake_cameras.groundtruth import load_ground_truth
from common.profiles import CameraProfile
from fake_cameras.scene import CLASSES, ParkingSpec, SceneSpec

PROFILE = CameraProfile(width=384, height=216, fps=10, bitrate_kbps=600, gop=10, codec="h264")
SPEC = SceneSpec(seed=21, duration_s=16, vehicles_per_min=100, pedestrians_per_min=30,
                 class_mix={"car": 0.25, "motorcycle": 0.25, "bus": 0.25, "truck": 0.25},
                 parking=ParkingSpec(dwell_s=3))


def decode(path) -> tuple[list[np.ndarray], list[bool], av.video.stream.VideoStream]:
    frames, keys = [], []
    with av.open(str(path)) as c:
        s = c.streams.video[0]
        for pkt in c.demux(s):
            if pkt.size:
                keys.append(pkt.is_keyframe)
            for f in pkt.decode():
                frames.append(f.to_ndarray(format="bgr24"))
        info = (s.codec_context.name, s.codec_context.profile, s.codec_context.width, s.codec_context.height,
                float(s.average_rate), s.codec_context.has_b_frames)
    return frames, keys, info


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    cache = tmp_path_factory.mktemp("footage-cache")
    c = generate_clip(SPEC, PROFILE, cache)
    return c, decode(c.path), load_ground_truth(c.ground_truth)


def test_clip_is_encoded_at_the_profile_with_exact_frames(clip):
    c, (frames, keys, info), gt = clip
    name, profile, w, h, fps, b_frames = info
    assert (name, w, h, fps) == ("h264", 384, 216, 10.0)
    assert profile in ("Main", "Constrained Baseline", "Baseline") and b_frames == 0
    assert c.frames == len(frames) == gt.frames == 160 == len(gt.per_frame)
    assert keys[0] and [i for i, k in enumerate(keys) if k] == list(range(0, 160, PROFILE.gop))
    assert (gt.width, gt.height, gt.fps, gt.classes) == (384, 216, 10.0, list(CLASSES))
    with open(c.path, "rb") as f:          # faststart: the index comes before the media data
        head = f.read(4096)
    assert head.find(b"moov") != -1 and (head.find(b"mdat") == -1 or head.find(b"moov") < head.find(b"mdat"))


def test_decoded_frames_show_objects_inside_their_boxes(clip):
    c, (frames, _, _), gt = clip
    empty = frames[0].astype(np.int16)          # the first frame is the empty street
    inside_by_class: dict[str, list[float]] = {}
    outside, tight = [], []
    for rec in gt.per_frame[5:-5:2]:
        diff = np.abs(frames[rec.frame].astype(np.int16) - empty).max(axis=2)
        mask = np.zeros(diff.shape, bool)
        for o in rec.objects:
            x1, y1, x2, y2 = o.box
            mask[max(0, y1 - 4):y2 + 4, max(0, x1 - 4):x2 + 4] = True
            if o.visible >= 0.95:
                drawn = diff[y1:y2, x1:x2] > 30
                inside_by_class.setdefault(o.cls, []).append(drawn.mean())
                mx, my = max(2, (x2 - x1) // 8), max(2, (y2 - y1) // 8)
                cols, rows = drawn.any(axis=0), drawn.any(axis=1)
                tight.append(bool(cols[:mx].any() and cols[-mx:].any() and rows[:my].any() and rows[-my:].any()))
        outside.append((diff[~mask] > 30).mean())
    assert set(inside_by_class) == set(CLASSES)
    for cls, values in inside_by_class.items():
        assert np.median(values) > 0.25, f"{cls}: boxes do not cover what was drawn"
    assert np.median(outside) < 0.003 and max(outside) < 0.02
    assert np.mean(tight) > 0.95, "boxes are not tight around the decoded drawings"


def test_first_and_last_frames_are_empty_for_looping(clip):
    _, (frames, _, _), gt = clip
    assert gt.per_frame[0].objects == [] and gt.per_frame[-1].objects == []
    assert np.abs(frames[0].astype(int) - frames[-1].astype(int)).mean() < 4


def test_ground_truth_file_has_geometry_and_events(clip):
    c, _, gt = clip
    raw = json.loads(c.ground_truth.read_text())
    assert raw["schema_version"] == 1
    assert set(raw["geometry"]) >= {"counting_line", "no_parking_zone", "flood_region", "garbage_region"}
    assert all(0 <= v <= 1 for p in raw["geometry"]["counting_line"] for v in p)
    assert sum(gt.crossings_by_class().values()) == len(gt.tracks) > 5
    (dwell,) = gt.dwell_intervals()
    assert dwell.end_t - dwell.start_t == pytest.approx(3.0)


def test_cache_hit_returns_the_same_files(clip):
    c, _, _ = clip
    before = (c.path.stat().st_mtime_ns, c.ground_truth.stat().st_mtime_ns)
    again = generate_clip(SPEC, PROFILE, c.path.parent.parent)
    assert again == c
    assert (again.path.stat().st_mtime_ns, again.ground_truth.stat().st_mtime_ns) == before
    other = clip_paths(SPEC.model_copy(update={"seed": 22}), PROFILE, c.path.parent.parent)
    assert other[0] != c.path


def test_same_seed_same_ground_truth_in_another_cache(clip, tmp_path):
    c, _, _ = clip
    short = SPEC.model_copy(update={"duration_s": 4, "parking": None})
    a = generate_clip(short, PROFILE, tmp_path / "a")
    b = generate_clip(short, PROFILE, tmp_path / "b")
    assert a.ground_truth.read_bytes() == b.ground_truth.read_bytes()


def test_h265_profile(tmp_path):
    prof = PROFILE.model_copy(update={"codec": "h265", "gop": 5})
    c = generate_clip(SceneSpec(seed=1, duration_s=2), prof, tmp_path)
    frames, keys, info = decode(c.path)
    assert info[0] == "hevc" and len(frames) == c.frames == 20
    assert [i for i, k in enumerate(keys) if k] == [0, 5, 10, 15]


def test_interrupted_generation_leaves_nothing(tmp_path):
    def stop_at_frame_5(done, total):
        if done == 5:
            raise KeyboardInterrupt
    before = {p.pid for p in psutil.Process().children(recursive=True)}
    with pytest.raises(KeyboardInterrupt):
        generate_clip(SceneSpec(seed=9, duration_s=5), PROFILE, tmp_path, progress=stop_at_frame_5)
    assert [p for p in (tmp_path / "footage").iterdir()] == []
    left = [p for p in psutil.Process().children(recursive=True) if p.pid not in before]
    assert left == [], f"ffmpeg left running: {left}"


def test_cli_generate_prints_paths(tmp_path, capsys):
    from benchmarks.cli import main
    rc = main(["footage", "generate", "--profile", "test-240p10", "--duration", "3", "--seed", "4",
               "--class-mix", "car=1,motorcycle=3", "--cache-dir", str(tmp_path)])
    out = capsys.readouterr().out
    assert rc == 0
    lines = dict(line.split(": ", 1) for line in out.splitlines() if ": " in line)
    gt = load_ground_truth(lines["ground truth"])
    assert lines["clip"].endswith(".mp4") and gt.frames == 30 and (gt.width, gt.height) == (320, 240)
    assert gt.spec["class_mix"]["motorcycle"] == pytest.approx(0.75)
    rc = main(["footage", "generate", "--profile", "test-240p10", "--class-mix", "car=1,becak=2",
               "--cache-dir", str(tmp_path)])
    assert rc == 2 and "becak" in capsys.readouterr().err
