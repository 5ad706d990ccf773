from __future__ import annotations

import copy

import pytest

SMALL = {"name": "small", "seed": 1, "cameras": {"classes": [
    {"name": "rt", "count": 32, "group": "CCTV RT", "profile": "rt-360p10"},
    {"name": "atcs", "count": 8, "group": "ATCS", "profile": "atcs-720p15"}]},
    "simulation": {"analytic_fps": {"rt": 1.0, "atcs": 2.5}, "duration_s": 240,
                   "viewers": {"peak_concurrent": 100},
                   "hardware": {"ingest": {"server": "cpu-16c", "count": 2, "detector_cores": 4},
                                "portal": {"server": "cpu-16c", "count": 1}, "nic": "nic-10g",
                                "disk": "hdd-16tb"}}}


@pytest.fixture
def small():
    return copy.deepcopy(SMALL)


@pytest.fixture(scope="session")
def cal():
    from simulator.calibration import load_calibration
    return load_calibration()
