"""Fixtures of the scale-out tests: stand-in hosts (network namespaces), torn down even on failure."""
from __future__ import annotations

import pytest

from tests.scaleout.netns import StandInHosts, netns_available


@pytest.fixture
def stand_in_hosts():
    why = netns_available()
    if why is not None:
        pytest.skip(why)
    hosts = StandInHosts()
    try:
        yield hosts
    finally:
        hosts.close()
