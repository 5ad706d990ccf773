"""Portal benchmark (``make bench``): requests/s within p95 < 200 ms for the catalogue and snapshot
endpoints, the portal against a standard-library baseline on the same load, the number of concurrent
HLS viewers sustained, server CPU per request (the simulator's ``measured_costs.portal_ms``), and the
load generator's own CPU to show it is not the bottleneck. Writes results/portal-bench.json.

Targets, asserted after the JSON is written: on the same constant load, run alternately with the
baseline in this run, the portal sustains at least the baseline's requests/s (median of the per-repeat
ratios >= RPS_RATIO_MIN) at no worse a p95 (ratio <= P95_RATIO_MAX), with no failed request."""
from __future__ import annotations

import http.client
import json
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

import psutil
import pytest

from benchmarks.load.config import LoadConfig
from benchmarks.load.knee import steps_from_history
from benchmarks.load.runner import run_load
from common.netguard import free_port
from common.procs import ProcessSet
from common.resultmeta import REPO_ROOT, stamp, write_json_atomic

pytestmark = pytest.mark.bench
SLO_MS = 200.0
CATALOGUE = ("groups", "cameras", "search")
RPS_RATIO_MIN = 1.0       # portal req/s over the baseline's, same load, same run
P95_RATIO_MAX = 1.0       # portal p95 over the baseline's


def server_procs(portal) -> list[psutil.Process]:
    root = psutil.Process(portal.proc.pid)
    return [root] + [p for p in root.children(recursive=True) if "ffmpeg" not in p.name()]


def cpu_s(procs) -> float:
    total = 0.0
    for p in procs:
        try:
            t = p.cpu_times()
            total += t.user + t.system
        except psutil.Error:
            pass
    return total


def hammer(port: int, paths, seconds: float, threads: int = 2, headers: dict | None = None) -> int:
    """Keep-alive GETs from ``threads`` threads for ``seconds``; returns how many got 200.
    ``paths`` is a path or a callable returning the next path."""
    counts = [0] * threads
    deadline = time.monotonic() + seconds

    def loop(i: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        while time.monotonic() < deadline:
            conn.request("GET", paths() if callable(paths) else paths, headers=headers or {})
            r = conn.getresponse()
            r.read()
            counts[i] += r.status == 200
        conn.close()
    ts = [threading.Thread(target=loop, args=(i,)) for i in range(threads)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    return sum(counts)


def endpoint_costs(stack, stack_mod, repeats: int = 3) -> dict[str, float]:
    """Server CPU ms per request (all worker processes; packager and snapshot ffmpeg excluded)."""
    port = stack.portal.cfg.port
    procs = server_procs(stack.portal)
    body = json.dumps({"username": stack_mod.OPERATOR[0], "password": stack_mod.OPERATOR[1]})
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("POST", "/api/login", body=body, headers={"Content-Type": "application/json"})
    token = json.loads(conn.getresponse().read())["token"]
    conn.request("GET", "/live/atcs-0001/index.m3u8?sid=bench")
    playlist = conn.getresponse().read().decode()
    conn.request("GET", "/snapshot/atcs-0002.jpg")
    conn.getresponse().read()
    newest = {"seg": [ln for ln in playlist.splitlines() if ln.endswith("sid=bench")][-1], "n": 0}

    def segment_path() -> str:
        newest["n"] += 1
        if newest["n"] % 20 == 0:        # follow the live window (a segment is deleted after a few seconds)
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            c.request("GET", "/live/atcs-0001/index.m3u8?sid=bench")
            lines = [ln for ln in c.getresponse().read().decode().splitlines() if ln.endswith("sid=bench")]
            c.close()
            newest["seg"] = lines[-1]
        return "/live/atcs-0001/" + newest["seg"]

    cases = {
        "camera_list": ("/api/cameras?group=ATCS&limit=50", None),
        "groups": ("/api/groups", None),
        "search": ("/api/cameras?q=semarang+tengah", None),
        "snapshot": ("/snapshot/atcs-0002.jpg", None),
        "hls_playlist": ("/live/atcs-0001/index.m3u8?sid=bench", None),
        "hls_segment": (segment_path, None),
        "events": ("/api/events?limit=50", {"Authorization": f"Bearer {token}"}),
    }
    out = {}
    for name, (path, headers) in cases.items():
        samples = []
        for _ in range(repeats):
            c0 = cpu_s(procs)
            n = hammer(port, path, 2.5, headers=headers)
            samples.append((cpu_s(procs) - c0) * 1000 / max(n, 1))
        out[name] = statistics.median(samples)
    return out


def best_rps_within_slo(history: Path, names) -> dict:
    """Largest step throughput of ``names`` (summed) whose every p95 is under the SLO."""
    per = {n: {s.users: s for s in steps_from_history(history, name=n)} for n in names}
    users = sorted(set.intersection(*(set(v) for v in per.values()))) if per else []
    best = {"rps": 0.0, "users": None, "p95_ms": None}
    for u in users:
        p95 = max(per[n][u].p95_ms for n in names)
        rps = sum(per[n][u].rps for n in names)
        if p95 < SLO_MS and rps > best["rps"]:
            best = {"rps": round(rps, 1), "users": u, "p95_ms": p95}
    return best


def hammer_config(**kw) -> LoadConfig:
    base = dict(weights={"browser": 1}, wait_min_s=0.0, wait_max_s=0.0, slo_p95_ms=SLO_MS, knee_max_fail_ratio=0.01)
    base.update(kw)
    return LoadConfig.model_validate(base)


def snapshot_grab_cpu_ms(url: str, repeats: int = 3) -> float:
    """CPU of one snapshot grab (an ffmpeg decoding one keyframe from RTSP), median of ``repeats``."""
    from analytics.portal.snapshots import grab_args
    samples = []
    for _ in range(repeats):
        before = psutil.Process().cpu_times()
        subprocess.run(grab_args(url), capture_output=True, timeout=30, check=True)
        after = psutil.Process().cpu_times()
        samples.append((after.children_user + after.children_system - before.children_user
                        - before.children_system) * 1000)
    return statistics.median(samples)


def warm(portal, records) -> None:
    """Snapshots cached and every camera's packager running (cold starts are not what is measured)."""
    for cam in records:
        for path in (f"/snapshot/{cam['id']}.jpg", f"/live/{cam['id']}/index.m3u8?sid=warm"):
            conn = http.client.HTTPConnection("127.0.0.1", portal.cfg.port, timeout=30)
            conn.request("GET", path)
            conn.getresponse().read()
            conn.close()


@pytest.fixture
def bench_portal(stack, stack_mod, tmp_path):
    """A portal of its own: snapshots cached for the run (grab cost measured apart), 2 s segments."""
    from analytics.portal.serve import PortalServer
    cfg = stack_mod.portal_config(tmp_path, stack.events_dsn, workers=2, snapshot_refresh_s=3600,
                                  hls_segment_s=2.0, hls_idle_timeout_s=30, max_concurrency=512)
    with PortalServer(cfg, stack.records) as portal:
        yield portal


def test_portal_throughput_viewers_and_costs(stack, stack_mod, bench_portal, tmp_path):
    import os
    load_before = os.getloadavg()
    stack = type("BenchTarget", (), {"portal": bench_portal, "url": bench_portal.url, "records": stack.records})
    out: dict = {**stamp("portal_bench", 1), "slo_p95_ms": SLO_MS, "loadavg_before": load_before,
                 "portal": {"framework": "Starlette on uvicorn (uvloop, httptools)",
                            "workers": bench_portal.cfg.workers, "cameras": len(stack.records)}}
    warm(bench_portal, stack.records)
    # 1. server CPU per request
    costs = endpoint_costs(stack, stack_mod)
    print("\nserver CPU per request (ms, median of 3):", {k: round(v, 3) for k, v in costs.items()})
    costs["snapshot_grab"] = snapshot_grab_cpu_ms(stack.records[0]["url"])
    print(f"snapshot grab (one keyframe from RTSP, ffmpeg): {costs['snapshot_grab']:.1f} ms CPU")
    out["endpoint_cpu_ms"] = costs
    out["measured_costs"] = {"schema_version": 1, "portal_ms": [
        {"endpoint": k, "ms_per_request": round(v, 4),
         "note": "ffmpeg CPU per snapshot grab (at most one per camera per refresh period)" if k == "snapshot_grab"
         else f"portal server CPU per request incl. HTTP (uvicorn+Starlette, {bench_portal.cfg.workers} workers)"}
        for k, v in costs.items()]}

    # 2. step load: requests/s within p95 < 200 ms for catalogue and snapshot
    step = run_load(stack.url, hammer_config(step={"start_users": 2, "step_users": 4, "step_s": 6, "steps": 5}),
                    tmp_path / "step")
    hist = Path(f"{step.csv_prefix}_stats_history.csv")
    tput = {"catalogue": best_rps_within_slo(hist, CATALOGUE), "snapshot": best_rps_within_slo(hist, ("snapshot",)),
            "all": best_rps_within_slo(hist, ("Aggregated",)), "knee": step.knee.as_dict() if step.knee else None}
    gen = step.summary()["generator"]
    print(f"within p95 < {SLO_MS:g} ms: catalogue {tput['catalogue']['rps']} req/s, snapshot "
          f"{tput['snapshot']['rps']} req/s, all {tput['all']['rps']} req/s "
          f"(knee: {step.knee.users if step.knee else None} users); generator {gen['mean_cores']} cores mean, "
          f"{gen['peak_cores']} peak of {gen['host_cores']}")
    out["throughput_within_slo"] = tput
    out["step_generator"] = gen

    # 3. ours vs a standard-library baseline on the same constant load (alternating, median of repeats)
    snap_dir = tmp_path / "snaps"
    snap_dir.mkdir()
    for cam in stack.records:
        conn = http.client.HTTPConnection("127.0.0.1", stack.portal.cfg.port, timeout=30)
        conn.request("GET", f"/snapshot/{cam['id']}.jpg")
        (snap_dir / f"{cam['id']}.jpg").write_bytes(conn.getresponse().read())
    cams_json = tmp_path / "cameras.json"
    cams_json.write_text(json.dumps(stack.records))
    port = free_port()
    rows = {"portal": [], "baseline": []}
    with ProcessSet() as procs:
        procs.start("baseline", [sys.executable, str(Path(__file__).with_name("baseline_portal.py")), str(port),
                                 str(cams_json), str(snap_dir)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        from tilikbench_test_stack import wait_http
        wait_http(f"http://127.0.0.1:{port}/api/groups")
        for rep in range(3):
            for name, url in (("portal", stack.url), ("baseline", f"http://127.0.0.1:{port}")):
                r = run_load(url, hammer_config(shape="constant", users=12, spawn_rate=100, run_time_s=6),
                             tmp_path / f"{name}-{rep}")
                rows[name].append((r.total.rps, r.total.p95_ms, r.total.failures))
    cmp_ = {n: {"rps_median": statistics.median(x[0] for x in v), "p95_ms_median": statistics.median(x[1] for x in v),
                "failures": sum(x[2] for x in v), "repeats": len(v)} for n, v in rows.items()}
    cmp_["rps_ratio_portal_over_baseline"] = round(
        cmp_["portal"]["rps_median"] / max(cmp_["baseline"]["rps_median"], 1e-9), 2)
    # per repeat: the portal's run against the baseline's right after it, then the median over repeats
    cmp_["rps_ratio_paired_median"] = round(statistics.median(
        a[0] / max(b[0], 1e-9) for a, b in zip(rows["portal"], rows["baseline"])), 3)
    cmp_["p95_ratio_paired_median"] = round(statistics.median(
        a[1] / max(b[1], 1e-9) for a, b in zip(rows["portal"], rows["baseline"])), 3)
    cmp_["targets"] = {"rps_ratio_at_least": RPS_RATIO_MIN, "p95_ratio_at_most": P95_RATIO_MAX}
    print(f"12 hammering users, median of 3: portal {cmp_['portal']['rps_median']:.0f} req/s p95 "
          f"{cmp_['portal']['p95_ms_median']:.0f} ms; stdlib baseline {cmp_['baseline']['rps_median']:.0f} req/s p95 "
          f"{cmp_['baseline']['p95_ms_median']:.0f} ms; paired ratios: req/s {cmp_['rps_ratio_paired_median']} "
          f"(target >= {RPS_RATIO_MIN}), p95 {cmp_['p95_ratio_paired_median']} (target <= {P95_RATIO_MAX})")
    out["baseline_comparison"] = cmp_

    # 4. concurrent HLS viewers sustained: segment and playlist p95 within one segment, no failures
    seg_ms = stack.portal.cfg.hls_segment_s * 1000
    warm(bench_portal, stack.records)
    view = run_load(stack.url, LoadConfig.model_validate(dict(
        weights={"viewer": 1}, wait_min_s=0, wait_max_s=0, citizen_watch_s=10,
        step={"start_users": 40, "step_users": 80, "step_s": 12, "steps": 6})), tmp_path / "viewers")
    vh = Path(f"{view.csv_prefix}_stats_history.csv")
    seg = {s.users: s for s in steps_from_history(vh, name="segment")}
    pl = {s.users: s for s in steps_from_history(vh, name="playlist")}
    sustained = None
    for u in sorted(seg):
        if (u in pl and seg[u].failures == 0 and pl[u].failures == 0
                and seg[u].p95_ms < seg_ms and pl[u].p95_ms < seg_ms):
            sustained = u
        else:
            break
    vgen = view.summary()["generator"]
    print(f"HLS viewers sustained (segment and playlist p95 < one segment, {seg_ms:.0f} ms, no failures): "
          f"{sustained} of steps "
          f"{sorted(seg)}; generator {vgen['mean_cores']} cores mean, {vgen['peak_cores']} peak")
    out["hls_viewers"] = {"sustained": sustained, "criterion_ms": seg_ms,
                          "steps": [{"users": u, "segment_p95_ms": seg[u].p95_ms, "segment_rps": round(seg[u].rps, 1),
                                     "playlist_p95_ms": pl[u].p95_ms if u in pl else None,
                                     "failures": seg[u].failures + (pl[u].failures if u in pl else 0)}
                                    for u in sorted(seg)],
                          "generator": vgen}
    out["loadavg_after"] = os.getloadavg()
    print(f"host load average before/after: {load_before[0]:.1f} / {out['loadavg_after'][0]:.1f} "
          f"({psutil.cpu_count()} cores; other work on the host inflates latencies)")
    path = write_json_atomic(REPO_ROOT / "results" / "portal-bench.json", out)
    print(f"wrote {path}")
    assert costs["camera_list"] > 0 and tput["catalogue"]["rps"] > 0 and sustained is not None
    assert cmp_["portal"]["failures"] == 0, f"the portal failed requests under the comparison load: {cmp_['portal']}"
    assert cmp_["rps_ratio_paired_median"] >= RPS_RATIO_MIN, f"portal/baseline req/s {cmp_['rps_ratio_paired_median']}"
    assert cmp_["p95_ratio_paired_median"] <= P95_RATIO_MAX, f"portal/baseline p95 {cmp_['p95_ratio_paired_median']}"
