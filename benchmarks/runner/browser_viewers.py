"""Browser viewers and view starts in a run's trials, beside the Locust users (used by the load component).

Per trial, ``BrowserTrial`` opens ``load.browsers.count`` headless Chromium players on cameras drawn by
the scenario's popularity law (seeded by the run), in a background thread, and reports
``viewer_ttff_p95_ms`` (the SLO), ``viewer_ttff_p50_ms``, ``viewer_stall_ratio`` and the players that
never showed a frame. ``view_start_counts`` reads the portal's cold and warm view starts, so a trial's
``cold_start_share`` is the difference over the trial (Locust's viewers and the browsers together).
All players of the run are kept for the cold-start calibration (``cold_start_costs``).
"""
from __future__ import annotations

import json
import logging
import random
import threading
import urllib.request
from typing import Any

import numpy as np

from benchmarks.load.browser_config import BrowserViewersConfig
from benchmarks.load.config import LoadConfig
from benchmarks.load.popularity import CameraChooser, ranked

log = logging.getLogger(__name__)


def _get_json(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=10) as r:
        return json.loads(r.read())


def view_start_counts(portal_url: str) -> tuple[int, int] | None:
    """(cold, warm) view starts since the portal started; None if the portal does not count them."""
    try:
        vs = _get_json(portal_url.rstrip("/") + "/api/viewer-path")["view_starts"]
        return int(vs["cold"]), int(vs["warm"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def cold_start_share(before: tuple[int, int] | None, after: tuple[int, int] | None) -> dict[str, float]:
    if before is None or after is None:
        return {}
    cold, warm = after[0] - before[0], after[1] - before[1]
    return {"view_starts": cold + warm, "cold_start_share": round(cold / (cold + warm), 4)} if cold + warm else {}


class BrowserTrial:
    """The browser viewers of one run (one trial at a time)."""

    def __init__(self, cfg: BrowserViewersConfig, load: LoadConfig, portal_url: str, seed: int):
        self.cfg = cfg
        self.load = load
        self.url = portal_url.rstrip("/")
        self.rng = random.Random(seed)
        self.players: list = []             # every PlayerStats of the run
        self._thread: threading.Thread | None = None
        self._result: dict[str, Any] = {}

    def cameras(self) -> list[str]:
        items = _get_json(f"{self.url}/api/cameras?limit=500")["items"]
        ids = [it["id"] for it in items if it.get("online", True) is not False]
        chooser = CameraChooser(self.load.popularity, ranked(ids, self.load.hot_cameras), self.load.hot_cameras,
                                self.load.hot_share, rng=self.rng)
        return [chooser.choose() for _ in range(self.cfg.count)]

    def begin(self, watch_s: float) -> None:
        from benchmarks.load.browser import ChromiumViewers
        self._result = {}
        cams = self.cameras()

        def go() -> None:
            try:
                with ChromiumViewers(self.url) as browser:
                    self._result["players"] = browser.watch(
                        cams, mode=self.cfg.mode, players_per_page=self.cfg.players_per_page,
                        watch_s=min(watch_s, self.cfg.watch_s), card_s=self.cfg.card_s,
                        ttff_timeout_s=self.cfg.ttff_timeout_s)
            except Exception as e:      # reported as the trial's browser_error, and logged
                log.exception("browser viewers failed")
                self._result["error"] = str(e)
        self._thread = threading.Thread(target=go, name="browsers", daemon=True)
        self._thread.start()

    def end(self, watch_s: float) -> dict[str, Any]:
        from benchmarks.load.browser import summarise
        if self._thread is None:
            return {}
        self._thread.join(timeout=self.cfg.card_s + self.cfg.ttff_timeout_s + watch_s + 60)
        players = self._result.get("players")
        if not players:
            return {"browser_error": 1.0}
        self.players += players
        s = summarise(players, self.cfg.ttff_timeout_s)
        out = {"browser_viewers": s.viewers, "browser_no_frame": s.viewers - s.started,
               "viewer_ttff_p50_ms": s.ttff_p50_ms, "viewer_ttff_p95_ms": s.ttff_p95_ms}
        if s.stall_ratio is not None:
            out["viewer_stall_ratio"] = s.stall_ratio
        return out

    def cold_start_costs(self) -> dict[str, Any]:
        """Time to first frame of the run's browser players, split by cold and warm start."""
        out: dict[str, Any] = {"mode": self.cfg.mode, "card_s": self.cfg.card_s, "players": len(self.players)}
        for start in ("cold", "warm"):
            t = [p.ttff_ms for p in self.players if p.start == start and p.ttff_ms is not None]
            if t:
                out[f"{start}_ttff_ms"] = {"n": len(t), "p50": round(float(np.percentile(t, 50)), 1),
                                           "p95": round(float(np.percentile(t, 95)), 1)}
        return out
