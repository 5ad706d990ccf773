"""Atomic writes: a reader sees the old file or the whole new one; the mode holds from creation; no
temporary file is left behind, whatever happens."""
from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from common import atomic
from common.atomic import replace_atomic, write_bytes_atomic, write_text_atomic
from common.resultmeta import write_json_atomic


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_writes_the_whole_file_creating_folders_and_leaves_no_temporary(tmp_path):
    target = tmp_path / "a" / "b" / "out.bin"
    assert write_bytes_atomic(target, b"\x00payload\xff") == target
    assert target.read_bytes() == b"\x00payload\xff"
    assert os.listdir(target.parent) == ["out.bin"]


def test_text_keeps_its_line_endings(tmp_path):
    write_text_atomic(tmp_path / "x.csv", "a,b\r\n1,2\r\n")
    assert (tmp_path / "x.csv").read_bytes() == b"a,b\r\n1,2\r\n"


def test_an_exception_mid_write_leaves_the_old_file_whole_and_no_temporary(tmp_path, monkeypatch):
    target = tmp_path / "state.json"
    target.write_text("old")

    def refuse(src, dst):
        assert Path(src).read_bytes() == b"new contents"    # the new file was complete, only the rename failed
        raise KeyboardInterrupt
    monkeypatch.setattr(atomic.os, "replace", refuse)
    with pytest.raises(KeyboardInterrupt):
        write_text_atomic(target, "new contents")
    assert target.read_text() == "old"
    assert os.listdir(tmp_path) == ["state.json"]


def test_a_failing_write_leaves_nothing(tmp_path):
    with pytest.raises(TypeError):
        write_bytes_atomic(tmp_path / "x", "text, not bytes")  # type: ignore[arg-type]
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize("mode", [0o600, 0o644, 0o755])
def test_the_mode_holds_from_the_first_byte(tmp_path, monkeypatch, mode):
    seen = []
    real_replace = os.replace

    def spy(src, dst):
        seen.append(_mode(Path(src)))      # the temporary file, already holding all the data
        real_replace(src, dst)
    monkeypatch.setattr(atomic.os, "replace", spy)
    old_umask = os.umask(0o022)
    try:
        write_bytes_atomic(tmp_path / "f", b"secret", mode=mode)
    finally:
        os.umask(old_umask)
    assert seen == [mode] and _mode(tmp_path / "f") == mode


def test_the_mode_is_set_before_any_data_is_written(tmp_path, monkeypatch):
    modes_at_write = []
    real_fdopen = os.fdopen

    class Recorder:
        def __init__(self, f):
            self.f = f

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return self.f.__exit__(*exc)

        def fileno(self):
            return self.f.fileno()

        def write(self, data):
            modes_at_write.append(stat.S_IMODE(os.fstat(self.f.fileno()).st_mode))
            return self.f.write(data)
    monkeypatch.setattr(atomic.os, "fdopen", lambda fd, m: Recorder(real_fdopen(fd, m)))
    write_bytes_atomic(tmp_path / "secret", b"k" * 32, mode=0o600)
    assert modes_at_write == [0o600]


def test_replace_atomic_sets_the_mode_and_removes_the_tool_output_if_the_rename_fails(tmp_path):
    tmp = tmp_path / ".clip.mp4.tmp"
    tmp.write_bytes(b"video")
    os.chmod(tmp, 0o600)
    replace_atomic(tmp, tmp_path / "clip.mp4", mode=0o644)
    assert _mode(tmp_path / "clip.mp4") == 0o644 and not tmp.exists()

    tmp.write_bytes(b"video")
    with pytest.raises(OSError):
        replace_atomic(tmp, tmp_path / "missing-folder" / "clip.mp4")
    assert not tmp.exists()


def test_write_json_atomic_is_built_on_it_and_keeps_its_formats(tmp_path):
    write_json_atomic(tmp_path / "p.json", {"a": [1, 2]})
    write_json_atomic(tmp_path / "c.json", {"a": [1, 2]}, compact=True, mode=0o600)
    assert (tmp_path / "p.json").read_text() == json.dumps({"a": [1, 2]}, indent=2) + "\n"
    assert (tmp_path / "c.json").read_text() == '{"a":[1,2]}\n'
    assert _mode(tmp_path / "c.json") == 0o600 and _mode(tmp_path / "p.json") == 0o644
    with pytest.raises(TypeError):
        write_json_atomic(tmp_path / "bad.json", {1j: 1})     # a key JSON cannot hold: nothing written
    assert sorted(os.listdir(tmp_path)) == ["c.json", "p.json"]
