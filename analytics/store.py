"""Durable event store: SQLite (WAL) by default, PostgreSQL by DSN, same SQL semantics.

Every event carries an idempotency key (its primary key). ``put_many`` inserts with
``ON CONFLICT DO NOTHING`` and returns how many events were new, so a worker that re-processes
frames after a restart neither loses nor duplicates events.

DSNs: ``sqlite:///relative/or/absolute.db`` (``sqlite:////abs/path.db`` also works),
``sqlite://:memory:``, ``postgresql://user@host:port/db`` (psycopg 3).
"""
from __future__ import annotations

import json
import logging
import sqlite3
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Sequence

from common.errors import InputError, UnavailableError

log = logging.getLogger(__name__)

SCHEMA_VERSION = 1

_DDL = [
    """CREATE TABLE IF NOT EXISTS events (
        key TEXT PRIMARY KEY,
        camera_id TEXT NOT NULL,
        type TEXT NOT NULL,
        t_frame DOUBLE PRECISION NOT NULL,
        t_stored DOUBLE PRECISION NOT NULL,
        payload TEXT NOT NULL
    )""",
    "CREATE INDEX IF NOT EXISTS events_camera_time ON events (camera_id, t_frame)",
    "CREATE INDEX IF NOT EXISTS events_type_time ON events (type, t_frame)",
    "CREATE INDEX IF NOT EXISTS events_time ON events (t_frame)",
    "CREATE TABLE IF NOT EXISTS store_meta (name TEXT PRIMARY KEY, value TEXT NOT NULL)",
]


@dataclass(frozen=True)
class Event:
    """One analytic event. ``t_frame``: capture time of the frame it came from (epoch seconds);
    ``t_stored``: when the store accepted it (set by the store when None)."""

    key: str
    camera_id: str
    type: str
    t_frame: float
    payload: dict = field(default_factory=dict)
    t_stored: float | None = None


def _where(camera_id: str | None, types: Sequence[str] | None, since: float | None,
           until: float | None, ph: str) -> tuple[str, list[Any]]:
    clauses: list[str] = []
    args: list[Any] = []
    if camera_id is not None:
        clauses.append(f"camera_id = {ph}")
        args.append(camera_id)
    if types:
        types = list(types)
        clauses.append("type IN (" + ", ".join([ph] * len(types)) + ")")
        args.extend(types)
    if since is not None:
        clauses.append(f"t_frame >= {ph}")
        args.append(float(since))
    if until is not None:
        clauses.append(f"t_frame < {ph}")
        args.append(float(until))
    return (" WHERE " + " AND ".join(clauses)) if clauses else "", args


class EventStore:
    """Common SQL over a DB-API connection; subclasses open the connection (``self._c``) and set the
    placeholder."""

    placeholder = "?"
    dsn: str = ""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._c = None

    def _conn(self):
        return self._c

    def _insert_sql(self) -> str:
        ph = self.placeholder
        return (f"INSERT INTO events (key, camera_id, type, t_frame, t_stored, payload) "
                f"VALUES ({ph}, {ph}, {ph}, {ph}, {ph}, {ph}) ON CONFLICT (key) DO NOTHING")

    def _init_schema(self) -> None:
        with self._lock:
            conn = self._conn()
            cur = conn.cursor()
            for stmt in _DDL:
                cur.execute(stmt)
            ph = self.placeholder
            cur.execute(f"INSERT INTO store_meta (name, value) VALUES ({ph}, {ph}) "
                        f"ON CONFLICT (name) DO NOTHING", ("schema_version", str(SCHEMA_VERSION)))
            conn.commit()

    # -- public API -----------------------------------------------------------------------
    def put_many(self, events: Iterable[Event]) -> int:
        """Insert events; those whose key is already stored are skipped. Returns how many were new."""
        now = time.time()
        rows = [(e.key, e.camera_id, e.type, float(e.t_frame),
                 float(e.t_stored if e.t_stored is not None else now),
                 json.dumps(e.payload, sort_keys=True, separators=(",", ":")))
                for e in events]
        if not rows:
            return 0
        sql = self._insert_sql()
        with self._lock:
            conn = self._conn()
            cur = conn.cursor()
            new = 0
            try:
                for row in rows:
                    cur.execute(sql, row)
                    new += max(cur.rowcount, 0)
                conn.commit()
            except Exception:
                conn.rollback()
                raise
        return new

    def put(self, event: Event) -> bool:
        return self.put_many([event]) == 1

    def query(self, camera_id: str | None = None, types: Sequence[str] | None = None,
              since: float | None = None, until: float | None = None,
              limit: int = 100, offset: int = 0) -> list[Event]:
        """Events matching the filters, newest first (by frame time, then key)."""
        where, args = _where(camera_id, types, since, until, self.placeholder)
        ph = self.placeholder
        sql = (f"SELECT key, camera_id, type, t_frame, t_stored, payload FROM events{where} "
               f"ORDER BY t_frame DESC, key DESC LIMIT {ph} OFFSET {ph}")
        args += [int(limit), int(offset)]
        with self._lock:
            conn = self._conn()
            cur = conn.cursor()
            cur.execute(sql, args)
            rows = cur.fetchall()
            conn.commit()
        return [Event(key=r[0], camera_id=r[1], type=r[2], t_frame=float(r[3]),
                      t_stored=float(r[4]), payload=json.loads(r[5])) for r in rows]

    def count(self, camera_id: str | None = None, types: Sequence[str] | None = None,
              since: float | None = None, until: float | None = None) -> int:
        where, args = _where(camera_id, types, since, until, self.placeholder)
        with self._lock:
            conn = self._conn()
            cur = conn.cursor()
            cur.execute(f"SELECT COUNT(*) FROM events{where}", args)
            n = cur.fetchone()[0]
            conn.commit()
        return int(n)

    def counts_by_camera(self, since: float | None = None,
                         until: float | None = None) -> dict[str, dict[str, int]]:
        """camera -> event type -> number of events."""
        where, args = _where(None, None, since, until, self.placeholder)
        with self._lock:
            conn = self._conn()
            cur = conn.cursor()
            cur.execute(f"SELECT camera_id, type, COUNT(*) FROM events{where} "
                        f"GROUP BY camera_id, type", args)
            rows = cur.fetchall()
            conn.commit()
        out: dict[str, dict[str, int]] = {}
        for cam, typ, n in rows:
            out.setdefault(cam, {})[typ] = int(n)
        return out

    def keys(self, camera_id: str | None = None) -> list[str]:
        """Every stored key (for idempotency checks)."""
        where, args = _where(camera_id, None, None, None, self.placeholder)
        with self._lock:
            conn = self._conn()
            cur = conn.cursor()
            cur.execute(f"SELECT key FROM events{where}", args)
            rows = cur.fetchall()
            conn.commit()
        return [r[0] for r in rows]

    def close(self) -> None:
        with self._lock:
            self._c.close()

    def __enter__(self) -> "EventStore":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class SQLiteEventStore(EventStore):
    placeholder = "?"

    def __init__(self, path: str, dsn: str = "") -> None:
        super().__init__()
        self.dsn = dsn or f"sqlite:///{path}"
        if path != ":memory:":
            parent = Path(path).parent
            if not parent.is_dir():
                raise InputError(f"directory {parent} does not exist", where=self.dsn)
        try:
            self._c = sqlite3.connect(path, timeout=30.0, check_same_thread=False)
        except sqlite3.Error as exc:
            raise InputError(f"cannot open SQLite database: {exc}", where=self.dsn) from exc
        if path != ":memory:":
            self._c.execute("PRAGMA journal_mode=WAL")
        self._c.execute("PRAGMA synchronous=NORMAL")
        self._c.execute("PRAGMA busy_timeout=30000")
        self._init_schema()


class PostgresEventStore(EventStore):
    placeholder = "%s"

    def __init__(self, dsn: str) -> None:
        super().__init__()
        self.dsn = dsn
        try:
            import psycopg
        except ImportError as exc:  # pragma: no cover - psycopg is a pinned dependency
            raise UnavailableError("psycopg 3 is not installed", where=dsn) from exc
        try:
            self._c = psycopg.connect(dsn, connect_timeout=10)
        except psycopg.Error as exc:
            raise UnavailableError(f"cannot connect to PostgreSQL: {exc}".strip(), where=dsn) from exc
        self._init_schema()


def open_store(dsn: str) -> EventStore:
    """Open (and create if needed) the event store named by ``dsn``."""
    if dsn.startswith("sqlite://"):
        rest = dsn[len("sqlite://"):]
        if rest in (":memory:", "/:memory:"):
            return SQLiteEventStore(":memory:", dsn)
        path = rest[1:] if rest.startswith("/") else rest
        if not path:
            raise InputError("no database path in the SQLite DSN", where=dsn)
        return SQLiteEventStore(path, dsn)
    if dsn.startswith(("postgresql://", "postgres://")):
        return PostgresEventStore(dsn)
    raise InputError("unknown event-store DSN (expected sqlite:///PATH or postgresql://...)", where=dsn)
