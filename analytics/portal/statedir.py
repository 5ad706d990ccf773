"""The portal's state directory: one it created (a marker file says so), or an empty one.

The portal clears its state at every start (HLS output, snapshots, metrics, login attempts), so
pointing ``portal.state_dir`` at a directory that holds anything else must be refused, not
emptied. A directory is accepted when it does not exist yet, is empty, carries the marker, or
holds only names the portal itself writes (a state dir of a version before the marker).
The directory is made private (mode 0700): it holds the token secret and the hashed users.
"""
from __future__ import annotations

import os
from pathlib import Path

from common.errors import InputError

MARKER = ".tilikbench-portal-state"
PORTAL_NAMES = frozenset({"hls", "metrics", "snap", "logins.db", "logins.db-wal", "logins.db-shm", "token.secret",
                          "portal-config.json", "portal.pids", "portal.tmp", "portal.log", "portal.json", MARKER})


def claim_state_dir(path: Path) -> Path:
    """Create or adopt ``path`` as a portal state dir; InputError if it belongs to something else."""
    path = Path(path)
    where = f"portal.state_dir {path}"
    if path.exists() and not path.is_dir():
        raise InputError("exists and is not a directory", where=where)
    if path.is_dir() and not (path / MARKER).is_file():
        foreign = sorted(p.name for p in path.iterdir() if p.name not in PORTAL_NAMES
                         and not p.name.startswith(".portal-config.json."))
        if foreign:
            shown = ", ".join(foreign[:5]) + (" ..." if len(foreign) > 5 else "")
            raise InputError(f"refusing to use a directory tilikbench did not create (it holds {shown}); the portal "
                             "clears its state dir at start: name a new or empty directory", where=where)
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(path, 0o700)
    (path / MARKER).write_text("tilikbench portal state: cleared at every portal start\n")
    return path
