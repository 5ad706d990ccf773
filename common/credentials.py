"""RTSP credentials of cameras that need them (NVR sites): kept in an owner-only file, never in a URL
that is written down. The manifest names the file; a reader puts user and password into the URL it opens.
"""
from __future__ import annotations

import json
import os
import re
from pathlib import Path
from urllib.parse import quote

from common.errors import InputError


def write_credentials(path: Path, username: str, password: str) -> Path:
    """The NVRs' credentials, readable by the owner only (created 0600, never widened)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.unlink(missing_ok=True)
    with os.fdopen(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w") as f:
        json.dump({"username": username, "password": password}, f)
    os.replace(tmp, path)
    return path


def read_credentials(path: str | Path) -> tuple[str, str]:
    try:
        d = json.loads(Path(path).read_text())
        return str(d["username"]), str(d["password"])
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise InputError(f"cannot read NVR credentials ({e})", where=str(path)) from None


def with_credentials(url: str, username: str, password: str) -> str:
    """``rtsp://user:pass@host...`` (percent-encoded) from an ``rtsp://host...`` URL."""
    scheme, rest = url.split("://", 1)
    return f"{scheme}://{quote(username, safe='')}:{quote(password, safe='')}@{rest}"


_USERINFO = re.compile(r"(\w+://[^/\s:@'\"]+):[^@\s'\"]*@")


def redact(text: str) -> str:
    """``text`` with the password of every ``scheme://user:password@`` in it replaced by ``***``
    (error messages of FFmpeg name the URL they opened)."""
    return _USERINFO.sub(r"\1:***@", text)
