"""A running test stack shared by tests/portal and tests/load: the smoke scenario's embedded cameras
(free ports), an event store with known events, and the portal over them. Started once per session
on first use; every test module's finalizer may stop it (idempotent)."""
from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from analytics.portal.catalogue import camera_records
from analytics.portal.config import PortalConfig
from analytics.portal.serve import PortalServer
from common.netguard import free_port

REPO = Path(__file__).resolve().parents[2]
OPERATOR = ("op-semarang", "operator-secret-1")
RT_HEAD = ("rt-candisari", "rthead-secret-1")
GUARD_TEST = ("op-ratelimit", "operator-secret-2")   # only the rate-limit test logs in as this one
T0 = 1_760_000_000.0   # events are stamped from here on


@dataclass
class Stack:
    fleet: object
    portal: PortalServer
    records: list[dict]
    events_dsn: str
    tmp: Path

    @property
    def url(self) -> str:
        return self.portal.url

    def stop(self) -> None:
        self.portal.stop()
        self.fleet.stop()


_STACK: Stack | None = None


def seed_events(dsn: str, camera_ids: list[str], per_camera: int = 30) -> None:
    from analytics.store import Event, open_store
    store = open_store(dsn)
    try:
        store.put_many(Event(f"{c}-{i}", c, ("vehicle_count", "illegal_parking")[i % 2], T0 + i * 60.0,
                             {"n": i}) for c in camera_ids for i in range(per_camera))
    finally:
        store.close()


def portal_config(tmp: Path, events_dsn: str | None, **kw) -> PortalConfig:
    base = dict(port=free_port(), workers=2, state_dir=str(tmp / "portal-state"), hls_segment_s=1.0,
                hls_idle_timeout_s=6.0, snapshot_refresh_s=2.0, events_dsn=events_dsn, login_attempts=5,
                login_window_s=30.0,
                users=[{"username": OPERATOR[0], "role": "operator", "password": OPERATOR[1]},
                       {"username": RT_HEAD[0], "role": "rt_head", "password": RT_HEAD[1],
                        "kecamatan": ["Candisari"]},
                       {"username": GUARD_TEST[0], "role": "operator", "password": GUARD_TEST[1]}])
    base.update(kw)
    return PortalConfig.model_validate(base)


def get_stack(tmp_root: Path) -> Stack:
    global _STACK
    if _STACK is not None:
        return _STACK
    from benchmarks.scenario import load_scenario
    from fake_cameras.fleet import Fleet
    sc = load_scenario(REPO / "scenarios" / "smoke.yaml")
    fc = sc.cameras.model_copy(update={"rtsp_port": free_port(), "api_port": free_port(), "impairments": []})
    tmp = Path(tmp_root)
    fleet = Fleet(fc, seed=sc.seed, cache_dir=REPO / "cache", state_dir=tmp / "fleet-state")
    fleet.start(timeout=120)
    try:
        records = camera_records(fleet.cameras)
        dsn = f"sqlite:///{tmp / 'events.db'}"
        seed_events(dsn, [r["id"] for r in records])
        portal = PortalServer(portal_config(tmp, dsn), records).start(timeout=90)
    except BaseException:
        fleet.stop()
        raise
    _STACK = Stack(fleet, portal, records, dsn, tmp)
    return _STACK


def stop_stack() -> None:
    global _STACK
    if _STACK is not None:
        _STACK.stop()
        _STACK = None


def wait_http(url: str, timeout: float = 10.0) -> None:
    import urllib.request
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.1)
    raise TimeoutError(url)
