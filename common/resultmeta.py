"""Results are data: every JSON tilikbench writes carries machine and commit info.

``stamp()`` returns the header; ``write_json_atomic`` writes through a temporary file so that an
interrupted write never leaves a half-written result.
"""
from __future__ import annotations

import datetime as _dt
import json
import platform
import subprocess
from pathlib import Path
from typing import Any

import psutil

from common.atomic import write_text_atomic

REPO_ROOT = Path(__file__).resolve().parent.parent


def machine_info() -> dict[str, Any]:
    freq = psutil.cpu_freq()
    return {
        "node": platform.node(),
        "machine": platform.machine(),
        "system": platform.system(),
        "release": platform.release(),
        "python": platform.python_version(),
        "cpu_count_logical": psutil.cpu_count(logical=True),
        "cpu_count_physical": psutil.cpu_count(logical=False),
        "cpu_model": _cpu_model(),
        "cpu_mhz_max": round(freq.max, 1) if freq else None,
        "memory_bytes": psutil.virtual_memory().total,
    }


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


def commit_info(repo: Path = REPO_ROOT) -> dict[str, Any]:
    def git(*args: str) -> str:
        return subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True,
                              timeout=10).stdout.strip()
    try:
        sha = git("rev-parse", "HEAD")
        dirty = bool(git("status", "--porcelain", "--untracked-files=no"))
        branch = git("rev-parse", "--abbrev-ref", "HEAD")
        when = git("log", "-1", "--format=%cI")
    except (OSError, subprocess.SubprocessError):
        sha, dirty, branch, when = "", True, "", ""
    return {"id": sha or None, "dirty": dirty, "branch": branch or None, "time": when or None}


def stamp(kind: str, schema_version: int) -> dict[str, Any]:
    return {
        "kind": kind,
        "schema_version": schema_version,
        "datetime": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "machine_info": machine_info(),
        "commit_info": commit_info(),
    }


def write_json_atomic(path: Path, data: Any, *, compact: bool = False, mode: int = 0o644) -> Path:
    """Write JSON through a temporary file in the same folder: never half-written. ``compact`` for
    large machine-read files (no indentation); ``mode`` 0o600 for files that hold secrets (the
    temporary file has that mode from its creation on, so the secret is never readable by others)."""
    if compact:
        text = json.dumps(data, separators=(",", ":"), default=str)
    else:
        text = json.dumps(data, indent=2, default=str)
    return write_text_atomic(path, text + "\n", mode=mode)
