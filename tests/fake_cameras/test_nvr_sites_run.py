"""End to end on the NVR-site scenario, made small: 20 one-channel sites, each in its own namespace behind
a shaped veth, under two uplink classes; the stack reads every camera by its vendor path with digest
credentials; the results keep per-site health; the report names the site uplink that binds."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import yaml

from benchmarks.runner.site_health import uplink_model_check
from fake_cameras.netns import leftovers
from tests.fake_cameras.nvr_helpers import needs_netns

REPO = Path(__file__).resolve().parents[2]
LIBRARY = REPO / "scenarios" / "nvr-sites.yaml"


def small(tmp_path: Path) -> Path:
    """The library scenario at 20 sites: one 240p channel each (256 kbit/s); half the sites on an uplink
    narrower than their one camera asks for (0.15 Mbit/s), half on a wide one."""
    sc = yaml.safe_load(LIBRARY.read_text())
    cam = sc["cameras"]
    cam["classes"][0] |= {"count": 20, "profile": "test-240p10",
                          "footage": {"variants": 1, "scene": {"duration_s": 10, "vehicles_per_min": 20}}}
    cam["sites"] |= {"channels": {1: 1.0}, "uplinks": [
        {"name": "residential-2", "up_mbit": 0.15, "share": 0.5},
        {"name": "residential-5", "up_mbit": 20, "share": 0.5}]}
    cam["impairments"] = []
    sc["run"] |= {"cameras": [20], "trials": 1}
    sc["stack"]["store"] = f"sqlite:///{tmp_path}/events.db"
    path = tmp_path / "nvr-small.yaml"
    path.write_text(yaml.safe_dump(sc))
    return path


@needs_netns
def test_twenty_nvr_sites_under_two_uplink_classes_run_end_to_end(tmp_path):
    before = set(leftovers("tb17"))
    r = subprocess.run([sys.executable, "-m", "benchmarks.cli", "run", str(small(tmp_path)), "--out", str(tmp_path),
                        "--run-id", "nvr", "--free-ports", "--step-seconds", "4", "--warmup-seconds", "3",
                        "--no-city-scale"], cwd=REPO, capture_output=True, text=True, timeout=300, check=False)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    assert set(leftovers("tb17")) <= before, "the run's namespaces and veths are gone"
    data = json.loads((tmp_path / "nvr" / "results.json").read_text())
    assert data["wired"]["fleet"] == "wired" and data["wired"]["stack"] == "wired"
    trial = data["steps"][0]["trials"][-1]["metrics"]
    sites = trial["sites"]
    assert len(sites) == 20 and {s["uplink"] for s in sites.values()} == {"residential-2", "residential-5"}
    assert all(s["ready"] == 1 and s["read"] == 1 for s in sites.values()), sites
    narrow = {k: s for k, s in sites.items() if s["uplink"] == "residential-2"}
    wide = {k: s for k, s in sites.items() if s["uplink"] == "residential-5"}
    # the narrow links run full (TCP under a tbf queue: most at 80% of their rate or more), never past it;
    # the wide ones carry their one camera and idle
    util = sorted(s["utilisation"] for s in narrow.values())
    assert util[-1] <= 1.1 and util[len(util) // 2] >= 0.8, util
    assert all(s["utilisation"] < 0.05 for s in wide.values()), [s["utilisation"] for s in wide.values()]
    # ... and the stack sees it per site: cameras behind a full narrow link decode fewer frames
    seen = trial["sites_stack"]
    assert set(seen) == set(sites) and all(s["cameras"] == 1 for s in seen.values())
    decoded = {cls: sorted(seen[k]["decoded_fps_min"] for k in group) for cls, group in (("narrow", narrow),
                                                                                        ("wide", wide))}
    assert decoded["narrow"][5] < 0.85 * decoded["wide"][5], decoded
    binding = trial["site_uplink_binding"]
    assert binding["site"] in narrow and binding["saturated_sites"] >= 3
    assert data["knee"] is not None, "the narrow uplinks starve their cameras: the first step fails"
    # the simulator's uplink model, given the shaped rates, predicts what the links carried and the share of
    # frames that arrived; told the narrow links are twice as wide, it no longer agrees with the run
    mc = data["model_check"]["site_uplinks"]
    assert mc["compared"] == 20 and mc["bound_compared"] == 10 and mc["ok"], json.dumps(mc, indent=1)
    assert uplink_model_check(data, rates={k: 0.3 for k in narrow})["ok"] is False
    r = subprocess.run([sys.executable, "-m", "benchmarks.cli", "report", str(tmp_path / "nvr")], cwd=REPO,
                       capture_output=True, text=True, timeout=120, check=False)
    assert r.returncode == 0, r.stderr
    report = next((tmp_path / "nvr").glob("report*.html")).read_text()
    assert f"the uplink of NVR site {binding['site']} (residential-2, 0.15 Mbit/s up)" in report
    assert f"in {mc['within']} of 20 site trials (10 where it says the link binds): it agrees with the run" in report
