"""The viewer-path bench: time to first frame and stalls in headless Chromium for each packaging policy
and the low-latency view, at several viewer counts, side by side in one run.

    python -m benchmarks.load.viewer_bench [--viewers 1 10 50] [--watch-s 15] [--out results/viewer-bench.json]

One camera fleet (the scenario's, default scenarios/smoke.yaml) serves every cell. Each cell (policy x
viewer count) gets a fresh portal (so on-demand really starts cold), the same seeded Zipf draw of
cameras, and N players opened at once in one Chromium, ``players_per_page`` (default 5) per page, each
page its own browser context (50 players on 4 cameras: 12 pages). Every player opens the camera's card
``card_s`` before pressing play, so the pre-warm policy has its head start and the others get the
same behaviour. Cells:

- on-demand: the first viewer of a camera starts its packager (today's portal);
- pre-warm: opening the card starts the packager;
- always-on: every camera kept packaged (the cell starts once all playlists exist);
- low-latency: WebRTC (aiortc, H.264 passed through), sources opened on demand.

While the players watch, the packagers' (ffmpeg) and the portal workers' CPU and memory are sampled
by PID, giving each policy's CPU and memory per packaged camera and the portal's CPU per viewer.
The results JSON (``common.resultmeta.stamp``) carries ``viewer_start_calibration`` for the simulator:
cold and warm time to first frame, packager cost per camera, portal CPU per HLS and WebRTC viewer.
"""
from __future__ import annotations

import argparse
import json
import logging
import random
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any, Self

import numpy as np
import psutil

from analytics.portal.catalogue import camera_records
from analytics.portal.config import PortalConfig
from analytics.portal.packaging import PackagingConfig
from analytics.portal.serve import PortalServer
from benchmarks.load.browser import ChromiumViewers, summarise
from benchmarks.load.popularity import CameraChooser, PopularityConfig
from common.netguard import free_port
from common.resultmeta import stamp, write_json_atomic

log = logging.getLogger(__name__)
REPO = Path(__file__).resolve().parents[2]
SCHEMA_VERSION = 1
POLICIES = ("on-demand", "pre-warm", "always-on", "low-latency")


class ProcSampler:
    """CPU seconds, mean count and mean RSS of a changing set of processes (sampled every ``period_s``)."""

    def __init__(self, pids, period_s: float = 0.5):
        self.pids = pids
        self.period_s = period_s
        self.cpu: dict[int, float] = {}
        self.counts: list[int] = []
        self.rss: list[float] = []
        self._stop = threading.Event()
        self._t0 = self._t1 = time.monotonic()
        self._thread = threading.Thread(target=self._run, name="proc-sampler", daemon=True)

    def _sample(self) -> None:
        n, rss = 0, 0.0
        for pid in self.pids():
            try:
                p = psutil.Process(pid)
                t = p.cpu_times()
                self.cpu[pid] = t.user + t.system
                rss += p.memory_info().rss / 2**20
                n += 1
            except psutil.Error:
                pass
        self.counts.append(n)
        self.rss.append(rss)

    def _run(self) -> None:
        while not self._stop.wait(self.period_s):
            self._sample()

    def __enter__(self) -> Self:
        self._sample()
        self._base = dict(self.cpu)
        self._t0 = time.monotonic()
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        self._sample()
        self._t1 = time.monotonic()

    def summary(self) -> dict[str, float]:
        cpu_s = sum(v - self._base.get(pid, 0.0) for pid, v in self.cpu.items())
        wall = max(self._t1 - self._t0, 1e-6)
        return {"cpu_pct": round(100 * cpu_s / wall, 2), "mean_count": round(float(np.mean(self.counts)), 2),
                "mean_rss_mb": round(float(np.mean(self.rss)), 1)}


def packager_pids(state_dir: Path) -> list[int]:
    out = []
    for rec in (state_dir / "hls").glob("*/packager.json"):
        try:
            out.append(int(json.loads(rec.read_text())["pid"]))
        except (OSError, ValueError, KeyError):
            pass
    return out


def browser_pids() -> list[int]:
    """Chromium's processes (browser, renderers, GPU and utility), children of Playwright's driver."""
    try:
        return [p.pid for p in psutil.Process().children(recursive=True) if "chrom" in p.name().lower()]
    except psutil.Error:
        return []


def policy_config(policy: str, cameras: list[str]) -> tuple[PackagingConfig, str]:
    if policy == "pre-warm":
        return PackagingConfig(prewarm_on_card=True), "hls"
    if policy == "always-on":
        return PackagingConfig(always_on=cameras), "hls"
    if policy == "low-latency":
        return PackagingConfig(), "webrtc"
    return PackagingConfig(), "hls"


def run_cell(policy: str, viewers: int, records: list[dict], base: PortalConfig, args, tmp: Path) -> dict[str, Any]:
    ids = [r["id"] for r in records if r["online"]]
    packaging, mode = policy_config(policy, ids)
    state = tmp / f"{policy}-{viewers}"
    cfg = base.model_copy(update={"port": free_port(), "state_dir": str(state), "packaging": packaging})
    chooser = CameraChooser(PopularityConfig(zipf_s=args.zipf_s), ids, rng=random.Random(args.seed))
    cams = [chooser.choose() for _ in range(viewers)]
    with PortalServer(cfg, records) as portal:
        if packaging.always_on:
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline and not all((state / "hls" / c / "index.m3u8").exists() for c in ids):
                time.sleep(0.2)
        workers = [portal.proc.pid, *portal.worker_pids()]
        with ChromiumViewers(portal.url) as browser, ProcSampler(lambda: packager_pids(state)) as pk, \
                ProcSampler(lambda: workers) as web, ProcSampler(browser_pids) as client:
            players = browser.watch(cams, mode=mode, players_per_page=args.players_per_page, watch_s=args.watch_s,
                                    card_s=args.card_s, ttff_timeout_s=args.ttff_timeout_s)
    s = summarise(players, args.ttff_timeout_s)
    pks, webs, cl = pk.summary(), web.summary(), client.summary()
    per_cam = pks["mean_count"] or None
    return {"policy": policy, "mode": mode, "viewers": viewers, "cameras": sorted(set(cams)), **s.as_dict(),
            "packagers": pks["mean_count"],
            "packager_cpu_pct_per_camera": round(pks["cpu_pct"] / per_cam, 2) if per_cam else None,
            "packager_rss_mb_per_camera": round(pks["mean_rss_mb"] / per_cam, 1) if per_cam else None,
            "portal_cpu_pct": webs["cpu_pct"], "portal_cpu_pct_per_viewer": round(webs["cpu_pct"] / viewers, 3),
            "portal_rss_mb": webs["mean_rss_mb"], "chromium_cpu_pct": cl["cpu_pct"],
            "ttff_ms": {"cold": [p.ttff_ms for p in players if p.start == "cold"],
                        "warm": [p.ttff_ms for p in players if p.start == "warm"]}}


START_CELLS_MAX_VIEWERS = 10
MEDIAN_KEYS = ("ttff_p50_ms", "ttff_p95_ms", "stall_ratio", "stalls_per_min", "packagers",
               "packager_cpu_pct_per_camera",
               "packager_rss_mb_per_camera", "portal_cpu_pct", "portal_cpu_pct_per_viewer", "portal_rss_mb",
               "chromium_cpu_pct")


def median_cells(runs: list[dict]) -> list[dict]:
    """One cell per (policy, viewers): the median over its repeats of each figure (counts summed, ttff pooled)."""
    groups: dict[tuple[str, int], list[dict]] = {}
    for r in runs:
        groups.setdefault((r["policy"], r["viewers"]), []).append(r)
    out = []
    for (policy, viewers), rs in groups.items():
        cell = {"policy": policy, "mode": rs[0]["mode"], "viewers": viewers, "repeats": len(rs),
                "cameras": sorted({c for r in rs for c in r["cameras"]}),
                "started": min(r["started"] for r in rs), "cold_starts": sum(r["cold_starts"] for r in rs),
                "ttff_ms": {k: [t for r in rs for t in r["ttff_ms"][k]] for k in ("cold", "warm")}}
        for k in MEDIAN_KEYS:
            vals = [r[k] for r in rs if r.get(k) is not None]
            cell[k] = round(float(np.median(vals)), 4) if vals else None
        out.append(cell)
    return out


def _pct(values: list, q: float) -> float | None:
    v = [x for x in values if x is not None]
    return round(float(np.percentile(v, q)), 1) if v else None


def calibration(cells: list[dict]) -> dict[str, Any]:
    """What the simulator's viewer start-up needs, from the cells (HLS cold/warm, WebRTC, costs).

    Start times come from the cells of at most ``START_CELLS_MAX_VIEWERS`` viewers: with more, the
    players share this host's cores with the portal and their own decoding, and the time measures the
    host more than the start-up chain. CPU per viewer comes from the cells of 10 viewers and more."""
    hls = [c for c in cells if c["mode"] == "hls"]
    few = [c for c in hls if c["viewers"] <= START_CELLS_MAX_VIEWERS]
    cold = [t for c in few if c["policy"] == "on-demand" for t in c["ttff_ms"]["cold"]]   # no card head start
    warm = [t for c in few for t in c["ttff_ms"]["warm"]]
    rtc = [c for c in cells if c["mode"] == "webrtc"]
    rtc_few = [t for c in rtc if c["viewers"] <= START_CELLS_MAX_VIEWERS for v in c["ttff_ms"].values() for t in v]
    pk = [c for c in hls if c["packager_cpu_pct_per_camera"] is not None]
    return {
        "hls_cold_ttff_ms": {"p50": _pct(cold, 50), "p95": _pct(cold, 95), "n": len(cold)},
        "hls_warm_ttff_ms": {"p50": _pct(warm, 50), "p95": _pct(warm, 95), "n": len(warm)},
        "webrtc_ttff_ms": {"p50": _pct(rtc_few, 50), "p95": _pct(rtc_few, 95), "n": len(rtc_few)},
        "start_cells_max_viewers": START_CELLS_MAX_VIEWERS,
        "packager_cpu_pct_per_camera": _pct([c["packager_cpu_pct_per_camera"] for c in pk], 50),
        "packager_rss_mb_per_camera": _pct([c["packager_rss_mb_per_camera"] for c in pk], 50),
        "portal_cpu_pct_per_hls_viewer": _pct([c["portal_cpu_pct_per_viewer"] for c in hls if c["viewers"] >= 10], 50),
        "portal_cpu_pct_per_webrtc_viewer": _pct([c["portal_cpu_pct_per_viewer"] for c in rtc if c["viewers"] >= 10],
                                                 50),
        "note": "percent of one core; medians over the bench's cells; "
                "ttff from pressing play to the first decoded frame",
    }


def markdown(cells: list[dict], failed: list[dict] | None = None) -> str:
    """The table of docs/portal.md: medians over the repeats (no frame: the worst repeat; cold: all)."""
    head = ("| policy | viewers | runs | TTFF p50 (ms) | TTFF p95 (ms) | stall ratio | no frame | cold starts | "
            "packagers | ffmpeg CPU %/camera | portal CPU % | Chromium CPU % |")
    rows = [head, "|" + "---|" * 12]
    dash = "-"
    for c in cells:
        cols = [c["policy"], c["viewers"], c.get("repeats", 1), c["ttff_p50_ms"], c["ttff_p95_ms"], c["stall_ratio"],
                c["viewers"] - c["started"], c["cold_starts"], c["packagers"], c["packager_cpu_pct_per_camera"],
                c["portal_cpu_pct"], c.get("chromium_cpu_pct")]
        rows.append("| " + " | ".join(dash if v is None else f"{v:g}" if isinstance(v, float) else str(v)
                                       for v in cols) + " |")
    rows += [f"| {f['policy']} | {f['viewers']} | failed: {f['error'][:80]} |" for f in failed or []]
    return "\n".join(rows)


def run_bench(args) -> dict[str, Any]:
    from benchmarks.scenario import load_scenario
    from fake_cameras.fleet import Fleet
    sc = load_scenario(args.scenario)
    fc = sc.cameras.model_copy(update={"rtsp_port": free_port(), "api_port": free_port(), "impairments": []})
    base = (sc.portal or PortalConfig()).model_copy(update={"users": [], "events_dsn": None, "host": "127.0.0.1"})
    data: dict[str, Any] = {**stamp("viewer-bench", SCHEMA_VERSION), "scenario": str(args.scenario),
                            "settings": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()},
                            "load_avg_before": list(psutil.getloadavg()), "runs": [], "cells": []}
    with tempfile.TemporaryDirectory(prefix="tilik-viewer-bench-") as td:
        tmp = Path(td)
        fleet = Fleet(fc, seed=sc.seed, cache_dir=REPO / "cache", state_dir=tmp / "fleet")
        fleet.start(timeout=180)
        try:
            records = camera_records(fleet.cameras)
            for repeat in range(args.repeats):        # repeats outermost: the policies alternate in time
                for viewers in args.viewers:
                    for policy in args.policies:
                        t0 = time.monotonic()
                        try:
                            cell = run_cell(policy, viewers, records, base, args, tmp / f"r{repeat}")
                        except Exception as e:      # one failed cell must not lose the others: recorded, shown
                            log.exception("cell %s x %d failed", policy, viewers)
                            data["failed_cells"] = [*data.get("failed_cells", []), {
                                "policy": policy, "viewers": viewers, "repeat": repeat, "error": str(e)[:500]}]
                            continue
                        cell.update(repeat=repeat, wall_s=round(time.monotonic() - t0, 1))
                        log.warning("%s x %d: ttff p50 %s p95 %s ms, stall ratio %s", policy, viewers,
                                    cell["ttff_p50_ms"], cell["ttff_p95_ms"], cell["stall_ratio"])
                        data["runs"].append(cell)
                        data["cells"] = median_cells(data["runs"])
                        write_json_atomic(args.out, data)      # partial results survive an interruption
        finally:
            fleet.stop()
    data["load_avg_after"] = list(psutil.getloadavg())
    data["viewer_start_calibration"] = calibration(data["cells"])
    write_json_atomic(args.out, data)
    return data


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m benchmarks.load.viewer_bench", description=__doc__.splitlines()[0])
    p.add_argument("--scenario", type=Path, default=REPO / "scenarios" / "smoke.yaml", help="fleet and portal settings")
    p.add_argument("--viewers", type=int, nargs="+", default=[1, 10, 50], help="viewer counts (at most 60 each)")
    p.add_argument("--policies", nargs="+", choices=POLICIES, default=list(POLICIES), help="cells per viewer count")
    p.add_argument("--watch-s", type=float, default=15.0, help="seconds watched after the first frames")
    p.add_argument("--card-s", type=float, default=2.0, help="seconds from opening the card to pressing play")
    p.add_argument("--players-per-page", type=int, default=5, help="players sharing one browser page "
                   "(and its 6 connections to the portal)")
    p.add_argument("--ttff-timeout-s", type=float, default=25.0, help="no first frame by then: failed")
    p.add_argument("--zipf-s", type=float, default=1.0, help="Zipf exponent of the cameras' popularity")
    p.add_argument("--repeats", type=int, default=1, help="runs of every cell (the table shows medians)")
    p.add_argument("--seed", type=int, default=13, help="seed of the camera draw (the same in every cell)")
    p.add_argument("--out", type=Path, default=REPO / "results" / "viewer-bench.json", help="results JSON")
    args = p.parse_args(argv)
    if any(not 1 <= v <= 60 for v in args.viewers):
        p.error("--viewers: each count must be 1..60 (browser viewers are bounded)")
    return args


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    data = run_bench(parse_args(argv))
    print(markdown(data["cells"], data.get("failed_cells")))
    print(json.dumps(data["viewer_start_calibration"], indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
