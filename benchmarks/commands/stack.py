"""``tilikbench stack up|stats``: run the ingest-and-analytics stack on a scenario's cameras."""
from __future__ import annotations

import argparse
import contextlib
import json
import os
import time
from pathlib import Path

from common.errors import InputError
from common.manifest import MANIFEST_FILE, read_manifest


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("stack", help="the ingest and analytics stack (RTSP -> detect -> track -> rules -> store)")
    ssub = p.add_subparsers(dest="stack_command", metavar="ACTION", required=True)
    u = ssub.add_parser("up", help="ingest the scenario's cameras until Ctrl-C or --duration")
    u.add_argument("scenario", help="scenario YAML (its stack: section; defaults when absent)")
    u.add_argument("--with-cameras", action="store_true",
                   help="start the scenario's camera fleet too (otherwise ingest the cameras of --manifest)")
    u.add_argument("--manifest", type=Path, default=None,
                   help="camera manifest of a fleet already running (default: the one `cameras up` wrote, "
                        "STATE_DIR/camera-manifest.json with STATE_DIR .state or $TILIKBENCH_STATE_DIR)")
    u.add_argument("--run-dir", default="results/stack", help="stats, worker logs and plan go here")
    u.add_argument("--duration", type=float, default=0.0, help="seconds to run (0: until Ctrl-C)")
    u.add_argument("--workers", type=int, help="override stack.workers")
    u.add_argument("--store", help="override stack.store (event-store DSN)")
    u.add_argument("--rtsp-port", type=int, help="override cameras.rtsp_port")
    u.add_argument("--free-ports", action="store_true",
                   help="with --with-cameras: serve the cameras on free loopback ports instead of the scenario's")
    u.add_argument("--cache-dir", type=Path, default=Path("cache"), help="footage cache (default: cache)")
    u.add_argument("--every", type=float, default=5.0, help="print a summary every N seconds, default 5")
    u.set_defaults(func=run_up)
    s = ssub.add_parser("stats", help="print the stats snapshot of a running or finished stack")
    s.add_argument("--run-dir", default="results/stack")
    s.set_defaults(func=run_stats)


def _summary(s: dict) -> str:
    t = s["totals"]
    return (f"cameras {t['online']}/{t['cameras']} online, frames in {t['frames_in']}, analysed "
            f"{t['frames_analysed']}, dropped {t['dropped']}, reconnects {t['reconnects']}, events {t['events']}, "
            f"lag {t['lag_ms']} ms, decode {t['decode_ms']} ms/frame")


def _default_manifest() -> Path:
    return Path(os.environ.get("TILIKBENCH_STATE_DIR", ".state")) / MANIFEST_FILE


def run_up(args: argparse.Namespace) -> int:
    from analytics.config import StackConfig
    from analytics.detect.factory import check_weights
    from analytics.ingest.camera import from_manifest
    from analytics.ingest.stack import Stack
    from benchmarks.scenario import load_scenario
    sc = load_scenario(args.scenario)
    if sc.stack is not None and not isinstance(sc.stack, StackConfig):
        raise InputError(f"the scenario's stack is an external system ({sc.stack.name}); `stack up` runs the "
                         "built-in stack, `tilikbench run` drives an external one",
                         where=f"{args.scenario}: stack.type")
    cfg = sc.stack or StackConfig()
    upd = {}
    if args.workers:
        upd["workers"] = args.workers
    if args.store:
        upd["store"] = args.store
    if upd:
        cfg = StackConfig.model_validate({**cfg.model_dump(mode="json"), **upd})
    fleet_cfg = sc.cameras
    if args.rtsp_port:
        fleet_cfg = fleet_cfg.model_copy(update={"rtsp_port": args.rtsp_port})
    if args.free_ports:
        from common.netguard import free_port
        fleet_cfg = fleet_cfg.model_copy(update={"rtsp_port": free_port(), "api_port": free_port()})
    check_weights(cfg.detector.weights)      # a config error is named before any camera is started or read
    with contextlib.ExitStack() as es:
        if args.with_cameras:
            from fake_cameras.fleet import Fleet
            fleet = es.enter_context(Fleet(fleet_cfg, seed=sc.seed, cache_dir=args.cache_dir))
            print(f"starting {len(fleet.cameras)} cameras ...")
            fleet.start()
            cams = from_manifest(fleet.manifest())
        else:
            cams = from_manifest(read_manifest(args.manifest or _default_manifest()))
        if not cams:
            raise InputError("the scenario declares no cameras", where=f"{args.scenario}: cameras.classes")
        stack = es.enter_context(Stack(cfg, cams, Path(args.run_dir)))
        stack.start()
        print(f"stack up: {len(cams)} cameras, {stack.n} worker(s), store {cfg.store}, "
              f"detector {cfg.detector.type} {cfg.detector.weights} @ {cfg.detector.imgsz}; "
              f"stats: {Path(args.run_dir) / 'stats.json'}")
        t_end = time.monotonic() + args.duration if args.duration > 0 else None
        try:
            while t_end is None or time.monotonic() < t_end:
                time.sleep(min(args.every, max(0.1, (t_end - time.monotonic()) if t_end else args.every)))
                print(_summary(stack.stats()), flush=True)
        except KeyboardInterrupt:
            print("stopping ...")
        final = stack.stats()
    print("final: " + _summary(final))
    for cid, c in sorted(final["cameras"].items()):
        print(f"  {cid:<14} {c['status']:<10} in {c['frames_in']:>6} analysed {c['frames_analysed']:>5} "
              f"dropped {c['dropped']:>4} reconnects {c['reconnects']:>2} events {c['events']:>4} "
              f"{'; '.join(f'{k}: {v}' for k, v in c['rules'].items() if v != 'active')}")
    return 0


def run_stats(args: argparse.Namespace) -> int:
    p = Path(args.run_dir) / "stats.json"
    if not p.is_file():
        raise InputError("no stats snapshot (is a stack running with this --run-dir?)", where=str(p))
    print(json.dumps(json.loads(p.read_text()), indent=1))
    return 0
