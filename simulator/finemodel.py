"""The fine-grained model: SimPy, one event per frame and per request, every server simulated.

Used to check the aggregated model on scenarios small enough for both (docs/simulator.md gives the
figures). Same disciplines: one decoder process per camera on the server's decode cores (FCFS),
greedy batching with stale-frame drops at the detector workers, FCFS portal cores.
"""
from __future__ import annotations

import numpy as np
import simpy

from simulator.aggregate import (DetectorOutcome, camera_clocks, PortalOutcome, portal_outcome, portal_requests,
                                 portal_service_times)
from simulator.costs import ServiceParams
from simulator.hardware import HardwareSet
from simulator.stations import lognormal_factors
from simulator.workload import Workload


class _Ingest:
    """One ingest server: decoders per camera, a frame queue, detector workers."""

    def __init__(self, env: simpy.Environment, p: ServiceParams, rng: np.random.Generator):
        self.env, self.p, self.rng = env, p, rng
        self.cores = simpy.Resource(env, capacity=p.decode_cores)
        self.queue: simpy.Store = simpy.Store(env)
        self.lags: list[float] = []
        self.sampled = 0
        self.dropped = 0
        self.busy = 0.0
        self.decode_busy = 0.0
        self.batches: list[int] = []
        self.waits: list[float] = []
        self.max_queue = 0
        self.frames = 0
        self.factors = iter(())

    def camera(self, fps: float, every: int, decode_s: float, phase: float, offset: int):
        env, p = self.env, self.p
        i = 0
        while True:
            t_frame = phase + i / fps
            if t_frame >= p.duration_s:
                return
            if env.now < t_frame:
                yield env.timeout(t_frame - env.now)
            with self.cores.request() as req:
                yield req
                yield env.timeout(decode_s)
            self.decode_busy += decode_s
            self.frames += 1
            if i % every == offset:
                if t_frame >= p.warmup_s:
                    self.sampled += 1
                yield self.queue.put((t_frame, env.now))
                self.max_queue = max(self.max_queue, len(self.queue.items))
            i += 1

    def _factor(self) -> float:
        return next(self.factors)

    def worker(self):
        env, p = self.env, self.p
        while True:
            first = yield self.queue.get()
            batch = [first] + self.queue.items[:p.max_batch - 1]
            del self.queue.items[:len(batch) - 1]
            fresh = []
            for item in batch:
                if env.now - item[1] > p.max_lag_s:
                    self.dropped += item[0] >= p.warmup_s
                else:
                    fresh.append(item)
            if not fresh:
                continue
            s = p.batch_s[len(fresh)] * self._factor()
            for t_frame, ready in fresh:
                if t_frame >= p.warmup_s:
                    self.waits.append(env.now - ready)
            yield env.timeout(s)
            self.busy += s
            self.batches.append(len(fresh))
            for t_frame, _ in fresh:
                if t_frame >= p.warmup_s:
                    self.lags.append(env.now - t_frame)


def _portal_server(env: simpy.Environment, p: ServiceParams, t: np.ndarray, svc: np.ndarray,
                   waits: np.ndarray):
    cores = simpy.Resource(env, capacity=p.portal_cores)

    def request(n: int):
        with cores.request() as req:
            yield req
            waits[n] = env.now - t[n]
            yield env.timeout(svc[n])

    def source():
        for n, a in enumerate(t.tolist()):
            if env.now < a:
                yield env.timeout(a - env.now)
            env.process(request(n))
    env.process(source())


def simulate_fine(p: ServiceParams, w: Workload, hw: HardwareSet, rng: np.random.Generator,
                  portal_rng: np.random.Generator) -> tuple[DetectorOutcome, PortalOutcome]:
    env = simpy.Environment()
    servers = [_Ingest(env, p, rng) for _ in range(hw.ingest_count)]
    n = len(servers)
    onlines = {c.name: c.online for c in w.classes}
    for k, srv in enumerate(servers):          # round-robin: camera j of a class goes to server j % n
        counts = [len(range(k, onlines[c.name], n)) for c in p.shard]
        clocks = camera_clocks(counts, p, rng)
        for sc, (phases, periods) in zip(p.shard, clocks):
            for phase, period in zip(phases.tolist(), periods.tolist()):
                fps = sc.sample_every / period
                offset = int(phase * fps)      # the sampled frame index within the first period
                env.process(srv.camera(fps, sc.sample_every, sc.decode_s, phase - offset / fps, offset))
        bound = sum(len(ph) * (int(p.duration_s / per.min()) + 2) for ph, per in clocks) + 1
        srv.factors = iter(lognormal_factors(np.random.default_rng(rng.integers(2**63)), bound,
                                             p.detector_cv).tolist())
    for srv in servers:
        for _ in range(p.detector_workers):
            env.process(srv.worker())
    portal_runs = []
    for _ in range(hw.portal_count):
        t, kinds = portal_requests(p, portal_rng)
        svc = portal_service_times(p, kinds, portal_rng)
        waits = np.zeros(len(t))
        _portal_server(env, p, t, svc, waits)
        portal_runs.append((t, kinds, svc, waits))
    env.run(until=p.duration_s + 30.0 * p.max_lag_s)
    lags = np.concatenate([np.asarray(s.lags) for s in servers])
    waits_all = np.concatenate([np.asarray(s.waits) for s in servers])
    sampled = sum(s.sampled for s in servers)
    served = len(lags)
    horizon = p.duration_s
    n = len(servers)
    batches = [b for s in servers for b in s.batches]
    lam = sampled / n / (horizon - p.warmup_s)
    det = DetectorOutcome(
        lag_s=lags, sampled=sampled, dropped=sampled - served,
        utilisation=sum(s.busy for s in servers) / (n * p.detector_workers * horizon),
        mean_queue=float(lam * waits_all.mean()) if len(waits_all) else 0.0,
        max_queue=max(s.max_queue for s in servers),
        decode_utilisation=sum(s.decode_busy for s in servers) / (n * p.decode_cores * horizon),
        mean_batch=float(np.mean(batches)) if batches else 0.0, events=sum(s.frames for s in servers) + len(batches))
    t = np.concatenate([r[0] for r in portal_runs])
    kinds = np.concatenate([r[1] for r in portal_runs])
    svc = np.concatenate([r[2] for r in portal_runs])
    waits = np.concatenate([r[3] for r in portal_runs])
    out = portal_outcome(p, t, kinds, svc, waits)
    # utilisation and mean queue are per server: average over the tier
    order_pl, order_sg = np.argsort(out.playlist_t), np.argsort(out.segment_t)
    portal = PortalOutcome(out.api_s, out.utilisation / hw.portal_count, out.mean_queue / hw.portal_count,
                           out.playlist_s[order_pl], out.playlist_t[order_pl], out.segment_s[order_sg],
                           out.segment_t[order_sg], out.events)
    return det, portal
