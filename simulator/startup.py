"""The viewer's start-up chain: which starts are cold (the camera's packager must start first) and how long
each takes.

Popularity: a new viewing session picks camera i (of N, by rank) with probability
p_i = i^-s / H(N, s), H(N, s) = sum_j j^-s (Zipf; s is the catalogue's ``zipf_exponent``).

Cold starts, closed form: sessions arrive as a Poisson stream (rate lambda = viewers / mean session S) and
a camera's packager runs from a session's start until ``linger`` seconds after the end of its last session.
The packager of camera i is then up exactly while an M/G/inf queue with arrival rate lambda p_i and holding
time S + linger is not empty, which is Poisson with mean m_i = lambda p_i (S + linger); by PASTA a new
session finds it down with probability exp(-m_i). With the K most popular cameras packaged always:

    cold share = sum_{i > K} p_i exp(-m_i),    packagers running = K + sum_{i > K} (1 - exp(-m_i)).

``simulate_sessions`` plays the same sessions one by one (a check of the closed form, not used by the model).

Start time of a warm start: RTT + playlist sojourn + RTT + segment sojourn + segment transfer + the
player's first frame. A cold start replaces the first RTT + playlist by the on-demand start (measured by
the portal: the calibration's ``hls.cold_start_s``, lognormal with ``cold_start_cv``).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

COLD_SHARE_TARGET = 0.03     # auto pre-warming keeps cold starts under 3% (the p95 with room for the warm tail)


def zipf_weights(n: int, s: float) -> np.ndarray:
    w = np.arange(1, n + 1, dtype=float) ** -s
    return w / w.sum()


def warm_means(p: np.ndarray, viewers: float, session_s: float, linger_s: float) -> np.ndarray:
    """m_i: mean number of live holds on each camera's packager."""
    return (viewers / session_s) * p * (session_s + linger_s)


def cold_share(p: np.ndarray, viewers: float, session_s: float, linger_s: float, prewarm: int = 0) -> float:
    m = warm_means(p, viewers, session_s, linger_s)
    return float((p[prewarm:] * np.exp(-m[prewarm:])).sum())


def packagers_running(p: np.ndarray, viewers: float, session_s: float, linger_s: float, prewarm: int = 0) -> float:
    m = warm_means(p, viewers, session_s, linger_s)
    return float(prewarm + (1.0 - np.exp(-m[prewarm:])).sum())


def fewest_prewarmed(p: np.ndarray, viewers: float, session_s: float, linger_s: float,
                     target: float = COLD_SHARE_TARGET) -> int:
    """Smallest K with cold share <= target (the share falls as K grows)."""
    if cold_share(p, viewers, session_s, linger_s) <= target:
        return 0
    m = warm_means(p, viewers, session_s, linger_s)
    tail = np.cumsum((p * np.exp(-m))[::-1])[::-1]          # tail[K] = cold share with K pre-warmed
    tail = np.append(tail, 0.0)
    return int(np.argmax(tail <= target))


def simulate_sessions(p: np.ndarray, viewers: float, session_s: float, linger_s: float, sessions: int,
                      rng: np.random.Generator, prewarm: int = 0) -> float:
    """Share of cold starts among ``sessions`` sessions played one by one (after a warm-up of as many)."""
    lam = viewers / session_s
    n = 2 * sessions
    t = np.cumsum(rng.exponential(1.0 / lam, n))
    cam = np.searchsorted(np.cumsum(p), rng.random(n) * p.sum())
    cam = np.minimum(cam, len(p) - 1)
    until = t + rng.exponential(session_s, n) + linger_s
    held = np.full(len(p), -np.inf)
    cold = 0
    for j in range(n):
        i = cam[j]
        if j >= sessions and i >= prewarm and held[i] <= t[j]:
            cold += 1
        held[i] = max(held[i], until[j])
    return cold / sessions


@dataclass(frozen=True)
class StartupChain:
    """Inputs of the start-up chain for one simulated window."""

    cold_probability: float     # share of starts that are cold (closed form)
    cold_start_s: float         # mean on-demand start (calibration)
    cold_start_cv: float
    rtt_s: float
    player_s: float
    prewarm: int
    packagers: float            # packagers running on the portal tier (mean)

    def starts(self, playlist: np.ndarray, segment: np.ndarray, transfer: float,
               rng: np.random.Generator) -> tuple[np.ndarray, int]:
        """Start times of len(playlist) sessions and how many were cold."""
        n = len(playlist)
        cold = rng.random(n) < self.cold_probability
        sigma = np.sqrt(np.log1p(self.cold_start_cv ** 2))
        on_demand = self.cold_start_s * np.exp(rng.normal(-sigma ** 2 / 2, sigma, n))
        first = np.where(cold, on_demand, self.rtt_s + playlist)
        return first + self.rtt_s + segment + transfer + self.player_s, int(cold.sum())
