"""A run across stand-in hosts on one machine: two fleet shards and a Locust master with a worker,
each in its own network namespace, driven from the root namespace through a fleet manifest."""
from __future__ import annotations

import ipaddress
import json

import pytest
import yaml

from benchmarks.deploy.manifest import write_manifest
from tests.scaleout.multihost import REPO, multihost_manifest, run_cli
from tests.scaleout.netns import StandInHosts, leftovers, netns_available

SCENARIO = REPO / "tests" / "scaleout" / "two-hosts.yaml"
STAND_INS = ipaddress.ip_network("10.231.0.0/16")



def test_a_run_reads_cameras_on_two_hosts_and_steps_load_workers_on_a_third(stand_in_hosts, tmp_path):
    hosts: StandInHosts = stand_in_hosts
    doc = yaml.safe_load(SCENARIO.read_text())
    manifest = multihost_manifest(hosts, SCENARIO, doc["load"], tmp_path)
    load_host = next(h for h in hosts.hosts if h.label == "l")
    doc["portal"]["host"] = load_host.peer            # where the workers reach the run's portal
    scenario = tmp_path / "two-hosts.yaml"
    scenario.write_text(yaml.safe_dump(doc))
    write_manifest(manifest, tmp_path / "fleet-manifest.json")
    before = {h.label: hosts.veth_bytes(h) for h in hosts.hosts}

    out = run_cli("run", str(scenario), "--remote", str(tmp_path / "fleet-manifest.json"), "--out",
                  str(tmp_path / "results"), "--run-id", "multi", "--free-ports", "--no-model-check",
                  "--no-city-scale")
    data = json.loads((tmp_path / "results" / "multi" / "results.json").read_text())

    assert data["complete"] is True and data["wired"] == {"fleet": "wired", "stack": "wired", "portal": "wired",
                                                          "load": "wired"}
    assert [s["verdict"]["ok"] for s in data["steps"]] == [True, True], out
    # every camera is read at an address of a stand-in host, never on this machine's own
    shards = [h for h in data["hosts"] if h["role"] == "camera shard"]
    assert {h["name"] for h in shards} == {"host-a", "host-b"}
    for h in shards:
        assert ipaddress.ip_address(h["rtsp_base"].split("//")[1].split(":")[0]) in STAND_INS
    # per-shard camera health: round-robin puts two of the four cameras on each host
    first, second = (s["trials"][0]["metrics"] for s in data["steps"])
    for name in ("host-a", "host-b"):
        for m in (first, second):
            assert m[f"shard.{name}.reachable"] == 1
            assert m[f"shard.{name}.cameras_online"] == 2 and m[f"shard.{name}.cameras_ready"] == 2
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


def test_stand_in_hosts_leave_nothing_behind_even_when_the_test_fails(tmp_path):
    why = netns_available()
    if why is not None:
        pytest.skip(why)
    hosts = StandInHosts()
    with pytest.raises(RuntimeError, match="a failing test"), hosts:
        a = hosts.add("a")
        p = hosts.spawn(a, ["sleep", "60"], tmp_path / "sleep.log")
        assert leftovers(hosts.prefix), "namespace and veth exist while in use"
        raise RuntimeError("a failing test")
    assert p.poll() is not None, "the process in the namespace was stopped by PID"
    assert leftovers(hosts.prefix) == []
