"""Closed-form queueing results the simulation is checked against (and used for quick screening).

Erlang C: probability of waiting and mean wait at an M/M/c station; M/M/1 sojourn 1/(mu - lambda);
Allen-Cunneen's M/G/c approximation for stations whose service is not exponential.
"""
from __future__ import annotations

import math


def erlang_c(servers: int, offered: float) -> float:
    """Probability that an arrival waits at an M/M/c station with offered load a = lambda/mu (< c)."""
    if offered <= 0:
        return 0.0
    if offered >= servers:
        return 1.0
    # Erlang B by the stable recursion, then C from B
    b = 1.0
    for k in range(1, servers + 1):
        b = offered * b / (k + offered * b)
    rho = offered / servers
    return b / (1.0 - rho + rho * b)


def mmc_mean_wait(lam: float, mu: float, servers: int) -> float:
    """Mean time in queue (before service) at an M/M/c station."""
    a = lam / mu
    if a >= servers:
        return math.inf
    return erlang_c(servers, a) / (servers * mu - lam)


def mm1_mean_sojourn(lam: float, mu: float) -> float:
    """Mean time in system at an M/M/1 station: 1 / (mu - lambda)."""
    if lam >= mu:
        return math.inf
    return 1.0 / (mu - lam)


def allen_cunneen_wait(lam: float, mean_service: float, servers: int, ca2: float = 1.0,
                       cs2: float = 1.0) -> float:
    """Approximate mean wait at a G/G/c station: Erlang C wait x (ca^2 + cs^2) / 2."""
    if lam <= 0:
        return 0.0
    return mmc_mean_wait(lam, 1.0 / mean_service, servers) * (ca2 + cs2) / 2.0
