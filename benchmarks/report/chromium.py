"""Debian's headless Chromium, with its network features off, started and stopped by PID.

Used to print the report to PDF and, in tests, to dump the rendered DOM. Each call gets a fresh
temporary profile directory, removed afterwards.
"""
from __future__ import annotations

import logging
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from common.atomic import replace_atomic
from common.errors import ResourceError, UnavailableError
from common.procs import ProcessSet

log = logging.getLogger(__name__)

CHROMIUM = os.environ.get("TILIKBENCH_CHROMIUM", "/usr/bin/chromium")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-default-apps", "--disable-extensions", "--mute-audio", "--no-pings",
         "--disable-dev-shm-usage"]


def chromium_path() -> str:
    path = CHROMIUM if Path(CHROMIUM).exists() else shutil.which("chromium")
    if not path:
        raise UnavailableError("headless Chromium is needed for this (Debian package `chromium`; "
                               "`make setup` installs it)", where=CHROMIUM)
    return path


def _run(extra: list[str], url: str, timeout: float) -> subprocess.CompletedProcess:
    with tempfile.TemporaryDirectory(prefix="tilikbench-chromium-") as profile, ProcessSet() as procs:
        args = [chromium_path(), *FLAGS, f"--user-data-dir={profile}", *extra, url]
        owned = procs.start("chromium", args, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            out, err = owned.popen.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            raise ResourceError(f"headless Chromium did not finish within {timeout:.0f} s", where=url) from None
        return subprocess.CompletedProcess(args, owned.popen.returncode, out, err)


def print_pdf(html_path: Path, pdf_path: Path, timeout: float = 90.0) -> Path:
    tmp = pdf_path.with_suffix(".tmp.pdf")
    res = _run(["--no-pdf-header-footer", f"--print-to-pdf={tmp}", "--virtual-time-budget=3000"],
               html_path.resolve().as_uri(), timeout)
    if res.returncode != 0 or not tmp.exists() or tmp.stat().st_size == 0:
        tmp.unlink(missing_ok=True)
        raise ResourceError(f"Chromium could not print the PDF (exit {res.returncode}): "
                            f"{res.stderr.decode(errors='replace')[-300:]}", where=str(html_path))
    return replace_atomic(tmp, pdf_path)


def dump_dom(html_path: Path, timeout: float = 90.0) -> str:
    res = _run(["--dump-dom", "--virtual-time-budget=3000"], html_path.resolve().as_uri(), timeout)
    if res.returncode != 0:
        raise ResourceError(f"Chromium could not render the page (exit {res.returncode})", where=str(html_path))
    return res.stdout.decode("utf-8", errors="replace")
