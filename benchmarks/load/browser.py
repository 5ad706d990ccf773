"""Browser viewers: headless Chromium playing the portal's player page, as a citizen's browser does.

Locust times HTTP requests; what a citizen feels is the time until the picture moves and how often
it freezes. ``ChromiumViewers`` drives Debian's Chromium through Playwright (``executable_path``:
no browser is downloaded) and opens ``/watch/{camera}`` pages (``analytics.portal.player``), each
with up to ``players_per_page`` independent players, so N viewers cost ceil(N / players_per_page)
pages in one browser. Each page is a browser context of its own, with its own connections: Chromium
keeps at most 6 per host per context over HTTP/1.1, so one context for 50 players would queue their
requests behind each other, which 50 citizens' browsers do not. Each player reports its time to first
decoded frame, presented frames, stalls and rebuffer ratio; ``summarise`` turns them into the figures
the run and the report use.

Bounds: at most ``MAX_BROWSER_VIEWERS`` players per watch and ``MAX_WATCH_S`` seconds of watching;
every wait has a deadline; the browser (and its renderer processes) is closed when the context exits.
A player with no first frame within ``ttff_timeout_s`` counts as failed, and its time to first frame
as the timeout (censored, so p95 is never flattered by players that never started).
"""
from __future__ import annotations

import logging
import math
import time
from dataclasses import asdict, dataclass
from typing import Literal, Self

import numpy as np

from benchmarks.load.browser_config import MAX_BROWSER_VIEWERS, MAX_WATCH_S

log = logging.getLogger(__name__)

FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--mute-audio",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-extensions", "--disable-dev-shm-usage", "--autoplay-policy=no-user-gesture-required",
         "--disable-background-timer-throttling", "--disable-renderer-backgrounding",
         "--disable-backgrounding-occluded-windows"]
Mode = Literal["hls", "webrtc"]


@dataclass(frozen=True)
class PlayerStats:
    """One player's view, as its page reported it."""

    camera: str
    mode: str
    ttff_ms: float | None          # None: no decoded frame before the timeout
    frames: int
    stalls: int
    stall_ms: float
    watched_ms: float
    ready_state: int
    current_time: float
    start: str | None              # the portal's X-Tilik-Start: cold or warm
    error: str | None

    @property
    def started(self) -> bool:
        return self.ttff_ms is not None


@dataclass(frozen=True)
class BrowserSummary:
    viewers: int
    started: int
    ttff_p50_ms: float | None
    ttff_p95_ms: float | None
    stall_ratio: float | None       # stall time over watched time, all players together
    stalls_per_min: float | None
    cold_starts: int

    def as_dict(self) -> dict:
        return asdict(self)


def summarise(stats: list[PlayerStats], ttff_timeout_s: float) -> BrowserSummary:
    """p50/p95 time to first frame (players that never started count as ``ttff_timeout_s``)."""
    if not stats:
        return BrowserSummary(0, 0, None, None, None, None, 0)
    ttff = np.array([s.ttff_ms if s.ttff_ms is not None else ttff_timeout_s * 1000.0 for s in stats])
    watched = sum(s.watched_ms for s in stats)
    stalled = sum(s.stall_ms for s in stats)
    return BrowserSummary(
        viewers=len(stats), started=sum(s.started for s in stats),
        ttff_p50_ms=round(float(np.percentile(ttff, 50)), 1), ttff_p95_ms=round(float(np.percentile(ttff, 95)), 1),
        stall_ratio=round(stalled / watched, 4) if watched > 0 else None,
        stalls_per_min=round(sum(s.stalls for s in stats) / (watched / 60000.0), 3) if watched > 0 else None,
        cold_starts=sum(s.start == "cold" for s in stats))


class ChromiumViewers:
    """One headless Chromium for a series of bounded watches. Context manager."""

    def __init__(self, base_url: str, *, chromium: str | None = None):
        self.base_url = base_url.rstrip("/")
        self.chromium = chromium
        self._pw = None
        self._browser = None

    def __enter__(self) -> Self:
        from playwright.sync_api import sync_playwright

        from benchmarks.report.chromium import chromium_path
        self._pw = sync_playwright().start()
        try:
            self._browser = self._pw.chromium.launch(executable_path=self.chromium or chromium_path(),
                                                     headless=True, args=FLAGS, timeout=60_000)
        except BaseException:
            self._pw.stop()
            raise
        return self

    def __exit__(self, *exc) -> None:
        try:
            if self._browser is not None:
                self._browser.close()
        finally:
            self._pw.stop()

    def watch(self, cameras: list[str], *, mode: Mode = "hls", players_per_page: int = 1, watch_s: float = 10.0,
              card_s: float = 0.0, ttff_timeout_s: float = 20.0, leave: bool = True) -> list[PlayerStats]:
        """``len(cameras)`` players (one per entry, repeats allowed), grouped by camera into pages of
        at most ``players_per_page``, all opened at once; watched ``watch_s`` seconds after the last
        first frame (or the timeout); then reported and closed. ``leave``: the players say they leave
        (the portal ends their leases at once); without it they vanish as a closed tab does, and their
        leases run out after the portal's idle timeout."""
        if not 1 <= len(cameras) <= MAX_BROWSER_VIEWERS:
            raise ValueError(f"browser viewers: 1..{MAX_BROWSER_VIEWERS} players per watch, got {len(cameras)}")
        if not 0 < watch_s <= MAX_WATCH_S:
            raise ValueError(f"browser viewers: watch_s must be in (0, {MAX_WATCH_S:g}], got {watch_s}")
        if not 1 <= players_per_page <= 10:
            raise ValueError(f"browser viewers: players_per_page must be 1..10, got {players_per_page}")
        pages_spec: list[tuple[str, int]] = []
        for cam in dict.fromkeys(cameras):
            n = cameras.count(cam)
            pages_spec += [(cam, min(players_per_page, n - i)) for i in range(0, n, players_per_page)]
        contexts = []
        try:
            pages = []
            for cam, n in pages_spec:        # a context per page: its own connections, as another citizen's browser
                contexts.append(self._browser.new_context(viewport={"width": 900, "height": 300}))
                page = contexts[-1].new_page()
                self._open(page, f"{self.base_url}/watch/{cam}?mode={mode}&players={n}&card_s={card_s:g}")
                pages.append((cam, n, page))
            deadline = time.monotonic() + card_s + ttff_timeout_s
            while time.monotonic() < deadline:
                if all(self._all_started(page, n) for _, n, page in pages):
                    break
                time.sleep(0.1)
            time.sleep(watch_s)
            out = []
            for cam, _, page in pages:
                for r in page.evaluate("window.tilikReport()"):
                    out.append(PlayerStats(cam, mode, r["ttff_ms"], int(r["frames"] or 0), int(r["stalls"] or 0),
                                           float(r["stall_ms"] or 0.0), float(r["watched_ms"] or 0.0),
                                           int(r["ready_state"]), float(r["current_time"] or 0.0), r["start"],
                                           r["error"]))
            for _, _, page in pages if leave else ():
                try:
                    page.evaluate("window.tilikStop()")
                except Exception as e:     # the page may be gone; leases then expire on their own
                    log.warning("leaving a player page failed: %s", e)
            return out
        finally:
            for ctx in contexts:
                ctx.close()

    @staticmethod
    def _open(page, url: str, tries: int = 3) -> None:
        """Load a player page. Chromium aborts a navigation when the host's interfaces change (another
        program adding a network namespace or a veth): such a page is loaded again, at most ``tries`` times."""
        from playwright.sync_api import Error as PlaywrightError
        for attempt in range(1, tries + 1):
            try:
                page.goto(url, wait_until="domcontentloaded", timeout=30_000)
                return
            except PlaywrightError as e:
                if "ERR_NETWORK_CHANGED" not in str(e) or attempt == tries:
                    raise
                log.warning("player page aborted by a network change; loading it again")
                time.sleep(0.5)

    @staticmethod
    def _all_started(page, n: int) -> bool:
        got = page.evaluate("typeof window.tilikReport === 'function' && window.tilikStarted === true "
                            "? window.tilikReport() : null")
        return bool(got) and len(got) == n and all(r["ttff_ms"] is not None or r["error"] for r in got)


def pages_needed(viewers: int, players_per_page: int) -> int:
    return math.ceil(viewers / players_per_page)
