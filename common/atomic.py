"""Atomic file writes: a reader sees the old file or the whole new one, never a part.

The data goes to a temporary file in the target's folder (same file system, so the rename is
atomic), which gets its final mode before the first byte is written (a 0o600 secret is never
readable by others, not even half-written), and is renamed over the target. On any exception,
KeyboardInterrupt included, the temporary file is removed and the target is left as it was.

``replace_atomic`` is the last step alone, for files a tool (ffmpeg, a download) writes to a
temporary path itself.
"""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

__all__ = ["replace_atomic", "write_bytes_atomic", "write_text_atomic"]


def replace_atomic(tmp: Path | str, path: Path | str, mode: int | None = None) -> Path:
    """Rename a finished ``tmp`` over ``path`` (with ``mode`` first, when given); ``tmp`` is removed
    if the rename fails."""
    try:
        if mode is not None:
            os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return Path(path)


def write_bytes_atomic(path: Path | str, data: bytes, mode: int = 0o644) -> Path:
    """Write ``data`` to ``path`` atomically, the file having permission bits ``mode``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:   # owns fd from here on, and closes it on any exit
            os.fchmod(f.fileno(), mode)
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def write_text_atomic(path: Path | str, text: str, mode: int = 0o644, encoding: str = "utf-8") -> Path:
    """``write_bytes_atomic`` of ``text`` encoded."""
    return write_bytes_atomic(path, text.encode(encoding), mode)
