"""The fleet manifest and the remote fleet's checks at start: errors name the file path or the shard."""
from __future__ import annotations

import json

import pytest

from benchmarks.deploy.manifest import (
    FleetManifest,
    load_manifest,
    shard_from_fleet_info,
)
from benchmarks.runconfig import StepLoad
from benchmarks.runner.context import RunContext
from benchmarks.runner.remote import RemoteFleetComponent
from common.errors import InputError, ResourceError
from common.netguard import free_port
from fake_cameras.config import FleetConfig

FLEET = FleetConfig.model_validate({"classes": [{"name": "atcs", "count": 4, "group": "ATCS",
                                                 "profile": "test-240p10"}]})


def _shard(name: str, k: int, cams: list[str], port: int) -> dict:
    return {"name": name, "shard": k, "api_url": f"http://127.0.0.1:{port}",
            "rtsp_base": "rtsp://127.0.0.1:8554", "cameras": cams}


def test_a_camera_on_two_shards_is_an_error_naming_both(tmp_path):
    path = tmp_path / "m.json"
    path.write_text(json.dumps({"shards": [_shard("a", 0, ["atcs-0001"], 1), _shard("b", 1, ["atcs-0001"], 2)]}))
    with pytest.raises(InputError, match=r"shards\[1\] \(b\) lists camera 'atcs-0001', already served by a"):
        load_manifest(path)


def test_a_misspelt_key_is_named_by_its_path_in_the_file(tmp_path):
    path = tmp_path / "m.yaml"
    path.write_text("shards:\n  - {name: a, shard: 0, api_url: 'http://h:1', rtsp_base: 'rtsp://h:2', "
                    "cameras: [x], camras: [y]}\n")
    with pytest.raises(InputError, match=r"(?s)invalid fleet manifest.*shards\[0\]\.camras: unknown key"):
        load_manifest(path)


def test_an_entry_from_a_running_shards_state_file():
    info = {"shard": [1, 2], "api_url": "http://10.231.0.2:9997",
            "cameras": [{"id": "atcs-0002", "url": "rtsp://10.231.0.2:8554/atcs-0002"}]}
    entry = shard_from_fleet_info("host-b", info)
    assert entry.shard == 1 and entry.url("atcs-0002") == "rtsp://10.231.0.2:8554/atcs-0002"


def test_the_run_refuses_cameras_that_no_shard_serves(tmp_path):
    manifest = FleetManifest.model_validate({"shards": [_shard("a", 0, ["atcs-0001", "atcs-0002"], free_port())]})
    comp = RemoteFleetComponent(FLEET, manifest)
    with pytest.raises(InputError, match="2 camera.*no shard.*atcs-0003, atcs-0004"):
        comp.start(RunContext(run_dir=tmp_path), StepLoad(0, 4, 1.0, 0))


def test_the_run_names_a_shard_that_does_not_answer(tmp_path):
    port = free_port()                         # nothing listens there
    manifest = FleetManifest.model_validate({"shards": [_shard("host-a", 0, ["atcs-0001", "atcs-0002"], port),
                                                        _shard("host-b", 1, ["atcs-0003", "atcs-0004"], port)]})
    comp = RemoteFleetComponent(FLEET, manifest)
    with pytest.raises(ResourceError, match="shard host-a does not answer") as e:
        comp.start(RunContext(run_dir=tmp_path), StepLoad(0, 2, 1.0, 0))
    assert e.value.where == "--remote: host-a"
