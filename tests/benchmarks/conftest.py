"""Fixtures of the runner, results and report tests: a small real run driven by a real workload."""
from __future__ import annotations

from pathlib import Path

import pytest

from runfixtures import make_run


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory) -> Path:
    tmp = tmp_path_factory.mktemp("run")
    make_run(tmp).execute()
    return tmp / "r1"
