"""``tilikbench cameras up|down|status``: bring a scenario's camera fleet up, stop it, look at it."""
from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from benchmarks.scenario import load_scenario
from common.errors import ExitCode, InputError, ResourceError
from fake_cameras.backends.base import fetch_paths, readers_count
from fake_cameras.fleet import Fleet, read_info, stop_fleet

DEFAULT_STATE_DIR = Path(os.environ.get("TILIKBENCH_STATE_DIR", ".state"))


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("cameras", help="run the synthetic RTSP camera fleet of a scenario")
    csub = p.add_subparsers(dest="cameras_command", metavar="ACTION", required=True)
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--state-dir", type=Path, default=DEFAULT_STATE_DIR,
                        help="where the fleet records what it started (default: .state, or $TILIKBENCH_STATE_DIR)")

    up = csub.add_parser("up", parents=[common], help="start the cameras; Ctrl-C or --duration stops them")
    up.add_argument("scenario", help="scenario YAML file")
    up.add_argument("--shard", default=None, metavar="K/N", help="serve shard K (0-based) of N of the camera list")
    up.add_argument("--duration", type=float, default=None, metavar="S", help="stop after S seconds")
    up.add_argument("--detach", action="store_true",
                    help="start in the background and return once the cameras are ready; stop with `cameras down`")
    up.add_argument("--cache-dir", type=Path, default=Path("cache"), help="footage cache (default: cache)")
    up.add_argument("--timeout", type=float, default=120.0, help="seconds to wait for the server to be ready")
    up.add_argument("--host", default=None, help="address the media server binds (overrides cameras.host)")
    up.add_argument("--advertise-host", default=None,
                    help="address the camera URLs name, when clients reach this host by another name "
                         "(overrides cameras.advertise_host)")
    up.set_defaults(func=run_up)

    down = csub.add_parser("down", parents=[common], help="stop every process `cameras up` started")
    down.set_defaults(func=run_down)

    status = csub.add_parser("status", parents=[common], help="print the fleet's path list (ready, readers, bytes)")
    status.set_defaults(func=run_status)


def parse_shard(text: str | None) -> tuple[int, int] | None:
    if text is None:
        return None
    try:
        k, n = (int(x) for x in text.split("/"))
    except ValueError:
        raise InputError(f"expected K/N (e.g. 0/4), got {text!r}", where="--shard") from None
    if n < 1 or not 0 <= k < n:
        raise InputError(f"shard {k}/{n}: need 0 <= K < N", where="--shard")
    return k, n


def run_up(args: argparse.Namespace) -> int:
    scenario = load_scenario(args.scenario)
    shard = parse_shard(args.shard)
    if args.duration is not None and args.duration <= 0:
        raise InputError("must be > 0", where="--duration")
    if args.detach:
        return _detach(args)
    signal.signal(signal.SIGTERM, _raise_interrupt)
    cameras = scenario.cameras
    if args.host or args.advertise_host:
        cameras = cameras.model_copy(update={k: v for k, v in (("host", args.host),
                                                               ("advertise_host", args.advertise_host)) if v})
    fleet = Fleet(cameras, seed=scenario.seed, cache_dir=args.cache_dir, shard=shard,
                  state_dir=args.state_dir)
    with fleet:
        t0 = time.monotonic()
        fleet.start(timeout=args.timeout)
        cams = fleet.cameras
        print(f"{len(cams)} cameras up ({scenario.cameras.backend} backend, shard "
              f"{fleet.shard[0]}/{fleet.shard[1]}) in {time.monotonic() - t0:.1f}s; "
              f"status: {fleet.api_url}/v3/paths/list")
        for cam in cams[:20]:
            print(f"  {cam.url}  {cam.group}{' / ' + cam.kecamatan if cam.kecamatan else ''}"
                  f"{'' if cam.online else '  (offline)'}")
        if len(cams) > 20:
            print(f"  ... and {len(cams) - 20} more (`tilikbench cameras status`)")
        sys.stdout.flush()
        try:
            _watch(fleet, args.duration)
        except KeyboardInterrupt:
            print("\nstopping cameras")
            return int(ExitCode.INTERRUPTED) if args.duration is None else 0
    return 0


def _raise_interrupt(signum, frame) -> None:
    raise KeyboardInterrupt


def _watch(fleet: Fleet, duration: float | None) -> None:
    tty = sys.stdout.isatty()
    t0 = time.monotonic()
    last_print = -1e9
    prev_bytes, prev_t = None, None
    while duration is None or time.monotonic() - t0 < duration:
        time.sleep(min(2.0, max(0.05, (duration or 1e9) - (time.monotonic() - t0))))
        if not fleet.backend.running():
            raise ResourceError("the media server exited", where=fleet.api_url)
        now = time.monotonic()
        if not tty and now - last_print < 10:
            continue
        try:
            items = fleet.status()
        except ResourceError:
            continue
        sent = sum(int(i.get("bytesSent", 0)) for i in items)
        rate = (sent - prev_bytes) * 8 / 1e6 / (now - prev_t) if prev_bytes is not None else 0.0
        prev_bytes, prev_t = sent, now
        line = (f"[{now - t0:6.0f}s] ready {sum(bool(i.get('ready')) for i in items)}/{len(items)}  "
                f"readers {sum(readers_count(i) for i in items)}  sent {sent / 1e6:.1f} MB ({rate:.1f} Mbit/s)")
        print(("\r" + line) if tty else line, end="" if tty else "\n", flush=True)
        last_print = now
    print()


def _detach(args: argparse.Namespace) -> int:
    """Run ``cameras up`` (without --detach) as a background process; return once it is ready."""
    state_dir: Path = args.state_dir
    state_dir.mkdir(parents=True, exist_ok=True)
    cmd = [sys.executable, "-m", "benchmarks.cli", "cameras", "up", str(args.scenario), "--state-dir", str(state_dir),
           "--cache-dir", str(args.cache_dir), "--timeout", str(args.timeout)]
    if args.shard:
        cmd += ["--shard", args.shard]
    if args.duration:
        cmd += ["--duration", str(args.duration)]
    for flag, value in (("--host", args.host), ("--advertise-host", args.advertise_host)):
        if value:
            cmd += [flag, value]
    log_path = state_dir / "cameras-up.log"
    with open(log_path, "wb") as logf:
        child = subprocess.Popen(cmd, stdout=logf, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                 start_new_session=True)
    deadline = time.monotonic() + args.timeout + 30
    while time.monotonic() < deadline:
        info = read_info(state_dir)
        if info is not None and info.get("owner_pid") == child.pid:
            print(f"{len(info['cameras'])} cameras up in the background (pid {child.pid}); "
                  f"status: {info['api_url']}/v3/paths/list; log: {log_path}; stop: tilikbench cameras down")
            for cam in info["cameras"][:20]:
                print(f"  {cam['url']}")
            return 0
        if child.poll() is not None:
            sys.stderr.write(log_path.read_text(errors="replace")[-2000:])
            return child.returncode or int(ExitCode.RESOURCE)
        time.sleep(0.2)
    stop_fleet(state_dir)
    child.kill()
    child.wait()
    raise ResourceError(f"cameras not ready after {args.timeout + 30:.0f}s", where=str(log_path))


def run_down(args: argparse.Namespace) -> int:
    n = stop_fleet(args.state_dir)
    print(f"stopped {n} process(es)" if n else "no fleet was running")
    return 0


def run_status(args: argparse.Namespace) -> int:
    info = read_info(args.state_dir)
    if info is None:
        print(f"no fleet is up (nothing recorded in {args.state_dir})")
        return int(ExitCode.FAILURE)
    items = fetch_paths(info["api_url"])
    ready = sum(bool(i.get("ready")) for i in items)
    print(f"{info['backend']} backend, owner pid {info['owner_pid']}, {info['api_url']}: "
          f"{ready}/{len(items)} ready, {sum(readers_count(i) for i in items)} readers")
    print(f"  {'camera':<24} {'ready':<6} {'readers':>7} {'MB recv':>9} {'MB sent':>9}")
    for i in items:
        print(f"  {i.get('name', '?'):<24} {str(bool(i.get('ready'))):<6} {readers_count(i):>7} "
              f"{int(i.get('bytesReceived', 0)) / 1e6:>9.1f} {int(i.get('bytesSent', 0)) / 1e6:>9.1f}")
    return 0
