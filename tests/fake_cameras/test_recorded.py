"""Recorded footage: stream copy when it matches, transcode otherwise, clear errors for bad files."""
from __future__ import annotations

import hashlib
import subprocess

import av
import numpy as np
import pytest

from common.errors import InputError
from fake_cameras.footage import generate_clip
from common.profiles import CameraProfile
from fake_cameras.recorded import normalise_recorded, probe
from fake_cameras.scene import SceneSpec

PROFILE = CameraProfile(width=320, height=180, fps=10, bitrate_kbps=400, gop=10, codec="h264")
OTHER = CameraProfile(width=256, height=144, fps=5, bitrate_kbps=200, gop=5, codec="h264")


def packets(path) -> tuple[list[str], list[bool], tuple]:
    """Digest and keyframe flag of every video packet, and (codec, width, height, fps)."""
    with av.open(str(path)) as c:
        s = c.streams.video[0]
        pk = [(hashlib.md5(bytes(p)).hexdigest(), p.is_keyframe) for p in c.demux(s) if p.size]
        info = (s.codec_context.name, s.codec_context.width, s.codec_context.height, float(s.average_rate))
    return [d for d, _ in pk], [k for _, k in pk], info


@pytest.fixture(scope="module")
def source(tmp_path_factory):
    return generate_clip(SceneSpec(seed=5, duration_s=4), PROFILE, tmp_path_factory.mktemp("gen")).path


def listing(cache):
    folder = cache / "footage"
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def test_matching_file_is_stream_copied(source, tmp_path):
    clip = normalise_recorded(source, PROFILE, tmp_path)
    assert clip.frames == 40 and clip.ground_truth is None
    assert packets(clip.path)[0] == packets(source)[0], "a matching file must be copied, not re-encoded"
    again = normalise_recorded(source, PROFILE, tmp_path)
    assert again.path == clip.path and listing(tmp_path) == [clip.path.name]


def test_other_profile_is_transcoded(source, tmp_path):
    clip = normalise_recorded(source, OTHER, tmp_path)
    digests, keys, info = packets(clip.path)
    assert info == ("h264", 256, 144, 5.0)
    assert len(digests) == clip.frames == 20
    assert [i for i, k in enumerate(keys) if k] == [0, 5, 10, 15]


def test_b_frames_and_other_containers_are_transcoded(tmp_path):
    src = tmp_path / "camera.mkv"
    subprocess.run(["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "testsrc=size=320x180:rate=10", "-t", "3",
                    "-c:v", "libx264", "-bf", "2", "-g", "30", str(src)], check=True)
    info = probe(src)
    assert info.has_b_frames and info.keyframe_interval == 30
    clip = normalise_recorded(src, PROFILE, tmp_path / "cache")
    _, keys, meta = packets(clip.path)
    assert meta == ("h264", 320, 180, 10.0) and clip.frames == 30
    assert [i for i, k in enumerate(keys) if k] == [0, 10, 20]
    with av.open(str(clip.path)) as c:
        assert c.streams.video[0].codec_context.has_b_frames == 0


def test_cache_key_follows_content(source, tmp_path):
    copy = tmp_path / "copy.mp4"
    copy.write_bytes(source.read_bytes())
    a = normalise_recorded(source, PROFILE, tmp_path / "c")
    b = normalise_recorded(copy, PROFILE, tmp_path / "c")
    assert a.path == b.path                              # same content, same entry
    c = normalise_recorded(source, OTHER, tmp_path / "c")
    assert c.path != a.path


def _bad_files(source, tmp_path):
    data = source.read_bytes()
    truncated = tmp_path / "truncated.mp4"          # index kept (faststart), media data cut
    truncated.write_bytes(data[: len(data) // 2])
    no_index = tmp_path / "no_index.mp4"            # recording cut before the index was written
    subprocess.run(["ffmpeg", "-v", "error", "-i", str(source), "-c", "copy", "-f", "mp4",
                    str(tmp_path / "plain.mp4")], check=True)
    no_index.write_bytes((tmp_path / "plain.mp4").read_bytes()[:-4000])
    garbage = tmp_path / "random.mp4"
    garbage.write_bytes(np.random.default_rng(1).bytes(20_000))
    empty = tmp_path / "empty.mp4"
    empty.write_bytes(b"")
    return {
        "missing": (tmp_path / "nope.mp4", "not found"),
        "empty": (empty, "empty"),
        "directory": (tmp_path, "not a regular file"),
        "random bytes": (garbage, ("not a readable video", "no video stream")),
        "truncated": (truncated, "truncated"),
        "no index": (no_index, "truncated"),
    }


def test_bad_files_are_clear_errors_and_leave_no_cache_entry(source, tmp_path):
    cache = tmp_path / "cache"
    for what, (path, message) in _bad_files(source, tmp_path).items():
        with pytest.raises(InputError) as err:
            normalise_recorded(path, PROFILE, cache)
        assert err.value.where == str(path), what
        messages = (message,) if isinstance(message, str) else message
        assert any(m in err.value.message for m in messages), f"{what}: {err.value}"
        assert listing(cache) == [], f"{what}: partial cache entry left"


def test_unreadable_file(source, tmp_path):
    import os
    if os.geteuid() == 0:
        pytest.skip("root reads files regardless of permissions")
    locked = tmp_path / "locked.mp4"
    locked.write_bytes(source.read_bytes())
    locked.chmod(0)
    with pytest.raises(InputError, match="not readable"):
        normalise_recorded(locked, PROFILE, tmp_path / "cache")


def test_cli_normalise_bad_file_exits_2(tmp_path, capsys):
    from benchmarks.cli import main
    bad = tmp_path / "broken.mp4"
    bad.write_bytes(b"\x00\x00\x00\x18ftypmp42" + b"\x01" * 500)
    rc = main(["footage", "normalise", str(bad), "--profile", "rt-360p10", "--cache-dir", str(tmp_path / "cache")])
    err = capsys.readouterr().err
    assert rc == 2 and err.startswith(f"error: {bad}: ")
    assert listing(tmp_path / "cache") == []
