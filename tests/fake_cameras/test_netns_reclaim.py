"""Namespaces left by a process killed outright: every namespace and veth is recorded with its owner, and
``reclaim`` removes those whose owner is gone (and only those)."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from fake_cameras.netns import SiteUplinks, leftovers, reclaim
from tests.fake_cameras.nvr_helpers import needs_netns

REPO = Path(__file__).resolve().parents[2]
CHILD = """
import sys, time
from fake_cameras.netns import SiteUplinks
links = SiteUplinks()
up = links.add("k", rate_mbit=1)
print(links.prefix, up.veth, flush=True)
time.sleep(120)
"""


@pytest.fixture
def registry(tmp_path):
    """A registry of its own, and whatever a failed test leaves deleted by its recorded names."""
    reg = tmp_path / "netns"
    made: list[str] = []
    try:
        yield reg, made
    finally:
        for prefix in made:
            for name in leftovers(prefix):
                subprocess.run(["ip", "link", "del", name], capture_output=True, check=False)
                subprocess.run(["ip", "netns", "del", name], capture_output=True, check=False)


@needs_netns
def test_the_namespace_and_veth_of_a_killed_owner_are_reclaimed_and_a_live_ones_kept(registry):
    reg, made = registry
    env = os.environ | {"TILIKBENCH_NETNS_REGISTRY": str(reg)}
    child = subprocess.Popen([sys.executable, "-c", CHILD], cwd=REPO, env=env, stdout=subprocess.PIPE, text=True)
    try:
        prefix, veth = child.stdout.readline().split()
        made.append(prefix)
        record = json.loads((reg / f"{prefix}.json").read_text())
        assert record["owner_pid"] == child.pid and record["veth"] == [veth]
        assert len(leftovers(prefix)) == 2 + 1          # its namespace, and its veth pair (both ends listed)
        assert reclaim(reg) == [] and len(leftovers(prefix)) == 3, "a live owner's namespace stays"
        os.kill(child.pid, signal.SIGKILL)
        child.wait(timeout=10)
        assert len(leftovers(prefix)) == 3, "SIGKILL runs no clean-up"
        gone = reclaim(reg)
        assert set(gone) == {f"{prefix}-k", veth}
        assert leftovers(prefix) == [] and not (reg / f"{prefix}.json").exists()
    finally:
        if child.poll() is None:
            child.kill()
            child.wait(timeout=10)
        child.stdout.close()


@needs_netns
def test_a_new_site_uplink_set_reclaims_before_it_makes_anything(registry):
    reg, made = registry
    dead = {"owner_pid": 2 ** 22 + 7, "owner_create_time": 1.0, "netns": ["tb17dead-x"], "veth": ["tb17deadx"]}
    subprocess.run(["ip", "netns", "add", "tb17dead-x"], check=True)
    made.append("tb17dead")
    reg.mkdir(parents=True)
    (reg / "tb17dead.json").write_text(json.dumps(dead))
    with SiteUplinks(registry=reg) as links:
        made.append(links.prefix)
        links.add("a", rate_mbit=1)
        assert leftovers("tb17dead") == [] and not (reg / "tb17dead.json").exists()
        assert (reg / f"{links.prefix}.json").exists()
    assert leftovers(links.prefix) == [] and not (reg / f"{links.prefix}.json").exists()
