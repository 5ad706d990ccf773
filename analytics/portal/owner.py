"""Who runs the portal of a state dir, and cleaning up after one that was killed.

``PortalServer.start`` writes ``state_dir/portal.json``: the owner's PID and start time (the process
that started the portal, e.g. ``tilikbench portal up``), the URL and, when ``portal up`` started
the cameras too, the fleet's state dir. uvicorn and its packagers run in their own session, so a
``kill -9`` of the owner leaves them serving; the next start (or ``tilikbench portal down``) reads
the records and stops exactly those processes, each by PID and only while its start time still
matches (a reused PID is left alone).
"""
from __future__ import annotations

import json
import logging
import os
from pathlib import Path

import psutil

from analytics.portal.hls import HlsPackagers, HlsSettings
from common.errors import ResourceError
from common.procs import stop_pid, stop_recorded
from common.resultmeta import write_json_atomic

log = logging.getLogger(__name__)
OWNER_FILE = "portal.json"
PIDS_FILE = "portal.pids"


def read_owner(state_dir: Path) -> dict | None:
    try:
        data = json.loads((Path(state_dir) / OWNER_FILE).read_text())
        return data if isinstance(data, dict) else None
    except (OSError, ValueError):
        return None


def owner_alive(info: dict) -> bool:
    try:
        p = psutil.Process(int(info["owner_pid"]))
        return abs(p.create_time() - float(info["owner_create_time"])) < 0.01 and p.status() != psutil.STATUS_ZOMBIE
    except (psutil.Error, KeyError, TypeError, ValueError):
        return False


def write_owner(state_dir: Path, url: str, fleet_state_dir: Path | None = None) -> None:
    me = psutil.Process()
    write_json_atomic(Path(state_dir) / OWNER_FILE, {
        "owner_pid": me.pid, "owner_create_time": me.create_time(), "url": url,
        "fleet_state_dir": str(Path(fleet_state_dir).resolve()) if fleet_state_dir else None})


def clear_owner(state_dir: Path) -> None:
    (Path(state_dir) / OWNER_FILE).unlink(missing_ok=True)


def stop_leftovers(state_dir: Path, timeout: float = 5.0) -> int:
    """Stop what a portal of ``state_dir`` left running (uvicorn and its workers, HLS packagers)."""
    state_dir = Path(state_dir)
    n = stop_recorded(state_dir / PIDS_FILE, timeout)
    hls = HlsPackagers(state_dir / "hls", HlsSettings())
    n += hls.packager_count()
    hls.stop_all()
    return n


def check_no_live_portal(state_dir: Path) -> None:
    """Refuse a second portal on one state dir; clean up after one whose owner died."""
    info = read_owner(state_dir)
    if info is not None and owner_alive(info) and int(info["owner_pid"]) != os.getpid():
        raise ResourceError(f"a portal is already up on this state dir (pid {info['owner_pid']}, {info.get('url')}); "
                            "run `tilikbench portal down` first", where=str(Path(state_dir) / OWNER_FILE))
    n = stop_leftovers(state_dir)
    if n:
        log.warning("stopped %d process(es) left by a portal whose owner died (%s)", n, state_dir)
    clear_owner(state_dir)


def stop_portal(state_dir: Path, timeout: float = 10.0) -> tuple[int, dict | None]:
    """Stop the portal recorded in ``state_dir`` (its owner, then whatever it left). Returns how many
    processes were stopped and the owner record (None if there was none)."""
    state_dir = Path(state_dir)
    info = read_owner(state_dir)
    n = 0
    if info is not None and owner_alive(info) and int(info["owner_pid"]) != os.getpid():
        n += stop_pid(int(info["owner_pid"]), float(info["owner_create_time"]), timeout)
    n += stop_leftovers(state_dir, timeout)
    clear_owner(state_dir)
    return n, info
