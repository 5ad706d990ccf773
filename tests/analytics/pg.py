"""A real, throw-away PostgreSQL server for tests: Debian's binaries, a temp data dir, a free port.

``initdb`` and ``postgres`` refuse to run as root, so under root they run as the ``postgres`` OS user.
The server is stopped by its PID (fast shutdown, then kill) and its data dir removed.
"""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from common.netguard import free_port

PG_BIN = Path(os.environ.get("TILIKBENCH_PG_BIN", "/usr/lib/postgresql/15/bin"))


def missing_reason() -> str | None:
    """Why a local PostgreSQL cannot be started here, or None if it can."""
    for exe in ("initdb", "postgres"):
        if not (PG_BIN / exe).is_file():
            return f"PostgreSQL binary {PG_BIN / exe} not found (apt-get install postgresql-15)"
    if os.geteuid() == 0:
        try:
            import pwd
            pwd.getpwnam("postgres")
        except KeyError:
            return "running as root and there is no 'postgres' OS user to run the server as"
    return None


def _as_postgres() -> dict:
    if os.geteuid() != 0:
        return {}
    import pwd
    pw = pwd.getpwnam("postgres")
    return {"user": pw.pw_uid, "group": pw.pw_gid, "extra_groups": []}


@contextmanager
def local_postgres(timeout: float = 30.0) -> Iterator[str]:
    """Start PostgreSQL on 127.0.0.1:<free port>; yields a DSN; stops the server by PID at the end."""
    reason = missing_reason()
    if reason:
        raise RuntimeError(reason)
    root = Path(tempfile.mkdtemp(prefix="tilik-pg-"))
    data = root / "data"
    sock = root / "sock"
    sock.mkdir()
    cred = _as_postgres()
    if cred:
        os.chown(root, cred["user"], cred["group"])
        os.chown(sock, cred["user"], cred["group"])
    proc: subprocess.Popen | None = None
    try:
        subprocess.run([str(PG_BIN / "initdb"), "-D", str(data), "-U", "postgres", "-A", "trust",
                        "-E", "UTF8", "--no-sync"], check=True, stdout=subprocess.DEVNULL,
                       stderr=subprocess.PIPE, timeout=120, **cred)
        port = free_port()
        proc = subprocess.Popen(
            [str(PG_BIN / "postgres"), "-D", str(data), "-p", str(port), "-h", "127.0.0.1",
             "-k", str(sock), "-c", "fsync=off", "-c", "full_page_writes=off",
             "-c", "synchronous_commit=off"],
            stdout=subprocess.DEVNULL, stderr=open(root / "server.log", "wb"),
            start_new_session=True, **cred)
        dsn = f"postgresql://postgres@127.0.0.1:{port}/postgres"
        import psycopg
        deadline = time.monotonic() + timeout
        while True:
            if proc.poll() is not None:
                raise RuntimeError("PostgreSQL exited at start: "
                                   + (root / "server.log").read_text(errors="replace")[-2000:])
            try:
                psycopg.connect(dsn, connect_timeout=2).close()
                break
            except psycopg.OperationalError:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"PostgreSQL did not accept connections on port {port} "
                                       f"within {timeout:.0f} s")
                time.sleep(0.2)
        yield dsn
    finally:
        if proc is not None and proc.poll() is None:
            proc.send_signal(signal.SIGINT)      # fast shutdown
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=5)
        shutil.rmtree(root, ignore_errors=True)
