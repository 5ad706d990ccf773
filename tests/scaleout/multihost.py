"""A fleet sharded over stand-in hosts and Locust in another, as a fleet manifest for the runner.

Each shard runs ``tilikbench cameras up --shard K/N --host ADDRESS`` inside its own namespace; the
load host runs a Locust master (web mode) and its workers. The runner, in the root namespace, reads
the cameras at the namespaces' addresses and steps the master over its API; the portal it starts
listens on the load host's peer address, where the workers reach it.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from benchmarks.deploy.manifest import FleetManifest, LoadWorkers, shard_from_fleet_info
from benchmarks.load.config import MAX_RUN_TIME_S
from benchmarks.load.runner import LOCUSTFILE
from benchmarks.load.settings import CONFIG_ENV
from fake_cameras.fleet import read_info
from tests.scaleout.netns import StandInHost, StandInHosts

REPO = Path(__file__).resolve().parents[2]
RTSP_PORT, API_PORT, LOCUST_WEB_PORT, LOCUST_MASTER_PORT = 8554, 9997, 8089, 5557


def run_cli(*args: str, timeout: float = 300.0) -> str:
    """``tilikbench ARGS`` from the repository root (as a user runs it); its output, or a failure with it."""
    r = subprocess.run([sys.executable, "-m", "benchmarks.cli", *args], cwd=REPO, capture_output=True, text=True,
                       timeout=timeout, env=dict(os.environ, PYTHONPATH=str(REPO)), check=False)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    return r.stdout


def start_shards(hosts: StandInHosts, shard_hosts: list[StandInHost], scenario_path: Path, work: Path,
                 timeout: float = 120.0) -> list:
    """``cameras up --shard K/N`` on each stand-in host; returns their manifest entries once all are up."""
    n = len(shard_hosts)
    dirs = []
    for k, h in enumerate(shard_hosts):
        state = work / f"shard-{h.label}"
        state.mkdir(parents=True)
        dirs.append(state)
        hosts.spawn(h, [sys.executable, "-m", "benchmarks.cli", "cameras", "up", str(scenario_path),
                        "--shard", f"{k}/{n}", "--host", h.address, "--state-dir", str(state),
                        "--cache-dir", str(REPO / "cache"), "--timeout", str(timeout)],
                    work / f"shard-{h.label}.log", env=dict(os.environ, PYTHONPATH=str(REPO)))
    deadline = time.monotonic() + timeout + 30
    entries: dict[int, object] = {}
    while len(entries) < n:
        for k, (h, state) in enumerate(zip(shard_hosts, dirs)):
            info = read_info(state)
            if k not in entries and info is not None:
                entries[k] = shard_from_fleet_info(f"host-{h.label}", info)
        if time.monotonic() > deadline:
            logs = "\n".join((work / f"shard-{h.label}.log").read_text()[-1500:] for h in shard_hosts)
            raise TimeoutError(f"shards not up after {timeout + 30:.0f}s:\n{logs}")
        time.sleep(0.2)
    return [entries[k] for k in range(n)]


def start_locust(hosts: StandInHosts, h: StandInHost, load_config: dict, work: Path, workers: int = 1) -> LoadWorkers:
    """A Locust master in web mode and its workers on the stand-in host ``h``."""
    conf = work / "load-config.json"
    conf.write_text(json.dumps({**load_config, "shape": "constant", "run_time_s": MAX_RUN_TIME_S}))
    env = dict(os.environ, PYTHONPATH=str(REPO), **{CONFIG_ENV: str(conf), "TILIK_LOAD_NO_SHAPE": "1"})
    base = [sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--loglevel", "WARNING"]
    hosts.spawn(h, base + ["--master", "--master-bind-host", h.address, "--master-bind-port", str(LOCUST_MASTER_PORT),
                           "--web-host", h.address, "--web-port", str(LOCUST_WEB_PORT)],
                work / "locust-master.log", env=env)
    for i in range(workers):
        hosts.spawn(h, base + ["--worker", "--master-host", h.address, "--master-port", str(LOCUST_MASTER_PORT)],
                    work / f"locust-worker-{i}.log", env=env)
    return LoadWorkers(master_url=f"http://{h.address}:{LOCUST_WEB_PORT}", workers=workers)


def multihost_manifest(hosts: StandInHosts, scenario_path: Path, load_config: dict | None, work: Path,
                       shards: int = 2) -> FleetManifest:
    shard_hosts = [hosts.add(chr(ord("a") + k)) for k in range(shards)]
    load = None
    if load_config is not None:
        load = start_locust(hosts, hosts.add("l"), load_config, work)
    entries = start_shards(hosts, shard_hosts, scenario_path, work)
    return FleetManifest(shards=entries, load=load)
