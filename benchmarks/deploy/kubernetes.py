"""Kubernetes manifests for a scenario's camera fleet and viewer load (``tilikbench deploy kubernetes``).

What a cluster runs, and why in this shape:

- the camera fleet as one **StatefulSet** of N pods: pod ``cameras-K`` runs ``tilikbench cameras up
  --shard K/N`` (the ordinal is the shard; the pod reads it from its name), so a restarted pod
  serves the same cameras under the same name;
- a **headless Service** over those pods, so that every camera has a stable address
  ``rtsp://cameras-K.cameras.NAMESPACE.svc.cluster.local:8554/<id>``;
- the scenario and the **fleet manifest** (which camera is on which pod) in a **ConfigMap**, which the
  pods mount and the runner reads (``tilikbench run --remote``);
- a **Locust master** (web mode, its API stepped by the runner) with a Service, and a Deployment of
  **Locust workers** connected to it: Locust's own distributed mode;
- requests and limits from the measured per-camera costs (``benchmarks.deploy.resources``).

Every object is validated against the Kubernetes schemas (``benchmarks.deploy.validate``) before any
file is written.
"""
from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from typing import Any

import yaml

from benchmarks.deploy.manifest import FleetManifest, LoadWorkers, ShardEntry
from benchmarks.deploy.resources import (
    locust_worker_resources,
    locust_workers,
    shard_resources,
)
from benchmarks.load.config import MAX_RUN_TIME_S, LoadConfig
from common.errors import InputError
from fake_cameras.fleet import in_shard

log = logging.getLogger(__name__)

CONFIGMAP_MAX_BYTES = 1024 * 1024         # the API server's limit on a ConfigMap's data
APP_DIR = "/opt/tilikbench"                # where the image installs the project (Dockerfile)
CONFIG_DIR = "/etc/tilikbench"
CACHE_DIR = "/var/cache/tilikbench"
RTSP_PORT, API_PORT, LOCUST_WEB_PORT, LOCUST_MASTER_PORT = 8554, 9997, 8089, 5557
REQUESTS_PER_VIEWER_S = 1.0   # a live viewer fetches a playlist and a 2 s segment about every 2 s


@dataclass(frozen=True)
class DeployOptions:
    shards: int
    image: str = "tilikbench:latest"
    namespace: str = "tilikbench"
    portal_url: str = "http://portal.tilikbench.svc.cluster.local:8080"
    locust_workers: int | None = None          # None: from the measured generator cost
    readers_per_camera: float = 1.0
    cache_gi: int = 2
    labels: dict[str, str] = field(default_factory=lambda: {"app.kubernetes.io/part-of": "tilikbench"})


def _meta(name: str, opts: DeployOptions, component: str) -> dict[str, Any]:
    return {"name": name, "namespace": opts.namespace,
            "labels": {**opts.labels, "app.kubernetes.io/name": name, "app.kubernetes.io/component": component}}


def _selector(name: str) -> dict[str, str]:
    return {"app.kubernetes.io/name": name}


def camera_shards(scenario, shards: int) -> list[list[str]]:
    """The camera ids of each shard, as ``cameras up --shard K/N`` splits them."""
    method = scenario.cameras.shard.method
    out: list[list[str]] = [[] for _ in range(shards)]
    for gi, cam in enumerate(scenario.cameras.camera_ids()):
        k = next(k for k in range(shards) if in_shard(cam, gi, (k, shards), method))
        out[k].append(cam)
    return out


def fleet_manifest(scenario, opts: DeployOptions, per_shard: list[list[str]], workers: int) -> FleetManifest:
    svc = f"cameras.{opts.namespace}.svc.cluster.local"
    shards = [ShardEntry(name=f"cameras-{k}", shard=k, api_url=f"http://cameras-{k}.{svc}:{API_PORT}",
                         rtsp_base=f"rtsp://cameras-{k}.{svc}:{RTSP_PORT}", cameras=cams)
              for k, cams in enumerate(per_shard) if cams]
    master = f"http://locust-master.{opts.namespace}.svc.cluster.local:{LOCUST_WEB_PORT}"
    return FleetManifest(shards=shards, load=LoadWorkers(master_url=master, target_url=opts.portal_url,
                                                         workers=workers))


def _peak_viewers(scenario) -> int:
    if scenario.run is not None and max(scenario.run.viewers) > 0:
        return max(scenario.run.viewers)
    if scenario.simulation is not None:
        return scenario.simulation.viewers.peak_concurrent
    return scenario.load.users if scenario.load is not None else LoadConfig().users


def _config_map(scenario, opts: DeployOptions, manifest: FleetManifest, load: LoadConfig) -> dict[str, Any]:
    cams = scenario.cameras.model_copy(update={"host": "0.0.0.0", "rtsp_port": RTSP_PORT, "api_port": API_PORT,
                                               "shard": scenario.cameras.shard.model_copy(
                                                   update={"index": 0, "count": opts.shards})})
    doc = scenario.model_copy(update={"cameras": cams}).model_dump(mode="json", exclude_none=True)
    data = {"scenario.yaml": yaml.safe_dump(doc, sort_keys=False, allow_unicode=True),
            "fleet-manifest.json": json.dumps(manifest.model_dump(mode="json", exclude_none=True),
                                              separators=(",", ":")),
            "load-config.json": json.dumps(load.model_dump(mode="json"))}
    size = sum(len(k) + len(v.encode()) for k, v in data.items())
    if size > CONFIGMAP_MAX_BYTES:
        raise InputError(f"the scenario and fleet manifest take {size:,} bytes, more than a ConfigMap holds "
                         f"({CONFIGMAP_MAX_BYTES:,})", where="cameras.classes")
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": _meta("tilikbench-config", opts, "config"),
            "data": data}


def _config_volume() -> tuple[dict, dict]:
    return ({"name": "config", "configMap": {"name": "tilikbench-config"}},
            {"name": "config", "mountPath": CONFIG_DIR, "readOnly": True})


def _camera_objects(scenario, opts: DeployOptions, per_shard: list[list[str]]) -> list[dict[str, Any]]:
    biggest = max(per_shard, key=len)
    res = shard_resources(scenario.cameras, set(biggest), opts.readers_per_camera)
    fqdn = f"$(POD_NAME).cameras.{opts.namespace}.svc.cluster.local"
    up = (f'exec tilikbench cameras up {CONFIG_DIR}/scenario.yaml --shard "${{POD_NAME##*-}}/{opts.shards}" '
          f'--host 0.0.0.0 --advertise-host "$ADVERTISE_HOST" --state-dir /tmp/fleet --cache-dir {CACHE_DIR}')
    command = ["sh", "-c", up]
    vol, mount = _config_volume()
    probe = {"httpGet": {"path": "/v3/paths/list?itemsPerPage=1", "port": "api"}}
    service = {"apiVersion": "v1", "kind": "Service", "metadata": _meta("cameras", opts, "camera-fleet"),
               "spec": {"clusterIP": "None", "selector": _selector("cameras"),
                        "ports": [{"name": "rtsp", "port": RTSP_PORT, "protocol": "TCP"},
                                  {"name": "api", "port": API_PORT, "protocol": "TCP"}]}}
    container = {
        "name": "cameras", "image": opts.image, "command": command, "workingDir": APP_DIR,
        "env": [{"name": "POD_NAME", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}},
                {"name": "ADVERTISE_HOST", "value": fqdn}],
        "ports": [{"name": "rtsp", "containerPort": RTSP_PORT, "protocol": "TCP"},
                  {"name": "api", "containerPort": API_PORT, "protocol": "TCP"}],
        "resources": res.as_k8s(),
        # footage is generated on the first start (cached on the pod's volume): allow for it
        "startupProbe": {**probe, "periodSeconds": 10, "failureThreshold": 90},
        "readinessProbe": {**probe, "periodSeconds": 10},
        "livenessProbe": {**probe, "periodSeconds": 20, "failureThreshold": 3},
        "volumeMounts": [mount, {"name": "footage", "mountPath": CACHE_DIR}],
    }
    stateful = {
        "apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": _meta("cameras", opts, "camera-fleet"),
        "spec": {"serviceName": "cameras", "replicas": opts.shards, "podManagementPolicy": "Parallel",
                 "selector": {"matchLabels": _selector("cameras")},
                 "template": {"metadata": {"labels": {**opts.labels, **_selector("cameras")}},
                              "spec": {"containers": [container], "volumes": [vol],
                                       "terminationGracePeriodSeconds": 15}},
                 "volumeClaimTemplates": [{"metadata": {"name": "footage"},
                                           "spec": {"accessModes": ["ReadWriteOnce"],
                                                    "resources": {"requests": {"storage": f"{opts.cache_gi}Gi"}}}}]}}
    return [service, stateful]


def _locust_objects(opts: DeployOptions, workers: int) -> list[dict[str, Any]]:
    vol, mount = _config_volume()
    env = [{"name": "TILIK_LOAD_CONFIG", "value": f"{CONFIG_DIR}/load-config.json"},
           {"name": "TILIK_LOAD_NO_SHAPE", "value": "1"}]
    locustfile = f"{APP_DIR}/benchmarks/load/locustfile.py"
    master = {"name": "locust-master", "image": opts.image, "workingDir": APP_DIR, "env": env,
              "command": ["locust", "-f", locustfile, "--master", "--master-bind-port", str(LOCUST_MASTER_PORT),
                          "--web-port", str(LOCUST_WEB_PORT), "-H", opts.portal_url],
              "ports": [{"name": "web", "containerPort": LOCUST_WEB_PORT},
                        {"name": "master", "containerPort": LOCUST_MASTER_PORT}],
              "resources": locust_worker_resources().as_k8s(),
              "readinessProbe": {"httpGet": {"path": "/", "port": "web"}, "periodSeconds": 10},
              "volumeMounts": [mount]}
    worker = {"name": "locust-worker", "image": opts.image, "workingDir": APP_DIR, "env": env,
              "command": ["locust", "-f", locustfile, "--worker", "--master-host",
                          f"locust-master.{opts.namespace}.svc.cluster.local",
                          "--master-port", str(LOCUST_MASTER_PORT)],
              "resources": locust_worker_resources().as_k8s(), "volumeMounts": [mount]}

    def deployment(name: str, replicas: int, container: dict) -> dict:
        return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": _meta(name, opts, "load"),
                "spec": {"replicas": replicas, "selector": {"matchLabels": _selector(name)},
                         "template": {"metadata": {"labels": {**opts.labels, **_selector(name)}},
                                      "spec": {"containers": [container], "volumes": [vol]}}}}
    service = {"apiVersion": "v1", "kind": "Service", "metadata": _meta("locust-master", opts, "load"),
               "spec": {"selector": _selector("locust-master"),
                        "ports": [{"name": "web", "port": LOCUST_WEB_PORT, "targetPort": "web"},
                                  {"name": "master", "port": LOCUST_MASTER_PORT, "targetPort": "master"}]}}
    return [deployment("locust-master", 1, master), service, deployment("locust-worker", workers, worker)]


def kubernetes_objects(scenario, opts: DeployOptions) -> dict[str, list[dict[str, Any]]]:
    """The objects to apply, by file name (applied in name order)."""
    if opts.shards < 1:
        raise InputError(f"need at least one shard, got {opts.shards}", where="--shards")
    per_shard = camera_shards(scenario, opts.shards)
    empty = [k for k, cams in enumerate(per_shard) if not cams]
    if empty:
        raise InputError(f"{len(empty)} of {opts.shards} shards would serve no camera (the scenario declares "
                         f"{sum(map(len, per_shard))}); use fewer shards", where="--shards")
    load = (scenario.load or LoadConfig()).model_copy(update={"shape": "constant", "run_time_s": MAX_RUN_TIME_S})
    workers = opts.locust_workers or locust_workers(_peak_viewers(scenario), REQUESTS_PER_VIEWER_S)
    manifest = fleet_manifest(scenario, opts, per_shard, workers)
    namespace = {"apiVersion": "v1", "kind": "Namespace",
                 "metadata": {"name": opts.namespace, "labels": dict(opts.labels)}}
    return {"00-namespace.yaml": [namespace],
            "10-config.yaml": [_config_map(scenario, opts, manifest, load)],
            "20-cameras.yaml": _camera_objects(scenario, opts, per_shard),
            "30-locust.yaml": _locust_objects(opts, workers)}


def manifest_of(objects: dict[str, list[dict[str, Any]]]) -> FleetManifest:
    """The fleet manifest inside generated objects (what the ConfigMap gives the runner)."""
    cm = next(o for docs in objects.values() for o in docs if o["kind"] == "ConfigMap")
    return FleetManifest.model_validate_json(cm["data"]["fleet-manifest.json"])
