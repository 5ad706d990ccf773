"""The portal's measured CPU per request, from the live server to the calibration and the simulator.

A real portal (``PortalServer``: uvicorn with two workers, as a run starts it) answers a bounded number of
real catalogue requests per trial; the run's portal component measures its CPU per request by PID and
its answered requests from ``/metrics``; ``simulator.runcal.portal_costs`` turns the trials into the
calibration's portal cost (measured, with a bootstrap spread), or keeps the reference and says why.
"""
from __future__ import annotations

import copy
import http.client
import time
from types import SimpleNamespace

import numpy as np
import pytest

from analytics.portal.serve import PortalServer
from benchmarks.runner.portal_component import PortalComponent
from benchmarks.runner.portal_cost import PortalCostMeter
from common.netguard import free_port
from simulator.calibration import calibration_from_results, load_calibration
from simulator.runcal import MIN_TRIAL_REQUESTS, portal_costs
from tests.portal import inproc

REF = {"hls_playlist": 0.05, "hls_segment": 0.03, "camera_list": 0.08, "events": 0.2, "snapshot": 2.3}
OVERHEAD = 0.5
PATHS = ("/api/cameras", "/api/groups", "/api/cameras?q=cam-00")     # routes cameras, groups, cameras


def _results(trials_per_step: list[list[dict]], knee: float | None = None) -> dict:
    steps = [{"index": i, "load": {"viewers": 2 * (i + 1)},
              "trials": [{"trial": k, "metrics": m} for k, m in enumerate(ms)]}
             for i, ms in enumerate(trials_per_step)]
    return {"run_id": "t", "axis": "viewers", "steps": steps,
            "knee": {"axis": "viewers", "value": knee} if knee is not None else None}


def _trial(ms: float, n: int, route: str = "cameras") -> dict:
    return {"portal_cpu_ms_per_request": ms, "portal_requests": n, "portal_cpu_s": ms * n / 1000.0,
            f"portal_requests.{route}": n}


# ---- portal_costs on synthetic trial figures ----

def test_portal_costs_median_interval_and_knee_excluded():
    below = [[_trial(1.0, 100), _trial(1.2, 100)], [_trial(1.4, 100), _trial(0.9, 60, "snapshot"),
                                                      _trial(50.0, MIN_TRIAL_REQUESTS - 1)]]
    at_knee = [[_trial(9.0, 300), _trial(11.0, 300)]]
    out = portal_costs(_results(below + at_knee, knee=6), ref_portal_ms=REF, http_overhead_ms=OVERHEAD, seed=3)
    rec = out["portal_request"]
    figures = [1.0, 1.2, 1.4, 0.9]          # the knee step and the trial with too few requests left out
    assert rec["provenance"] == "measured" and rec["includes_http"] is True
    assert rec["trials"] == 4 and rec["requests"] == 360
    assert rec["ms_per_request"] == pytest.approx(float(np.median(figures)))       # 1.1
    s = out["spread"]["portal_ms"]
    assert min(figures) <= s["low"] <= s["median"] <= s["high"] <= max(figures)
    assert s["low"] < s["high"] and s["resamples"] == 200 and s["rel_sd"] > 0
    # mix: 300 list requests, 60 snapshots; the reference's cost of that mix, HTTP included
    assert rec["mix"] == {"camera_list": pytest.approx(300 / 360, abs=1e-4), "snapshot": pytest.approx(60 / 360,
                                                                                                      abs=1e-4)}
    ref_mix = 300 / 360 * (REF["camera_list"] + OVERHEAD) + 60 / 360 * (REF["snapshot"] + OVERHEAD)
    k = 1.1 / ref_mix
    assert rec["scale_vs_reference"] == pytest.approx(k, abs=1e-3)
    rows = {r["endpoint"]: r["ms_per_request"] for r in out["portal_ms"]}
    assert rows["snapshot"] == pytest.approx((REF["snapshot"] + OVERHEAD) * k, rel=1e-3)
    assert rows["camera_list"] == pytest.approx((REF["camera_list"] + OVERHEAD) * k, rel=1e-3)
    assert out["portal_includes_http"] is True and "4 trials" in out["provenance"]["portal_ms"]
    # with the knee step counted the median would move: the exclusion is what keeps it at 1.1
    everything = portal_costs(_results(below + at_knee), ref_portal_ms=REF, http_overhead_ms=OVERHEAD)
    assert everything["portal_request"]["ms_per_request"] > 1.1


def test_snapshot_grab_cpu_goes_to_the_snapshot_row_alone():
    def trial(own_ms: float, lists: int, snaps: int, grab_ms: float) -> dict:
        n = lists + snaps
        cpu = (own_ms * n + grab_ms * snaps) / 1000.0
        return {"portal_cpu_ms_per_request": 1000.0 * cpu / n, "portal_requests": n, "portal_cpu_s": cpu,
                "portal_child_cpu_s": grab_ms * snaps / 1000.0, "portal_requests.cameras": lists,
                "portal_requests.snapshot": snaps}
    trials = [[trial(0.5, 80, 20, 30.0), trial(0.6, 80, 20, 28.0)], [trial(0.55, 80, 20, 32.0)]]
    out = portal_costs(_results(trials), ref_portal_ms=REF, http_overhead_ms=OVERHEAD)
    rec = out["portal_request"]
    assert rec["server_ms_per_request"] == pytest.approx(0.55, abs=1e-3)
    assert rec["grab_ms_per_snapshot"] == pytest.approx(30.0, abs=1e-3)
    k = 0.55 / (0.8 * (REF["camera_list"] + OVERHEAD) + 0.2 * (REF["snapshot"] + OVERHEAD))
    rows = {r["endpoint"]: r["ms_per_request"] for r in out["portal_ms"]}
    assert rows["camera_list"] == pytest.approx((REF["camera_list"] + OVERHEAD) * k, rel=1e-3)
    assert rows["hls_segment"] == pytest.approx((REF["hls_segment"] + OVERHEAD) * k, rel=1e-3)
    assert rows["snapshot"] == pytest.approx((REF["snapshot"] + OVERHEAD) * k + 30.0, rel=1e-3)
    # the rows' mean over the run's mix is the measured whole figure again
    assert 0.8 * rows["camera_list"] + 0.2 * rows["snapshot"] == pytest.approx(rec["ms_per_request"], rel=0.02)


def test_portal_costs_keep_the_reference_and_say_why():
    few = portal_costs(_results([[_trial(1.0, 60), _trial(1.1, 60)], [_trial(1.2, 60)]]),
                       ref_portal_ms=REF, http_overhead_ms=OVERHEAD)
    assert set(few) == {"portal_request"}
    assert few["portal_request"]["provenance"] == "reference"
    assert few["portal_request"]["reason"] == "180 requests measured below the knee, fewer than 200"
    none = portal_costs(_results([[{"cpu_pct.stack": 50.0}]]), ref_portal_ms=REF, http_overhead_ms=OVERHEAD)
    assert "no portal CPU per request" in none["portal_request"]["reason"]
    one = portal_costs(_results([[_trial(1.0, 500)]]), ref_portal_ms=REF, http_overhead_ms=OVERHEAD)
    assert one["portal_request"]["reason"].endswith("no spread")


@pytest.mark.parametrize("lang", ["en", "id"])
def test_the_report_shows_the_portal_cost_with_its_spread_and_provenance(lang):
    from benchmarks.report.build import render_html
    below = [[_trial(1.0, 100), _trial(1.2, 100)], [_trial(1.4, 100), _trial(0.9, 100)]]
    costs = portal_costs(_results(below), ref_portal_ms=REF, http_overhead_ms=OVERHEAD, seed=3)
    html = render_html({"run_id": "r", "complete": True, "steps": [],
                        "measured_costs": {"schema_version": 1, **costs}}, [], lang)
    section = html[html.index('id="certainty"'):html.index("</section>")]
    s = costs["spread"]["portal_ms"]
    assert "Portal: 1.1 ms" in section and f"{s['low']:.3g}-{s['high']:.3g} ms" in section
    assert "HTTP" in section and ("4 trials" in section or "4 percobaan" in section)
    few = portal_costs(_results([[_trial(1.0, 50)]]), ref_portal_ms=REF, http_overhead_ms=OVERHEAD)
    html = render_html({"run_id": "r", "complete": True, "steps": [],
                        "measured_costs": {"schema_version": 1, **few}}, [], lang)
    section = html[html.index('id="certainty"'):html.index("</section>")]
    assert "0.5 ms" in section and "50 requests measured below the knee, fewer than 200" in section


def test_the_simulator_adds_no_http_overhead_to_a_measured_cost():
    from tests.simulator.conftest import SMALL
    from simulator.config import SimScenario
    from simulator.model import simulate
    ref = load_calibration()
    rows = [{"endpoint": r.endpoint, "ms_per_request": r.ms_per_request} for r in ref.portal_ms]
    same_rows = {"schema_version": 1, "portal_ms": rows}
    as_reference = calibration_from_results({"run_id": "a", "measured_costs": same_rows}, ref)
    as_measured = calibration_from_results({"run_id": "b", "measured_costs": {**same_rows,
                                                                              "portal_includes_http": True}}, ref)
    assert not as_reference.portal_includes_http and as_measured.portal_includes_http
    assert as_measured.portal_request_ms("snapshot", OVERHEAD) == pytest.approx(ref.portal("snapshot"))
    assert as_reference.portal_request_ms("snapshot", OVERHEAD) == pytest.approx(ref.portal("snapshot") + OVERHEAD)
    u = {}
    for name, cal in (("reference", as_reference), ("measured", as_measured)):
        r = simulate(SimScenario.of(copy.deepcopy(SMALL)), cal, rng=np.random.default_rng(4))
        u[name] = r.resources["portal_cpu"].utilisation
    assert u["measured"] < u["reference"]        # the same rows cost less without the 0.5 ms added on top


# ---- a real portal under bounded real requests ----

@pytest.fixture(scope="module")
def portal(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("pcost")
    cfg = inproc.config(tmp, port=free_port("127.0.0.1"), workers=2)
    server = PortalServer(cfg, inproc.records(40))
    server.start(timeout=60)
    try:
        yield server
    finally:
        server.stop()


def _send(url: str, n: int) -> dict[str, int]:
    host, port = url.removeprefix("http://").split(":")
    sent = {"cameras": 0, "groups": 0}
    conns = [http.client.HTTPConnection(host, int(port), timeout=10) for _ in range(4)]
    try:
        for i in range(n):
            path = PATHS[i % len(PATHS)]
            c = conns[i % len(conns)]
            c.request("GET", path)
            r = c.getresponse()
            r.read()
            assert r.status == 200, (path, r.status)
            sent["groups" if "groups" in path else "cameras"] += 1
    finally:
        for c in conns:
            c.close()
    time.sleep(1.3)           # every worker flushes its counters to /metrics within a second
    return sent


def _component(server: PortalServer) -> PortalComponent:
    """The run's portal component around the running server (the run starts it the same way)."""
    scenario = SimpleNamespace(portal=server.cfg)
    comp = PortalComponent(scenario, SimpleNamespace(free_ports=True, budget=None), [])
    comp.server = server
    comp.meter = PortalCostMeter(server.url, server.proc.pid)
    return comp


def test_real_portal_cpu_per_request_feeds_the_calibration(portal):
    comp = _component(portal)
    _send(portal.url, 30)                           # warm both workers (imports, first responses)
    trials = []
    for n in (300, 300, 300):           # psutil's CPU times tick at 10 ms: a trial needs many requests
        comp.begin_trial(None)
        sent = _send(portal.url, n)
        m = comp.measure(None, 0.0)
        assert m["portal_requests"] == n, m           # the meter's own /metrics scrapes are not counted
        assert m["portal_requests.cameras"] == sent["cameras"] and m["portal_requests.groups"] == sent["groups"]
        # > 0 and plausible: the reference's list page is 0.08 ms in-process + 0.5 ms assumed for HTTP; a
        # request on the real server is within 0.05-30 ms of CPU even on a loaded shared machine
        assert 0.05 < m["portal_cpu_ms_per_request"] < 30.0, m
        assert m["portal_cpu_s"] > 0
        trials.append(m)
    print("\nportal CPU per request (ms), per trial:", [t["portal_cpu_ms_per_request"] for t in trials])
    ref = load_calibration()
    results = {**_results([trials[:2], trials[2:]]), "measured_costs": {"schema_version": 1}}
    costs = portal_costs(results, ref_portal_ms={r.endpoint: r.ms_per_request for r in ref.portal_ms},
                         http_overhead_ms=OVERHEAD)
    cal = calibration_from_results({**results, "measured_costs": {"schema_version": 1, **costs}}, ref)
    pr = cal.portal_request
    assert pr is not None and pr.provenance == "measured" and pr.trials == 3 and pr.requests == 900
    assert pr.ms_per_request == pytest.approx(float(np.median([t["portal_cpu_ms_per_request"] for t in trials])),
                                              rel=1e-3)
    s = cal.spread["portal_ms"]
    assert s.low <= pr.ms_per_request <= s.high
    print(f"calibration: {pr.ms_per_request:.3f} ms CPU per request (HTTP included), 95% bootstrap "
          f"{s.low:.3f}-{s.high:.3f} ms over {pr.trials} trials, {pr.requests} requests; x{pr.scale_vs_reference} "
          "the reference's list page + assumed HTTP overhead")
    assert cal.provenance["portal_ms"].startswith("measured in the run: measured on the running portal")
    assert cal.portal_includes_http
    assert cal.portal_request_ms("camera_list", OVERHEAD) == cal.portal("camera_list")
    # every request of this mix is a list page: its measured cost is that row
    assert cal.portal("camera_list") == pytest.approx(pr.ms_per_request, rel=1e-3)

    # fewer requests than the minimum: the reference, with the reason
    small = []
    for n in (40, 40):
        comp.begin_trial(None)
        _send(portal.url, n)
        small.append(comp.measure(None, 0.0))
    few = {**_results([small]), "measured_costs": {"schema_version": 1}}
    costs = portal_costs(few, ref_portal_ms={r.endpoint: r.ms_per_request for r in ref.portal_ms},
                         http_overhead_ms=OVERHEAD)
    cal = calibration_from_results({**few, "measured_costs": {"schema_version": 1, **costs}}, ref)
    assert cal.portal_request.provenance == "reference"
    assert cal.portal_request.reason == "80 requests measured below the knee, fewer than 200"
    assert cal.provenance["portal_ms"].startswith("reference") and not cal.portal_includes_http
