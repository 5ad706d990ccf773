"""``tilikbench deploy kubernetes``: manifests that run a scenario's camera fleet and viewer load on a
cluster (StatefulSet of fleet shards, headless Service, Locust master and workers, ConfigMap)."""
from __future__ import annotations

import argparse
import re
from pathlib import Path

import yaml

from benchmarks.deploy.kubernetes import DeployOptions, kubernetes_objects, manifest_of
from benchmarks.deploy.manifest import write_manifest
from benchmarks.deploy.validate import KUBERNETES_VERSION, check_objects
from benchmarks.scenario import load_scenario
from common.atomic import write_text_atomic
from common.errors import InputError

DNS_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("deploy", help="generate deployment manifests for running on several hosts")
    dsub = p.add_subparsers(dest="deploy_target", metavar="TARGET", required=True)
    k = dsub.add_parser("kubernetes", help="Kubernetes manifests: fleet StatefulSet, headless Service, Locust")
    k.add_argument("scenario", help="scenario YAML file")
    k.add_argument("--shards", type=int, required=True, help="fleet pods (the scenario's cameras split N ways)")
    k.add_argument("--out", type=Path, required=True, help="folder for the manifests (created)")
    k.add_argument("--image", default="tilikbench:latest", help="container image built from the Dockerfile")
    k.add_argument("--namespace", default="tilikbench", help="Kubernetes namespace (default: %(default)s)")
    k.add_argument("--portal-url", default=None,
                   help="the portal the Locust workers load (default: http://portal.NAMESPACE.svc.cluster.local:8080)")
    k.add_argument("--locust-workers", type=int, default=None,
                   help="Locust workers (default: from the peak viewers and the measured cost per request)")
    k.add_argument("--kubernetes-version", default=KUBERNETES_VERSION,
                   help="validate against this Kubernetes release's schemas (default: %(default)s)")
    k.set_defaults(func=run_kubernetes)


def run_kubernetes(args: argparse.Namespace) -> int:
    if not DNS_LABEL.fullmatch(args.namespace):
        raise InputError(f"{args.namespace!r} is not a Kubernetes namespace name (lower-case letters, digits "
                         "and '-', at most 63, starting and ending with a letter or digit)", where="--namespace")
    if args.portal_url is not None and not args.portal_url.startswith(("http://", "https://")):
        raise InputError(f"expected an http:// or https:// URL, got {args.portal_url!r}", where="--portal-url")
    if args.locust_workers is not None and args.locust_workers < 1:
        raise InputError("must be >= 1", where="--locust-workers")
    scenario = load_scenario(args.scenario)
    portal = args.portal_url or f"http://portal.{args.namespace}.svc.cluster.local:8080"
    opts = DeployOptions(shards=args.shards, image=args.image, namespace=args.namespace, portal_url=portal,
                         locust_workers=args.locust_workers)
    objects = kubernetes_objects(scenario, opts)
    check_objects(objects, args.kubernetes_version)          # before anything is written
    args.out.mkdir(parents=True, exist_ok=True)
    for name, docs in objects.items():
        write_text_atomic(args.out / name, yaml.safe_dump_all(docs, sort_keys=False, allow_unicode=True))
    manifest = manifest_of(objects)
    write_manifest(manifest, args.out / "fleet-manifest.json")
    n = sum(len(s.cameras) for s in manifest.shards)
    sizes = sorted(len(s.cameras) for s in manifest.shards)
    stateful = objects["20-cameras.yaml"][1]["spec"]["template"]["spec"]["containers"][0]["resources"]
    workers = objects["30-locust.yaml"][2]["spec"]["replicas"]
    print(f"{n} cameras on {len(manifest.shards)} fleet pods ({sizes[0]}-{sizes[-1]} each), "
          f"requests {stateful['requests']['cpu']} CPU / {stateful['requests']['memory']} per pod; "
          f"{workers} Locust worker(s)")
    print(f"validated against Kubernetes {args.kubernetes_version}; wrote {', '.join(objects)} and "
          f"fleet-manifest.json to {args.out}")
    print(f"apply: kubectl apply -f {args.out}")
    return 0
