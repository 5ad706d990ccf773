"""A run across stand-in hosts on one machine: two fleet shards and a Locust master with a worker,
each in its own network namespace, driven from the root namespace through a fleet manifest."""
from __future__ import annotations

import ipaddress

import pytest

from benchmarks.runner.context import RunContext
from benchmarks.runner.driver import RunOptions, ScenarioRun
from benchmarks.scenario import load_scenario
from tests.scaleout.multihost import REPO, multihost_manifest
from tests.scaleout.netns import StandInHosts, leftovers

SCENARIO = REPO / "tests" / "scaleout" / "two-hosts.yaml"
STAND_INS = ipaddress.ip_network("10.231.0.0/16")

pytest.importorskip("analytics.ingest.stack")


def test_a_run_reads_cameras_on_two_hosts_and_steps_load_workers_on_a_third(stand_in_hosts, tmp_path):
    hosts: StandInHosts = stand_in_hosts
    scenario = load_scenario(SCENARIO)
    manifest = multihost_manifest(hosts, SCENARIO, scenario.load.model_dump(mode="json"), tmp_path)
    load_host = next(h for h in hosts.hosts if h.label == "l")
    scenario = scenario.model_copy(update={"portal": scenario.portal.model_copy(update={"host": load_host.peer})})
    before = {h.label: hosts.veth_bytes(h) for h in hosts.hosts}

    run = ScenarioRun(scenario, str(SCENARIO), RunOptions(out=tmp_path / "results", run_id="multi", free_ports=True,
                                                          model_check=False, city_scale=False, remote=manifest),
                      RunContext(run_dir=tmp_path))
    data = run.execute()

    assert data["complete"] is True and data["wired"] == {"fleet": "wired", "stack": "wired", "portal": "wired",
                                                          "load": "wired"}
    assert [s["verdict"]["ok"] for s in data["steps"]] == [True, True], data["steps"]
    # every camera is read at an address of a stand-in host, never on this machine's own
    shards = [h for h in data["hosts"] if h["role"] == "camera shard"]
    assert {h["name"] for h in shards} == {"host-a", "host-b"}
    for h in shards:
        assert ipaddress.ip_address(h["rtsp_base"].split("//")[1].split(":")[0]) in STAND_INS
    # per-shard camera health: round-robin puts one of the first two cameras and two of four on each
    first, second = (s["trials"][0]["metrics"] for s in data["steps"])
    for name in ("host-a", "host-b"):
        assert first[f"shard.{name}.cameras_online"] == 1 and first[f"shard.{name}.cameras_ready"] == 1
        assert second[f"shard.{name}.cameras_online"] == 2 and second[f"shard.{name}.cameras_ready"] == 2
        assert second[f"shard.{name}.readers"] >= 2, "the stack reads each online camera of the shard"
        assert second[f"shard.{name}.mbps"] > 0.1 and second[f"shard.{name}.cpu_pct"] > 0
    assert second["stream_loss"] == 0.0 and second["analysed_fps_min"] > 0
    # viewer load came from the worker on the third host, through the run's portal
    assert second["load_workers"] == 1 and second["load_worker.0.users"] == 3
    assert second["viewer_rps"] > 0 and second["portal_error_rate"] <= 0.05
    assert "viewer_rps" not in first, "a step without viewers runs no load"
    # and the traffic crossed the veth pairs: video out of both shards, requests out of the load host
    for h in hosts.hosts:
        rx, _ = hosts.veth_bytes(h)
        assert rx - before[h.label][0] > (500_000 if h.label != "l" else 10_000), h.label


def test_stand_in_hosts_leave_nothing_behind_even_when_the_test_fails():
    from tests.scaleout.netns import netns_available
    why = netns_available()
    if why is not None:
        pytest.skip(why)
    hosts = StandInHosts()
    with pytest.raises(RuntimeError, match="a failing test"):
        with hosts:
            a = hosts.add("a")
            p = hosts.spawn(a, ["sleep", "60"], REPO / "cache" / f"{hosts.prefix}.log")
            assert leftovers(hosts.prefix), "namespace and veth exist while in use"
            raise RuntimeError("a failing test")
    assert p.poll() is not None, "the process in the namespace was stopped by PID"
    assert leftovers(hosts.prefix) == []
    (REPO / "cache" / f"{hosts.prefix}.log").unlink(missing_ok=True)
