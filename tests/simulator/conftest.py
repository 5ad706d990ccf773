from __future__ import annotations

import copy

import pytest

# Small enough for the fine-grained model: one ingest server (the aggregated model's shard), 124 cameras;
# detector busy about 65%, decode cores about 40%, so that queueing and the decode approximation matter.
SMALL = {"name": "small", "seed": 1, "cameras": {"classes": [
    {"name": "rt", "count": 120, "group": "CCTV RT",
     "profile": {"width": 1280, "height": 720, "fps": 5, "bitrate_kbps": 256, "gop": 10}},
    {"name": "atcs", "count": 4, "group": "ATCS", "profile": "atcs-720p15"}]},
    "simulation": {"analytic_fps": {"rt": 2.5, "atcs": 2.5}, "duration_s": 120,
                   "viewers": {"peak_concurrent": 100}, "detector": {"input_size": 320},
                   "hardware": {"ingest": {"server": "cpu-16c", "count": 1, "detector_cores": 12},
                                "portal": {"server": "cpu-16c", "count": 1}, "nic": "nic-10g",
                                "disk": "hdd-16tb"}}}


@pytest.fixture
def small():
    return copy.deepcopy(SMALL)


@pytest.fixture(scope="session")
def cal():
    from simulator.calibration import load_calibration
    return load_calibration()
