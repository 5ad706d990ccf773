"""The report words each tier of a real sizing in plain English and Bahasa Indonesia."""
from __future__ import annotations

import copy

import pytest

from benchmarks.report.build import tier_text
from benchmarks.report.messages import Catalogue
from simulator.calibration import load_calibration
from simulator.config import SimScenario
from simulator.sizing import size
from tests.simulator.conftest import SMALL


@pytest.fixture(scope="module")
def tiers():
    return size(SimScenario.of(copy.deepcopy(SMALL)), load_calibration()).tier_summary()


def test_every_tier_has_a_paragraph_in_both_languages(tiers):
    keys = [x["key"] for x in tiers]
    assert keys == ["decode", "ingest", "storage", "network", "redundancy", "startup", "day"]
    en, id_ = Catalogue("en"), Catalogue("id")
    for tier in tiers:
        a, b = tier_text(tier, en), tier_text(tier, id_)
        assert a and b and a != b, tier["key"]
        assert "{" not in a and "{" not in b
    storage = next(x for x in tiers if x["key"] == "storage")
    assert f"{storage['disks']:,}" in tier_text(storage, en)
    # the binding disk limit and link are worded, not left as the model's keys
    assert "RAID-6" in tier_text(storage, id_) and storage["binding"] not in tier_text(storage, id_).split()
    net = next(x for x in tiers if x["key"] == "network")
    assert net["binding"] not in tier_text(net, en) and net["binding"] not in tier_text(net, id_)


def test_a_tier_from_an_older_sizing_is_left_out_not_half_worded():
    assert tier_text({"key": "storage", "raid": "raid6"}, Catalogue("en")) is None
    assert tier_text({"key": "unknown"}, Catalogue("id")) is None


def test_the_report_shows_the_tiers_under_the_bill_of_materials(tmp_path, tiers):
    import json

    from benchmarks.report.build import write_report
    from benchmarks.runner.context import RunContext
    from runfixtures import make_run
    ctx = RunContext(run_dir=tmp_path)
    ctx.stop.set()                     # no step measured: only the simulator's part matters here
    make_run(tmp_path, "tiers", ctx=ctx).execute()
    path = tmp_path / "tiers" / "results.json"
    res = json.loads(path.read_text())
    res["simulation"] = {"sizing": {"target": "small", "summary": "1 x cpu-16c", "cost_text": "1 USD",
                                    "peak_utilisation": 0.5, "headroom": 0.7, "binding": "detector",
                                    "bom": [{"item": "disk", "qty": "13", "unit": "520 USD", "total": "6,760 USD"}],
                                    "tiers": tiers}}
    path.write_text(json.dumps(res))
    for lang, heading, word in (("en", "The system, tier by tier", "RAID-6 groups"),
                                ("id", "Sistemnya, lapis demi lapis", "grup RAID-6")):
        html = write_report(tmp_path / "tiers", lang)[0].read_text()
        assert heading in html and word in html and html.count("<p>", html.index('id="tiers"')) >= 7
