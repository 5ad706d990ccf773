"""``tilikbench load``: bounded Locust load on the portal (or, with the flag, a deployment you own)."""
from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path


from benchmarks.load.config import MAX_REQUESTS, MAX_RUN_TIME_S, MAX_USERS, EndpointMapping, LoadConfig
from benchmarks.yamlpath import validate_file
from common.errors import InputError
from common.netguard import check_target


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("load", help="Locust load (citizens, operators, RT heads) on a portal; bounded runs",
                       description="Runs Locust headless. The target is the scenario's portal "
                                   "(http://127.0.0.1:PORT) or --url. Only loopback unless --i-own-this-target. "
                                   f"Hard caps: {MAX_USERS} users, {MAX_RUN_TIME_S} s, {MAX_REQUESTS} requests.")
    p.add_argument("scenario", nargs="?", help="scenario YAML (its load: and portal: sections)")
    p.add_argument("--url", help="target base URL (default: the scenario portal's host and port)")
    p.add_argument("--mapping", type=Path, help="YAML endpoint mapping of a real deployment "
                                                "(see scenarios/load-mapping-example.yaml)")
    p.add_argument("--shape", choices=["constant", "step", "diurnal", "spike"], help="load curve (default: load.shape)")
    p.add_argument("--users", type=int, help=f"users of a constant run, or peak/spike users (max {MAX_USERS})")
    p.add_argument("--spawn-rate", type=float, help="users started per second")
    p.add_argument("--duration", type=float, metavar="S", help=f"hard stop after S seconds (max {MAX_RUN_TIME_S})")
    p.add_argument("--max-requests", type=int, metavar="M", help=f"hard stop after M requests (max {MAX_REQUESTS})")
    p.add_argument("--workers", type=int, default=0, help="Locust worker processes (0: one local process)")
    p.add_argument("--out", type=Path, help="results directory (default: results/load-SHAPE-TIMESTAMP)")
    p.add_argument("--i-own-this-target", action="store_true",
                   help="state that you own the non-loopback target and may load it")
    p.set_defaults(func=run)


def _bounded(name: str, value, lo, hi):
    if value is not None and not lo <= value <= hi:
        raise InputError(f"must be in {lo}..{hi}, got {value}", where=name)
    return value


def build_config(args: argparse.Namespace) -> tuple[str, LoadConfig]:
    cfg = LoadConfig()
    url = args.url
    if args.scenario:
        from benchmarks.scenario import load_scenario
        sc = load_scenario(args.scenario)
        cfg = sc.load or cfg
        if url is None:
            host, port = (sc.portal.host, sc.portal.port) if sc.portal else ("127.0.0.1", 8080)
            url = f"http://{host if ':' not in host else '[' + host + ']'}:{port}"
        if sc.cameras.backend == "mediamtx":
            hls = (sc.portal.mediamtx_hls_url if sc.portal and sc.portal.mediamtx_hls_url
                   else f"http://{sc.cameras.host}:{sc.cameras.hls_port}")
            if hls not in cfg.extra_origins:       # `portal up` redirects live views there
                cfg = cfg.model_copy(update={"extra_origins": [*cfg.extra_origins, hls]})
    if url is None:
        raise InputError("give a scenario or --url", where="tilikbench load")
    upd: dict = {}
    if args.mapping:
        if not args.mapping.is_file():
            raise InputError("mapping file does not exist", where=str(args.mapping))
        upd["endpoints"] = validate_file(EndpointMapping, args.mapping)
    if args.shape:
        upd["shape"] = args.shape
    users = _bounded("--users", args.users, 1, MAX_USERS)
    rate = _bounded("--spawn-rate", args.spawn_rate, 0.01, 1000)
    if _bounded("--duration", args.duration, 1, MAX_RUN_TIME_S) is not None:
        upd["run_time_s"] = args.duration
    if _bounded("--max-requests", args.max_requests, 1, MAX_REQUESTS) is not None:
        upd["max_requests"] = args.max_requests
    _bounded("--workers", args.workers, 0, 64)
    shape = upd.get("shape", cfg.shape)
    if users is not None:
        upd["users"] = users
        if shape == "diurnal":
            upd["diurnal"] = cfg.diurnal.model_copy(update={"peak_users": users})
        elif shape == "spike":
            upd["spike"] = cfg.spike.model_copy(update={"spike_users": users})
        elif shape == "step":
            upd["step"] = cfg.step.model_copy(update={"step_users": max(1, users // cfg.step.steps),
                                                       "start_users": max(1, users // cfg.step.steps)})
    if rate is not None:
        upd["spawn_rate"] = rate
    return url, LoadConfig.model_validate({**cfg.model_dump(), **{k: (v.model_dump() if hasattr(v, "model_dump") else v)
                                                                   for k, v in upd.items()}})


def run(args: argparse.Namespace) -> int:
    url, cfg = build_config(args)
    print(f"target: {url}")
    check_target(url, i_own_it=args.i_own_this_target)
    from benchmarks.load.runner import run_load
    out = args.out or Path("results") / f"load-{cfg.shape}-{dt.datetime.now().strftime('%Y%m%dT%H%M%S')}"
    print(f"shape {cfg.shape}, run time <= {cfg.run_time_s:g}s, requests <= {cfg.max_requests}, "
          f"workers {args.workers}; results in {out}")
    result = run_load(url, cfg, out, workers=args.workers, i_own_target=args.i_own_this_target)
    print(f"{'endpoint':<14}{'requests':>10}{'failures':>10}{'median ms':>11}{'p95 ms':>9}{'req/s':>9}")
    for name, s in sorted(result.endpoints.items(), key=lambda kv: kv[0] == "Aggregated"):
        print(f"{name:<14}{s.requests:>10}{s.failures:>10}{s.median_ms:>11.0f}{s.p95_ms:>9.0f}{s.rps:>9.1f}")
    if result.knee is not None:
        k = result.knee
        print(f"knee: {k.users if k.users is not None else 'not reached'} users "
              f"(p95 > {k.slo_p95_ms:g} ms; last step within SLO: {k.last_ok_users})")
    g = result.summary()["generator"]
    print(f"load generator CPU: {g['cpu_s']} s ({g['mean_cores']} cores mean, {g['peak_cores']} peak, "
          f"of {g['host_cores']}); report: {result.html}")
    return 0 if result.returncode in (0, 1) else 1
