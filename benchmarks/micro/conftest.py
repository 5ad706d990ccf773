"""Options of the CI performance gates."""
from __future__ import annotations

import os

from benchmarks.micro.gate import SLOWDOWN_ENV


def pytest_addoption(parser):
    parser.addoption("--inject-slowdown", type=float, default=None,
                     help=f"make our side of every performance gate this many times slower (also {SLOWDOWN_ENV})")


def pytest_configure(config):
    factor = config.getoption("--inject-slowdown", default=None)
    if factor is not None:
        os.environ[SLOWDOWN_ENV] = str(factor)
