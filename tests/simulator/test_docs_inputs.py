"""docs/simulator.md lists every model input of the catalogue, and every catalogue source states its kind."""
from __future__ import annotations

from pathlib import Path

import pytest

from common.errors import InputError
from simulator.hardware import load_catalogue
from simulator.infra import INPUT_NAMES, SOURCE_KINDS

DOCS = Path(__file__).resolve().parents[2] / "docs" / "simulator.md"


def test_every_input_has_a_default_a_source_and_a_docs_row():
    cat = load_catalogue()
    docs = DOCS.read_text()
    assert set(cat.inputs) == set(INPUT_NAMES)
    for name in INPUT_NAMES:
        assert f"`{name}`" in docs.split("## Assumptions and their sources")[1], name
    for item in [*cat.inputs.values(), *cat.enclosures, *cat.storage_servers, *cat.switches, *cat.site_uplinks,
                 *cat.wan_links, *cat.egress_links, *cat.raid_levels, *cat.disks, *cat.gpus]:
        assert item.source.split(":", 1)[0] in SOURCE_KINDS, item


def test_a_source_without_its_kind_is_refused(tmp_path):
    text = (Path(__file__).resolve().parents[2] / "simulator" / "data" / "hardware.yaml").read_text()
    bad = tmp_path / "cat.yaml"
    bad.write_text(text.replace("source: \"assumption: RAID rebuild rate", "source: \"RAID rebuild rate"))
    with pytest.raises(InputError, match="inputs.rebuild_mbps.source.*must start with one of measured"):
        load_catalogue(bad)
