"""Queueing stations of the aggregated model, as recursions over customers or batches.

- ``fcfs_multiserver``: c servers, first come first served (Kiefer-Wolfowitz recursion: each customer
  takes the earliest-free server). One replication, a heap of free times.
- ``fcfs_multiserver_reps``: the same recursion for R independent replications at once, vectorised over
  the replications (used by the theory checks and wherever many seeds run together).
- ``batch_station``: c workers that each take up to ``max_batch`` waiting frames the moment they are free
  (greedy dynamic batching); frames older than ``max_lag`` are dropped as stale, and counted.

All times in seconds. The fine-grained SimPy model implements the same disciplines event by event.
"""
from __future__ import annotations

import heapq
from dataclasses import dataclass

import numpy as np


def fcfs_multiserver(arrivals: np.ndarray, services: np.ndarray, servers: int) -> np.ndarray:
    """Waiting times (before service) of customers in arrival order at a FCFS c-server station."""
    free = [0.0] * servers
    heapq.heapify(free)
    waits = np.empty(len(arrivals))
    arr = arrivals.tolist()
    svc = services.tolist()
    for n, (a, s) in enumerate(zip(arr, svc)):
        f = free[0]
        start = f if f > a else a
        waits[n] = start - a
        heapq.heapreplace(free, start + s)
    return waits


def fcfs_multiserver_reps(arrivals: np.ndarray, services: np.ndarray, servers: int) -> np.ndarray:
    """Waiting times for R replications at once: arrays of shape (R, N); returns (R, N)."""
    reps, n = arrivals.shape
    free = np.zeros((reps, servers))
    waits = np.empty((reps, n))
    rows = np.arange(reps)
    for k in range(n):
        j = free.argmin(axis=1)
        f = free[rows, j]
        a = arrivals[:, k]
        start = np.maximum(f, a)
        waits[:, k] = start - a
        free[rows, j] = start + services[:, k]
    return waits


@dataclass(frozen=True)
class BatchRun:
    start: np.ndarray        # service start per frame (nan: dropped)
    finish: np.ndarray       # service end per frame (nan: dropped)
    batch_sizes: np.ndarray  # one entry per batch
    busy_s: float            # total service time over all workers
    dropped: int


def batch_station(arrivals: np.ndarray, workers: int, batch_s: np.ndarray, max_batch: int,
                  max_lag: float, factors: np.ndarray) -> BatchRun:
    """Greedy batching at ``workers`` servers; ``arrivals`` sorted.

    ``batch_s[b]`` is the time (s) of a batch of b frames (index 0 unused); ``factors`` are per-batch
    multiplicative noise draws (at least one per arrival).
    """
    n = len(arrivals)
    arr = arrivals
    arr_list = arrivals.tolist()
    start = np.full(n, np.nan)
    finish = np.full(n, np.nan)
    sizes: list[int] = []
    busy = 0.0
    dropped = 0
    free = [0.0] * workers
    heapq.heapify(free)
    base = np.asarray(batch_s, dtype=float).tolist()
    fac = factors.tolist()
    i = 0
    k = 0
    while i < n:
        t = free[0]
        a = arr_list[i]
        if t < a:
            t = a
        if t - a > max_lag:                       # stale frames: drop before forming the batch
            j0 = int(np.searchsorted(arr, t - max_lag, side="left"))
            dropped += j0 - i
            i = j0
            if i >= n:
                break
            a = arr_list[i]
            if t < a:
                t = a
        last = i + max_batch - 1
        if last < n and arr_list[last] <= t:
            b = max_batch
        else:
            hi = min(n, i + max_batch)
            b = int(np.searchsorted(arr[i:hi], t, side="right"))
        s = base[b] * fac[k]
        k += 1
        end = t + s
        start[i:i + b] = t
        finish[i:i + b] = end
        busy += s
        sizes.append(b)
        heapq.heapreplace(free, end)
        i += b
    return BatchRun(start, finish, np.asarray(sizes, dtype=int), busy, dropped)


def lognormal_factors(rng: np.random.Generator, n: int, cv: float) -> np.ndarray:
    """Mean-1 lognormal multipliers with coefficient of variation ``cv`` (ones when cv is 0)."""
    if cv <= 0:
        return np.ones(n)
    sigma2 = np.log1p(cv * cv)
    return rng.lognormal(-sigma2 / 2.0, np.sqrt(sigma2), n)
