"""``tilikbench deploy kubernetes``: manifests for the fleet and Locust on a cluster, validated offline
against the Kubernetes schemas that kubernetes-validate ships."""
from __future__ import annotations

import contextlib
import io
import json

import kubernetes_validate
import pytest
import yaml

from benchmarks.cli import main
from benchmarks.deploy.manifest import FleetManifest
from benchmarks.deploy.resources import SERVING_CORES_PER_CAMERA, shard_resources
from benchmarks.deploy.validate import KUBERNETES_VERSION, validation_errors
from fake_cameras.config import FleetConfig
from fake_cameras.fleet import Fleet, in_shard
from tests.scaleout.multihost import REPO

SEMARANG = REPO / "scenarios" / "semarang-2024.yaml"


@pytest.fixture(scope="module")
def semarang_20(tmp_path_factory):
    out = tmp_path_factory.mktemp("k8s")
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        assert main(["deploy", "kubernetes", str(SEMARANG), "--shards", "20", "--out", str(out)]) == 0
    text = buf.getvalue()
    docs = {p.name: list(yaml.safe_load_all(p.read_text())) for p in sorted(out.glob("*.yaml"))}
    return out, text, docs


def _kind(docs, kind: str, name: str) -> dict:
    return next(o for objs in docs.values() for o in objs if o["kind"] == kind and o["metadata"]["name"] == name)


def test_semarang_2024_at_20_shards_validates_against_the_kubernetes_schemas(semarang_20):
    _, text, docs = semarang_20
    assert f"validated against Kubernetes {KUBERNETES_VERSION}" in text
    assert sum(len(v) for v in docs.values()) == 7      # namespace, config, service + set, master + service + workers
    for objs in docs.values():                            # again here, strictly, each object as written
        for obj in objs:
            kubernetes_validate.validate(obj, KUBERNETES_VERSION, strict=True)


def test_the_fleet_is_a_statefulset_whose_pod_ordinal_is_the_shard_behind_a_headless_service(semarang_20):
    _, _, docs = semarang_20
    svc, sts = _kind(docs, "Service", "cameras"), _kind(docs, "StatefulSet", "cameras")
    assert svc["spec"]["clusterIP"] == "None" and sts["spec"]["serviceName"] == "cameras"
    assert sts["spec"]["replicas"] == 20
    command = sts["spec"]["template"]["spec"]["containers"][0]["command"][-1]
    assert '--shard "${POD_NAME##*-}/20"' in command and '--advertise-host "$ADVERTISE_HOST"' in command
    env = {e["name"]: e for e in sts["spec"]["template"]["spec"]["containers"][0]["env"]}
    assert env["POD_NAME"]["valueFrom"]["fieldRef"]["fieldPath"] == "metadata.name"
    assert env["ADVERTISE_HOST"]["value"] == "$(POD_NAME).cameras.tilikbench.svc.cluster.local"


def test_the_configmap_holds_the_camera_manifest_every_camera_once_on_its_shard(semarang_20):
    out, _, docs = semarang_20
    cm = _kind(docs, "ConfigMap", "tilikbench-config")
    assert sum(len(k) + len(v.encode()) for k, v in cm["data"].items()) < 1024 * 1024
    manifest = FleetManifest.model_validate_json(cm["data"]["fleet-manifest.json"])
    assert manifest == FleetManifest.model_validate_json((out / "fleet-manifest.json").read_text())
    ids = yaml.safe_load(cm["data"]["scenario.yaml"])["cameras"]["classes"]
    all_ids = [f"{c['name']}-{i:04d}" for c in ids for i in range(1, c["count"] + 1)]
    assert len(all_ids) == 14_000 and sorted(manifest.camera_urls()) == sorted(all_ids)
    for shard in manifest.shards[:3]:
        assert shard.rtsp_base == f"rtsp://cameras-{shard.shard}.cameras.tilikbench.svc.cluster.local:8554"
        assert all(in_shard(cid, all_ids.index(cid), (shard.shard, 20)) for cid in shard.cameras[:50])


def test_locust_runs_as_a_master_with_workers_and_the_pods_carry_requests_and_limits(semarang_20):
    _, _, docs = semarang_20
    master = _kind(docs, "Deployment", "locust-master")["spec"]["template"]["spec"]["containers"][0]
    workers = _kind(docs, "Deployment", "locust-worker")
    worker_cmd = workers["spec"]["template"]["spec"]["containers"][0]["command"]
    assert "--master" in master["command"] and "--worker" in worker_cmd
    assert worker_cmd[worker_cmd.index("--master-host") + 1] == "locust-master.tilikbench.svc.cluster.local"
    for name in ("cameras",):
        res = _kind(docs, "StatefulSet", name)["spec"]["template"]["spec"]["containers"][0]["resources"]
        req, lim = res["requests"], res["limits"]
        assert int(lim["cpu"].rstrip("m")) == pytest.approx(2 * int(req["cpu"].rstrip("m")), abs=1)
        # about 700 cameras per pod, mostly rt-360p10: near 700 x the measured 2 millicores per camera
        assert 1000 < int(req["cpu"].rstrip("m")) < 2500


def test_shard_resources_follow_the_measured_serving_cost_per_camera_and_bitrate():
    fleet = FleetConfig.model_validate({"classes": [
        {"name": "rt", "count": 200, "group": "CCTV RT", "profile": "rt-360p10"},
        {"name": "atcs", "count": 100, "group": "ATCS", "profile": "atcs-720p15"}]})
    rt = shard_resources(fleet, {f"rt-{i:04d}" for i in range(1, 201)})
    atcs = shard_resources(fleet, {f"atcs-{i:04d}" for i in range(1, 101)})
    assert rt.cpu_cores == pytest.approx(200 * SERVING_CORES_PER_CAMERA)        # the bench's 0.396 cores
    assert atcs.cpu_cores / rt.cpu_cores == pytest.approx(100 * 1536 / (200 * 384))   # scales with bitrate


def test_validation_names_the_object_and_field_of_a_misspelt_key(semarang_20):
    _, _, docs = semarang_20
    broken = json.loads(json.dumps(docs))
    broken["20-cameras.yaml"][1]["spec"]["template"]["spec"]["containers"][0]["imagePullPolice"] = "Always"
    errors = validation_errors(broken)
    assert len(errors) == 1 and "20-cameras.yaml[1] StatefulSet/cameras" in errors[0]
    assert "imagePullPolice" in errors[0]


def test_more_shards_than_cameras_is_refused_and_nothing_is_written(tmp_path, tilikbench_cli, capsys):
    code = tilikbench_cli("deploy", "kubernetes", str(REPO / "scenarios" / "smoke.yaml"), "--shards", "10",
                          "--out", str(tmp_path / "k"))
    err = capsys.readouterr().err
    assert code == 2 and "--shards" in err and "of 10 shards would serve no camera" in err
    assert not (tmp_path / "k").exists()


def test_a_pod_binds_every_address_and_names_its_stable_dns_name_in_camera_urls():
    fleet = FleetConfig.model_validate({"host": "0.0.0.0", "advertise_host": "cameras-3.cameras.tilikbench.svc",
                                        "classes": [{"name": "rt", "count": 2, "group": "CCTV RT",
                                                     "profile": "rt-360p10"}]})
    f = Fleet(fleet)
    assert f.config.host == "0.0.0.0"
    assert [c.url for c in f.cameras] == [f"rtsp://cameras-3.cameras.tilikbench.svc:8554/rt-000{i}" for i in (1, 2)]
    assert f.api_url == "http://cameras-3.cameras.tilikbench.svc:9997"


@pytest.mark.parametrize("flag, value, why", [("--namespace", "Tilik_Bench", "not a Kubernetes namespace name"),
                                               ("--portal-url", "portal:8080", "expected an http:// or https:// URL"),
                                               ("--shards", "0", "need at least one shard")])
def test_bad_options_are_named_before_anything_is_written(tmp_path, tilikbench_cli, capsys, flag, value, why):
    code = tilikbench_cli("deploy", "kubernetes", str(SEMARANG), "--shards", "20", "--out", str(tmp_path / "k"),
                          flag, value)
    err = capsys.readouterr().err
    assert code == 2 and flag in err and why in err
    assert not (tmp_path / "k").exists()
