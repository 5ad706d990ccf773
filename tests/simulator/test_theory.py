"""The model's FCFS station against queueing theory, as Ciw does: seeded replications, warm-up trimmed."""
from __future__ import annotations

import numpy as np
import pytest

from simulator.stations import fcfs_multiserver, fcfs_multiserver_reps
from simulator.theory import erlang_c, mm1_mean_sojourn, mmc_mean_wait

REPS, N, WARMUP = 300, 80_000, 20_000


def _mean_wait(lam: float, mu: float, c: int, seed: int) -> float:
    rng = np.random.default_rng(seed)
    arrivals = np.cumsum(rng.exponential(1 / lam, (REPS, N)), axis=1)
    services = rng.exponential(1 / mu, (REPS, N))
    waits = fcfs_multiserver_reps(arrivals, services, c)
    return float(waits[:, WARMUP:].mean(axis=1).mean())


@pytest.mark.parametrize("rho", [0.5, 0.8, 0.95])
def test_mmc_mean_wait_matches_erlang_c(rho):
    c, mu = 4, 1.0
    lam = rho * c * mu
    sim = _mean_wait(lam, mu, c, seed=int(rho * 100))
    theory = mmc_mean_wait(lam, mu, c)
    assert sim == pytest.approx(theory, rel=0.02), (sim, theory)


def test_mm1_sojourn_matches_one_over_mu_minus_lambda():
    lam, mu = 0.7, 1.0
    rng = np.random.default_rng(11)
    arrivals = np.cumsum(rng.exponential(1 / lam, (REPS, N)), axis=1)
    services = rng.exponential(1 / mu, (REPS, N))
    sojourn = fcfs_multiserver_reps(arrivals, services, 1) + services
    assert sojourn[:, WARMUP:].mean() == pytest.approx(mm1_mean_sojourn(lam, mu), rel=0.02)


def test_single_and_vectorised_recursions_agree_exactly():
    rng = np.random.default_rng(3)
    arrivals = np.cumsum(rng.exponential(0.3, (3, 2000)), axis=1)
    services = rng.exponential(1.0, (3, 2000))
    many = fcfs_multiserver_reps(arrivals, services, 4)
    for r in range(3):
        np.testing.assert_allclose(fcfs_multiserver(arrivals[r], services[r], 4), many[r], rtol=0, atol=1e-12)


def test_erlang_c_known_value():
    # c=2, a=1: P(wait) = 1/3
    assert erlang_c(2, 1.0) == pytest.approx(1 / 3)
