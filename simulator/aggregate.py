"""The aggregated model: city scale in seconds.

Aggregation, each step exact or stated:
- per camera group: ingest servers are identical shards (cameras round-robin per class), so only the
  busiest server is simulated and its statistics stand for all (exact for identical shards).
- per batch: detector frames are generated in bulk (numpy) and the station iterates over batches,
  not frames or events (``stations.batch_station``).
- per stream: decode is a continuous load; its queueing delay is Allen-Cunneen's M/D/c approximation
  (superposed periodic streams ~ Poisson arrivals, deterministic decode), added to each frame's lag.
- portal: one server of the tier (requests split evenly), simulated request by request with the
  FCFS recursion (``stations.fcfs_multiserver``); egress as a per-minute fluid.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from simulator.costs import PORTAL_SERVICE_CV, ServiceParams, decode_load
from simulator.startup import StartupChain
from simulator.stations import batch_station, fcfs_multiserver, lognormal_factors
from simulator.theory import allen_cunneen_wait

# Camera clocks differ: each camera's frame rate is off by up to this share (uniform), so the phases of
# periodic cameras drift past each other within the hour instead of freezing one arrival pattern.
CLOCK_TOLERANCE = 0.001

ENDPOINTS = ("hls_playlist", "hls_segment", "camera_list", "events", "snapshot")


@dataclass(frozen=True)
class DetectorOutcome:
    lag_s: np.ndarray          # frame-to-event lag of frames served after warm-up
    sampled: int               # frames sampled after warm-up
    dropped: int               # of those, dropped (stale or decoder overload)
    utilisation: float
    mean_queue: float
    max_queue: int
    decode_utilisation: float
    mean_batch: float
    events: int                # batches simulated


@dataclass(frozen=True)
class PortalOutcome:
    api_s: np.ndarray          # API sojourn times after warm-up
    utilisation: float
    mean_queue: float
    playlist_s: np.ndarray     # sojourn of playlist requests, and their arrival times
    playlist_t: np.ndarray
    segment_s: np.ndarray      # sojourn of segment requests, and their arrival times
    segment_t: np.ndarray
    events: int


def camera_clocks(counts: list[int], p: ServiceParams, rng: np.random.Generator) -> list[tuple[np.ndarray, np.ndarray]]:
    """Per shard class: each camera's first sampling instant and its own sampling period.

    Both models draw their cameras here, in this order, so that the same seed gives them the same
    cameras (a paired comparison).
    """
    out = []
    for c, n in zip(p.shard, counts):
        drift = 1.0 + rng.uniform(-CLOCK_TOLERANCE, CLOCK_TOLERANCE, n)
        periods = (c.sample_every / c.fps) / drift
        out.append((rng.uniform(0.0, 1.0, n) * periods, periods))
    return out


def sample_times(p: ServiceParams, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Sampling instants of every camera of the busiest shard, with each frame's decode time."""
    times, decode = [], []
    for c, (phases, periods) in zip(p.shard, camera_clocks([c.cameras for c in p.shard], p, rng)):
        if c.cameras == 0:
            continue
        k = np.arange(int(np.ceil(p.duration_s / periods.min())))
        t = (phases[:, None] + k[None, :] * periods[:, None]).ravel()
        t = t[t < p.duration_s]
        times.append(t)
        decode.append(np.full(t.shape, c.decode_s))
    if not times:
        return np.empty(0), np.empty(0)
    return np.concatenate(times), np.concatenate(decode)


def simulate_detector(p: ServiceParams, rng: np.random.Generator) -> DetectorOutcome:
    rate, mean_decode, u_dec = decode_load(p)
    t, dec = sample_times(p, rng)
    factor_rng = np.random.default_rng(rng.integers(2**63))   # batch-time noise, drawn in batch order
    if len(t) == 0:
        return DetectorOutcome(np.empty(0), 0, 0, 0.0, 0.0, 0, 0.0, 0.0, 0)
    keep_share = 1.0
    wq = 0.0
    if u_dec >= 1.0:                     # decoders fall behind: the excess frames are never decoded
        keep_share = 1.0 / u_dec
        keep = rng.random(len(t)) < keep_share
    else:
        keep = np.ones(len(t), dtype=bool)
        wq = allen_cunneen_wait(rate, mean_decode, p.decode_cores, ca2=1.0, cs2=0.0)
    ready = t + dec + wq
    order = np.argsort(ready, kind="stable")
    ready, t, keep = ready[order], t[order], keep[order]
    arrivals = ready[keep]
    factors = lognormal_factors(factor_rng, len(arrivals) + 1, p.detector_cv)
    run = batch_station(arrivals, p.detector_workers, p.batch_s, p.max_batch, p.max_lag_s, factors)
    sample_t = t[keep]
    measured = sample_t >= p.warmup_s
    served = measured & ~np.isnan(run.finish)
    lag = run.finish[served] - sample_t[served]
    n_sampled = int((t >= p.warmup_s).sum())
    dropped = n_sampled - int(served.sum())
    horizon = p.duration_s
    busy_share = run.busy_s / (p.detector_workers * horizon)
    waits = run.start[measured] - arrivals[measured]
    waits = waits[~np.isnan(waits)]
    lam = measured.sum() / (horizon - p.warmup_s)
    mean_queue = float(lam * waits.mean()) if len(waits) else 0.0
    max_queue = _max_queue(arrivals, run.start)
    return DetectorOutcome(lag, n_sampled, dropped, float(busy_share), mean_queue, max_queue, u_dec,
                           float(run.batch_sizes.mean()) if len(run.batch_sizes) else 0.0,
                           len(run.batch_sizes))


def _max_queue(arrivals: np.ndarray, start: np.ndarray) -> int:
    """Largest number of frames waiting at once (arrived, not yet in service, not dropped)."""
    ok = ~np.isnan(start)
    ev_t = np.concatenate([arrivals[ok], start[ok]])
    ev_d = np.concatenate([np.ones(ok.sum()), -np.ones(ok.sum())])
    order = np.lexsort((ev_d, ev_t))      # at a tie, leave before arriving
    return int(np.cumsum(ev_d[order]).max()) if len(ev_t) else 0


MAX_PORTAL_REQUESTS = 1_500_000
# Start times drawn per minute at least (from that minute's request sojourns), so that the start-up p95
# of a short or quiet window rests on enough draws; the count of sessions begun is not changed.
MIN_START_DRAWS = 1000


def portal_window_s(p: ServiceParams) -> float:
    """Seconds simulated of each minute: all 60 unless that exceeds MAX_PORTAL_REQUESTS in the window.

    Load is constant within a minute, so a 5-60 s window of each minute estimates that minute's
    stationary queue (the first tenth of a shortened window is discarded as warm-up).
    """
    per_s = p.viewers_per_server * (2.0 / p.segment_s + p.api_per_viewer_s)
    total = float(per_s.sum()) * 60.0
    return 60.0 if total <= MAX_PORTAL_REQUESTS else float(np.clip(60.0 * MAX_PORTAL_REQUESTS / total, 5.0, 60.0))


def portal_requests(p: ServiceParams, rng: np.random.Generator,
                    window_s: float = 60.0) -> tuple[np.ndarray, np.ndarray]:
    """Arrival times and endpoint index (into ENDPOINTS) of one portal server's requests."""
    minutes = len(p.viewers_per_server)
    times, kinds = [], []
    for m in range(minutes):
        v = p.viewers_per_server[m]
        span = min(window_s, p.duration_s - 60.0 * m)
        if span <= 0:
            break
        rates = [v / p.segment_s, v / p.segment_s,
                 v * p.api_per_viewer_s * (1 - p.snapshot_share) / 2,
                 v * p.api_per_viewer_s * (1 - p.snapshot_share) / 2,
                 v * p.api_per_viewer_s * p.snapshot_share]
        for kind, r in enumerate(rates):
            count = rng.poisson(r * span)
            times.append(60.0 * m + rng.uniform(0.0, span, count))
            kinds.append(np.full(count, kind, dtype=np.int8))
    t = np.concatenate(times) if times else np.empty(0)
    k = np.concatenate(kinds) if kinds else np.empty(0, dtype=np.int8)
    order = np.argsort(t, kind="stable")
    return t[order], k[order]


def portal_service_times(p: ServiceParams, kinds: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    mean = np.array([p.portal_s[e] for e in ENDPOINTS])[kinds]
    return mean * lognormal_factors(rng, len(kinds), PORTAL_SERVICE_CV)


def simulate_portal(p: ServiceParams, rng: np.random.Generator) -> PortalOutcome:
    window = portal_window_s(p)
    t, kinds = portal_requests(p, rng, window)
    svc = portal_service_times(p, kinds, rng)
    waits = fcfs_multiserver(t, svc, p.portal_cores)
    return portal_outcome(p, t, kinds, svc, waits, window)


def portal_outcome(p: ServiceParams, t: np.ndarray, kinds: np.ndarray, svc: np.ndarray,
                   waits: np.ndarray, window_s: float = 60.0) -> PortalOutcome:
    soj = waits + svc
    after = t >= p.warmup_s
    if window_s < 60.0:
        after &= np.mod(t, 60.0) >= 0.1 * window_s
    api = after & (kinds >= 2)
    simulated_s = min(window_s, 60.0) / 60.0 * p.duration_s
    util = float(svc.sum() / (p.portal_cores * simulated_s))
    lam = after.sum() / max(simulated_s * (1 - (0.1 if window_s < 60 else 0)) - p.warmup_s, 1e-9)
    pl, sg = kinds == 0, kinds == 1
    return PortalOutcome(soj[api], util, float(lam * waits[after].mean()) if after.any() else 0.0,
                         soj[pl], t[pl], soj[sg], t[sg], len(t))


def _sample_in_minute(values: np.ndarray, times: np.ndarray, m: int, n: int,
                      rng: np.random.Generator) -> np.ndarray:
    """n draws among the requests of minute m (all requests if that minute has none)."""
    lo, hi = np.searchsorted(times, [60.0 * m, 60.0 * (m + 1)])
    if hi <= lo:
        lo, hi = 0, len(values)
    if hi <= lo:
        return np.zeros(n)
    return values[rng.integers(lo, hi, n)]


def viewer_starts(p: ServiceParams, portal: PortalOutcome, egress_util: np.ndarray,
                  rng: np.random.Generator, chain: StartupChain | None = None) -> tuple[np.ndarray, int, int]:
    """Start times of live views begun in the window: playlist + first segment + its transfer, or with
    ``chain`` the whole start-up chain (round trips, cold on-demand starts, the player's first frame).

    Returns (start times of admitted viewers, sessions begun, sessions refused for lack of egress).
    """
    started, refused, total = [], 0, 0
    for m, v in enumerate(p.viewers_per_server):
        span = min(60.0, p.duration_s - 60.0 * m)
        if span <= 0 or 60.0 * m + span <= p.warmup_s:
            continue
        n = rng.poisson(v / p.session_s * span)
        total += n
        u = egress_util[m]
        if u >= 1.0:
            admit = rng.random(n) < 1.0 / u
            refused += int((~admit).sum())
            n = int(admit.sum())
            u = 0.999
        if chain is not None and v > 0:
            n = max(n, MIN_START_DRAWS)      # a quiet minute's p95 is not left to a handful of starts
        if n == 0:
            continue
        a = _sample_in_minute(portal.playlist_s, portal.playlist_t, m, n, rng)
        b = _sample_in_minute(portal.segment_s, portal.segment_t, m, n, rng)
        transfer = max(p.segment_bits / p.downlink_bps, p.segment_bits / (p.server_egress_bps * (1.0 - u)))
        started.append(a + b + transfer if chain is None else chain.starts(a, b, transfer, rng)[0])
    return (np.concatenate(started) if started else np.empty(0)), total, refused
