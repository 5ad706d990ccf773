"""Impairments applied on schedule: offline windows, reconnect storms, frozen streams, bitrate spikes.

``Schedule`` is pure (what state is a camera in at time t, when is the next change); ``Scheduler``
is a small thread that sleeps until each change and tells the backend. Overlapping windows combine
by severity: offline (or a storm) beats freeze, which beats a spike.
NVR-site faults (uplink saturation, link stall, loss burst, site reboot) are windows over site ids,
built by ``Schedule.for_sites`` and applied by ``fake_cameras.nvr_sites.SiteServing``.
"""
from __future__ import annotations

import logging
import math
import threading
import time
from dataclasses import dataclass
from typing import Callable

from fake_cameras.config import SITE_KINDS, FleetConfig

log = logging.getLogger(__name__)

SEVERITY = {"offline": 3, "reconnect_storm": 3, "freeze": 2, "bitrate_spike": 1,
            "site_reboot": 4, "link_stall": 3, "loss_burst": 2, "uplink_saturation": 1}
STATE_OF = {"offline": "offline", "reconnect_storm": "offline", "freeze": "freeze", "bitrate_spike": "spike",
            "site_reboot": "reboot", "link_stall": "stall", "loss_burst": "loss", "uplink_saturation": "saturate"}


@dataclass(frozen=True)
class Window:
    """One declared impairment resolved to camera ids."""

    kind: str
    cameras: frozenset[str]
    at_s: float
    duration_s: float
    factor: float = 1.0
    repeat_every_s: float | None = None

    def active(self, t: float) -> bool:
        if t < self.at_s:
            return False
        if self.repeat_every_s is None:
            return t < self.at_s + self.duration_s
        return (t - self.at_s) % self.repeat_every_s < self.duration_s

    def next_boundary(self, t: float) -> float:
        """The first start or end of this window strictly after ``t`` (inf when none)."""
        if self.repeat_every_s is None:
            edges = (self.at_s, self.at_s + self.duration_s)
            return min((e for e in edges if e > t), default=math.inf)
        k = max(math.floor((t - self.at_s) / self.repeat_every_s), 0)
        cands = []
        for j in (k, k + 1):
            start = self.at_s + j * self.repeat_every_s
            cands += [start, start + self.duration_s]
        return min(e for e in cands if e > t)


class Schedule:
    def __init__(self, windows: list[Window]):
        self.windows = windows
        self.cameras = sorted({c for w in windows for c in w.cameras})

    @classmethod
    def from_config(cls, config: FleetConfig, served: set[str] | None = None) -> "Schedule":
        windows = []
        for imp in config.impairments:
            if imp.kind in SITE_KINDS:
                continue
            cams = set(config.resolve_target(imp.target))
            if served is not None:
                cams &= served
            if cams:
                windows.append(Window(imp.kind, frozenset(cams), imp.at_s, imp.duration_s,
                                      imp.factor if imp.kind == "bitrate_spike" else 1.0, imp.repeat_every_s))
        return cls(windows)

    @classmethod
    def for_sites(cls, config: FleetConfig, sites: set[str]) -> Schedule:
        """The site impairments on ``sites``: ids are site ids, states reboot | stall | loss | saturate
        (the factor is the loss share of a loss burst, the bitrate multiplier of a saturation)."""
        return cls([Window(imp.kind, frozenset({imp.target}), imp.at_s, imp.duration_s,
                           imp.loss if imp.kind == "loss_burst" else imp.factor if imp.kind == "uplink_saturation"
                           else 1.0, imp.repeat_every_s)
                    for imp in config.impairments if imp.kind in SITE_KINDS and imp.target in sites])

    def state_at(self, camera_id: str, t: float) -> tuple[str, float]:
        """(state, factor) of one camera at ``t`` seconds: online | offline | freeze | spike."""
        best: Window | None = None
        for w in self.windows:
            if camera_id in w.cameras and w.active(t):
                if best is None or SEVERITY[w.kind] > SEVERITY[best.kind] or (
                        w.kind == best.kind and w.factor > best.factor):
                    best = w
        if best is None:
            return "online", 1.0
        return STATE_OF[best.kind], best.factor

    def next_change(self, t: float) -> float:
        return min((w.next_boundary(t) for w in self.windows), default=math.inf)


class Scheduler:
    """Applies a Schedule from a background thread: ``apply(camera_id, state, factor)`` on each change."""

    def __init__(self, schedule: Schedule, apply: Callable[[str, str, float], None],
                 clock: Callable[[], float] = time.monotonic):
        self.schedule = schedule
        self.apply = apply
        self.clock = clock
        self.stop_event = threading.Event()
        self.thread: threading.Thread | None = None
        self.current: dict[str, tuple[str, float]] = {c: ("online", 1.0) for c in schedule.cameras}
        self.applied: list[tuple[float, str, str]] = []   # (t, camera, state): what was done, for reports

    def start(self) -> None:
        if not self.schedule.windows:
            return
        self.t0 = self.clock()
        self.thread = threading.Thread(target=self._run, name="impairments", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        t = 0.0
        while not self.stop_event.is_set():
            self._apply_at(t)
            nxt = self.schedule.next_change(t)
            if math.isinf(nxt):
                return
            if self.stop_event.wait(max(nxt - (self.clock() - self.t0), 0.0)):
                return
            t = nxt

    def _apply_at(self, t: float) -> None:
        for cam in self.schedule.cameras:
            want = self.schedule.state_at(cam, t)
            if want != self.current[cam]:
                try:
                    self.apply(cam, *want)
                    self.current[cam] = want
                    self.applied.append((round(t, 3), cam, want[0]))
                    log.info("t=%.1fs %s -> %s", t, cam, want[0])
                except Exception as e:  # a server that is down must not kill the schedule
                    log.warning("impairment %s -> %s not applied: %s", cam, want[0], e)

    def stop(self) -> None:
        self.stop_event.set()
        if self.thread is not None:
            self.thread.join(timeout=5)
