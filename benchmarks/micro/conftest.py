"""Options of the CI performance gates."""
from __future__ import annotations

import os

from benchmarks.micro.gate import ATTEMPTS_ENV, SLOWDOWN_ENV


def pytest_addoption(parser):
    parser.addoption("--inject-slowdown", type=float, default=None,
                     help=f"make our side of every performance gate this many times slower (also {SLOWDOWN_ENV})")
    parser.addoption("--gate-attempts", type=int, default=None,
                     help=f"measure a gate over its limit at most this many times in all (also {ATTEMPTS_ENV})")


def pytest_configure(config):
    factor = config.getoption("--inject-slowdown", default=None)
    if factor is not None:
        os.environ[SLOWDOWN_ENV] = str(factor)
    attempts = config.getoption("--gate-attempts", default=None)
    if attempts is not None:
        os.environ[ATTEMPTS_ENV] = str(attempts)
