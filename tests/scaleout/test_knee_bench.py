"""Bench: the knee of a run across two stand-in hosts against a local run of the same cameras.

The same scenario runs twice, back to back: once with its fleet local (one media server on loopback),
once with the cameras split over two network namespaces and read through a fleet manifest. Where the
knee lands may move by one step only where the trials of that step disagreed (some passed, some
failed): that is the run's own trial spread. Figures go to ``results/scaleout-knee-*.json``.
"""
from __future__ import annotations

import json
import os
import time

import pytest

from benchmarks.deploy.manifest import FleetManifest, write_manifest
from common.resultmeta import REPO_ROOT, stamp, write_json_atomic
from tests.scaleout.multihost import REPO, run_cli, start_shards

SCENARIO = REPO / "tests" / "scaleout" / "knee.yaml"

pytestmark = pytest.mark.bench


def _summary(data: dict) -> dict:
    steps = []
    for s in data["steps"]:
        shares = [t["metrics"].get("analysed_share_min") for t in s["trials"] if not t["partial"]]
        steps.append({"cameras": s["load"]["cameras"], "ok": s["verdict"]["ok"],
                      "fail_shares": s["verdict"].get("fail_shares", {}), "analysed_share_min": shares})
    knee = data.get("knee") or {}
    return {"knee": knee.get("value"), "binding_slo": knee.get("binding_slo"), "steps": steps}


def _split(summary: dict, cameras: int) -> bool:
    """Whether the trials of the step at ``cameras`` disagreed (some SLO failed in some, not all, trials)."""
    step = next((s for s in summary["steps"] if s["cameras"] == cameras), None)
    return step is not None and any(0 < v < 1 for v in step["fail_shares"].values())


def test_knee_across_two_hosts_matches_a_local_run_of_the_same_cameras(stand_in_hosts, tmp_path):
    load_before = os.getloadavg()
    t0 = time.monotonic()
    run_cli("run", str(SCENARIO), "--out", str(tmp_path), "--run-id", "local", "--free-ports",
            "--no-model-check", "--no-city-scale", timeout=1500)
    local = json.loads((tmp_path / "local" / "results.json").read_text())
    t_local = time.monotonic() - t0

    shard_hosts = [stand_in_hosts.add("a"), stand_in_hosts.add("b")]
    manifest = FleetManifest(shards=start_shards(stand_in_hosts, shard_hosts, SCENARIO, tmp_path))
    write_manifest(manifest, tmp_path / "fleet-manifest.json")
    t1 = time.monotonic()
    run_cli("run", str(SCENARIO), "--remote", str(tmp_path / "fleet-manifest.json"), "--out", str(tmp_path),
            "--run-id", "remote", "--free-ports", "--no-model-check", "--no-city-scale", timeout=1500)
    remote = json.loads((tmp_path / "remote" / "results.json").read_text())
    t_remote = time.monotonic() - t1

    a, b = _summary(local), _summary(remote)
    health = [{k: v for k, v in t["metrics"].items() if k.startswith("shard.") and k.endswith(
        ("cameras_online", "cameras_ready"))} for s in remote["steps"] for t in s["trials"]]
    out = {**stamp("scaleout-knee", 1), "scenario": str(SCENARIO.relative_to(REPO)), "local": a, "remote": b,
           "remote_shard_health": health, "wall_s": {"local": round(t_local, 1), "remote": round(t_remote, 1)},
           "loadavg_before": load_before, "loadavg_after": os.getloadavg()}
    write_json_atomic(REPO_ROOT / "results" / f"scaleout-knee-{time.strftime('%Y%m%dT%H%M%S')}.json", out)
    print(json.dumps({k: out[k] for k in ("local", "remote", "wall_s")}, indent=1))

    for trial in health:                           # every shard reported every camera of the step ready
        for key, online in trial.items():
            if key.endswith("cameras_online"):
                assert trial[key.replace("online", "ready")] == online, trial
    if a["knee"] == b["knee"]:
        return
    step, last = 2, 8                               # knee.yaml's cameras axis: 2, 4, 6, 8
    lo, hi = sorted(k if k is not None else last + step for k in (a["knee"], b["knee"]))   # no knee: past the last
    assert hi - lo == step, f"knees differ by more than one step: local {a['knee']}, remote {b['knee']}"
    assert _split(a, lo) or _split(b, lo), "the knees differ at a step whose trials agreed"
