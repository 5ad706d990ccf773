"""The event store contract, against SQLite (WAL) and a real local PostgreSQL."""
from __future__ import annotations

import threading

import pytest

from analytics.store import Event, open_store
from common.errors import InputError


def _ev(i: int, cam: str = "atcs-0001", typ: str = "line_count", t: float | None = None) -> Event:
    return Event(key=f"k{i:04d}", camera_id=cam, type=typ, t_frame=1000.0 + (i if t is None else t),
                 payload={"i": i, "cls": "car"})


def test_put_many_is_idempotent_on_key(store_dsn):
    with open_store(store_dsn) as st:
        assert st.put_many([_ev(i) for i in range(10)]) == 10
        assert st.put_many([_ev(i) for i in range(5, 15)]) == 5
        assert st.count() == 15
        assert sorted(st.keys()) == [f"k{i:04d}" for i in range(15)]


def test_query_newest_first_with_filters_and_paging(store_dsn):
    with open_store(store_dsn) as st:
        st.put_many([_ev(i, cam="a" if i % 2 else "b", typ="x" if i < 6 else "y") for i in range(10)])
        got = st.query(limit=3)
        assert [e.key for e in got] == ["k0009", "k0008", "k0007"]
        assert got[0].payload == {"i": 9, "cls": "car"} and got[0].t_stored is not None
        assert [e.key for e in st.query(limit=3, offset=3)] == ["k0006", "k0005", "k0004"]
        assert {e.camera_id for e in st.query(camera_id="a", limit=100)} == {"a"}
        assert st.count(camera_id="a") == 5
        assert st.count(types=["x"]) == 6 and st.count(types=["x", "y"]) == 10
        assert st.count(since=1003.0, until=1006.0) == 3
        assert [e.key for e in st.query(camera_id="b", types=["y"])] == ["k0008", "k0006"]


def test_counts_by_camera(store_dsn):
    with open_store(store_dsn) as st:
        st.put_many([_ev(i, cam="a", typ="x") for i in range(3)]
                    + [_ev(10 + i, cam="b", typ="y") for i in range(2)] + [_ev(20, cam="a", typ="y")])
        assert st.counts_by_camera() == {"a": {"x": 3, "y": 1}, "b": {"y": 2}}
        assert st.counts_by_camera(since=1010.0) == {"a": {"y": 1}, "b": {"y": 2}}


def test_reopen_keeps_events_and_concurrent_writers_do_not_duplicate(store_dsn):
    with open_store(store_dsn) as st:
        st.put_many([_ev(i) for i in range(5)])
    stores = [open_store(store_dsn) for _ in range(3)]
    news = []

    def write(s):
        news.append(s.put_many([_ev(i) for i in range(50)]))
    ths = [threading.Thread(target=write, args=(s,)) for s in stores]
    for t in ths:
        t.start()
    for t in ths:
        t.join()
    assert sum(news) == 45
    assert stores[0].count() == 50
    for s in stores:
        s.close()


def test_sqlite_uses_wal(tmp_path):
    import sqlite3
    with open_store(f"sqlite:///{tmp_path / 'e.db'}") as st:
        st.put_many([_ev(1)])
    mode = sqlite3.connect(tmp_path / "e.db").execute("PRAGMA journal_mode").fetchone()[0]
    assert mode == "wal"


def test_bad_dsn_is_a_clear_error(tmp_path):
    with pytest.raises(InputError, match="unknown event-store DSN"):
        open_store("mysql://x")
    with pytest.raises(InputError, match="does not exist"):
        open_store(f"sqlite:///{tmp_path / 'nope' / 'e.db'}")
