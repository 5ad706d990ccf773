"""Recorded footage is read as a local media file and nothing else: a text playlist or file list saved
under a video name is refused before ffmpeg could follow it to other files."""
from __future__ import annotations

import subprocess

import pytest

from common.errors import InputError
from common.profiles import CameraProfile
from fake_cameras.recorded import local_input, normalise_recorded, probe

PROFILE = CameraProfile(width=160, height=120, fps=10, bitrate_kbps=200, gop=10, codec="h264")


def clip(path):
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-f", "lavfi", "-i", "testsrc=size=160x120:rate=10",
                    "-t", "1", "-c:v", "libx264", "-g", "10", "-bf", "0", "-pix_fmt", "yuv420p", "--", f"file:{path}"],
                   check=True)
    return path


@pytest.mark.parametrize("name, text", [
    ("playlist.mp4", "#EXTM3U\n#EXT-X-TARGETDURATION:10\n#EXTINF:1,\nfile://{other}\n#EXT-X-ENDLIST\n"),
    ("spaced.mp4", "\n  #EXTM3U\n#EXT-X-TARGETDURATION:10\n#EXTINF:1,\n{other}\n#EXT-X-ENDLIST\n"),
    ("list.mkv", "ffconcat version 1.0\nfile {other}\n"),
    ("notes.ts", "just some text that is not a video at all\n" * 20),
])
def test_text_files_named_as_video_are_refused(tmp_path, name, text):
    """Each list points at a real video elsewhere (which ffmpeg would read and normalise)."""
    (tmp_path / "elsewhere").mkdir()
    other = clip(tmp_path / "elsewhere" / "private.ts")
    src = tmp_path / name
    src.write_text(text.format(other=other))
    with pytest.raises(InputError) as err:
        normalise_recorded(src, PROFILE, tmp_path / "cache")
    assert err.value.where == str(src)
    assert not (tmp_path / "cache" / "footage").exists() or not any((tmp_path / "cache" / "footage").iterdir())


def test_names_are_never_options_or_protocols(tmp_path):
    src = clip(tmp_path / "-i concat:x.mp4")
    assert local_input(src) == ["-protocol_whitelist", "file", "-i", f"file:{src.resolve()}"]
    assert probe(src).packets == 10
