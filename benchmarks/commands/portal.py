"""``tilikbench portal up SCENARIO``: the portal stand-in over a scenario's cameras;
``tilikbench portal down [SCENARIO]``: stop it (also after its ``up`` was killed)."""
from __future__ import annotations

import argparse
import os
import signal
import sys
import time
from pathlib import Path

from analytics.config import StackConfig
from analytics.portal.catalogue import camera_records
from analytics.portal.config import PortalConfig
from analytics.portal.owner import stop_portal
from analytics.portal.serve import PortalServer
from benchmarks.scenario import load_scenario
from common.errors import ExitCode, InputError
from fake_cameras.fleet import Fleet, read_info, stop_fleet

DEFAULT_STATE_DIR = Path(os.environ.get("TILIKBENCH_STATE_DIR", ".state"))


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("portal", help="run the portal stand-in (catalogue, HLS live view, snapshots, events)")
    psub = p.add_subparsers(dest="portal_command", metavar="ACTION", required=True)
    up = psub.add_parser("up", help="start the portal (and the scenario's cameras unless --cameras-running)")
    up.add_argument("scenario", help="scenario YAML file (its portal: section; defaults if absent)")
    up.add_argument("--port", type=int, default=None, help="portal port (default: portal.port, 8080)")
    up.add_argument("--workers", type=int, default=None, help="uvicorn worker processes (default: portal.workers)")
    up.add_argument("--cameras-running", action="store_true",
                    help="the cameras are already up (`tilikbench cameras up`); only list them, start none")
    up.add_argument("--state-dir", type=Path, default=DEFAULT_STATE_DIR,
                    help="fleet state directory (default: .state, or $TILIKBENCH_STATE_DIR)")
    up.add_argument("--cache-dir", type=Path, default=Path("cache"), help="footage cache (default: cache)")
    up.add_argument("--duration", type=float, default=None, metavar="S", help="stop after S seconds")
    up.set_defaults(func=run_up)
    down = psub.add_parser("down", help="stop the portal of a state dir (and the cameras its `up` started), "
                                        "also when that `up` was killed")
    down.add_argument("scenario", nargs="?", help="scenario YAML whose portal.state_dir to use "
                                                  f"(default: {PortalConfig().state_dir})")
    down.set_defaults(func=run_down)


def _raise_interrupt(signum, frame) -> None:
    raise KeyboardInterrupt


def run_up(args: argparse.Namespace) -> int:
    scenario = load_scenario(args.scenario)
    cfg = scenario.portal or PortalConfig()
    updates = {}
    if args.port is not None:
        if not 1 <= args.port <= 65535:
            raise InputError(f"port must be 1..65535, got {args.port}", where="--port")
        updates["port"] = args.port
    if args.workers is not None:
        if not 1 <= args.workers <= 64:
            raise InputError(f"workers must be 1..64, got {args.workers}", where="--workers")
        updates["workers"] = args.workers
    if args.duration is not None and args.duration <= 0:
        raise InputError("must be > 0", where="--duration")
    if cfg.events_dsn is None:      # the events the scenario's stack writes
        updates["events_dsn"] = scenario.stack.store if isinstance(scenario.stack, StackConfig) \
            else "sqlite:///results/events.db"
    fleet_cfg = scenario.cameras
    if fleet_cfg.backend == "mediamtx" and cfg.mediamtx_hls_url is None:
        updates["mediamtx_hls_url"] = f"http://{fleet_cfg.host}:{fleet_cfg.hls_port}"
    cfg = cfg.model_copy(update=updates)
    if cfg.events_dsn and cfg.events_dsn.startswith("sqlite:///"):
        Path(cfg.events_dsn[len("sqlite:///"):]).parent.mkdir(parents=True, exist_ok=True)
    signal.signal(signal.SIGTERM, _raise_interrupt)
    fleet = Fleet(fleet_cfg, seed=scenario.seed, cache_dir=args.cache_dir, state_dir=args.state_dir)
    try:
        if not args.cameras_running:
            t0 = time.monotonic()
            fleet.start()
            print(f"{len(fleet.cameras)} cameras up ({fleet_cfg.backend}) in {time.monotonic() - t0:.1f}s")
        with PortalServer(cfg, camera_records(fleet.cameras),
                          fleet_state_dir=None if args.cameras_running else args.state_dir) as server:
            hls = cfg.mediamtx_hls_url or "ffmpeg stream copy, on demand"
            print(f"portal up at {server.url} ({cfg.workers} workers, {len(fleet.cameras)} cameras, HLS: {hls})")
            print(f"  {server.url}/api/groups  {server.url}/api/cameras?q=...  {server.url}/metrics")
            sys.stdout.flush()
            t0 = time.monotonic()
            try:
                while args.duration is None or time.monotonic() - t0 < args.duration:
                    time.sleep(0.5)
                    if not server.proc.alive():
                        print("portal exited; see " + str(server.log_file), file=sys.stderr)
                        return int(ExitCode.RESOURCE)
            except KeyboardInterrupt:
                print("\nstopping portal")
                return int(ExitCode.INTERRUPTED) if args.duration is None else 0
    finally:
        fleet.stop()
    return 0


def run_down(args: argparse.Namespace) -> int:
    cfg = (load_scenario(args.scenario).portal if args.scenario else None) or PortalConfig()
    state = Path(cfg.state_dir)
    n, info = stop_portal(state)
    fleet_dir = info.get("fleet_state_dir") if info else None
    if fleet_dir:
        fleet = read_info(Path(fleet_dir))
        if fleet is None or fleet.get("owner_pid") == info.get("owner_pid"):   # the cameras that `up` started
            n += stop_fleet(Path(fleet_dir))
    print(f"stopped {n} process(es) of the portal in {state}" if n else f"no portal was running in {state}")
    return 0
