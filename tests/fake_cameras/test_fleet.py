"""The fleet on the embedded backend: 20 cameras read with OpenCV, status, impairments, clean stops."""
from __future__ import annotations

import time

import pytest

from fake_cameras.backends.base import readers_count
from fake_cameras.config import FleetConfig
from fake_cameras.fleet import Fleet, in_shard
from fake_cameras.reader import read_stream
from tests.fake_cameras.fleet_helpers import CACHE, alive, fleet_dict, read_all_with_opencv, records_of, rt_class, tree


def test_twenty_cameras_read_with_opencv_at_exact_size_and_profile_fps(tmp_path):
    config = FleetConfig.model_validate(fleet_dict([rt_class(20)]))
    with Fleet(config, cache_dir=CACHE, state_dir=tmp_path / "state") as fleet:
        fleet.start(timeout=60)
        cams = fleet.cameras
        assert len(cams) == 20 and len({c.url for c in cams}) == 20
        assert all(c.ground_truth is not None and c.ground_truth.exists() for c in cams)
        results = read_all_with_opencv([c.url for c in cams], seconds=4.0)
        status = {i["name"]: i for i in fleet.status()}
        server_records = records_of(tree(fleet.pids()[0]))
    for cam in cams:
        r = results[cam.url]
        assert r["ok"], f"{cam.id}: no frame"
        assert r["read_s"] >= 2.0, f"{cam.id}: read only {r['read_s']:.1f}s"
        assert r["shape"] == (360, 640, 3), cam.id
        assert abs(r["fps"] - 10.0) <= 1.0, f"{cam.id}: {r['fps']:.2f} fps, profile 10"
    assert len(status) == 20 and all(i["ready"] for i in status.values())
    assert all(i["bytesSent"] > 0 and i["bytesReceived"] > 0 for i in status.values())
    assert alive(server_records) == []


def test_status_counts_readers_and_pages(tmp_path):
    config = FleetConfig.model_validate(fleet_dict([rt_class(3, variants=1)]))
    with Fleet(config, cache_dir=CACHE, state_dir=tmp_path / "state") as fleet:
        fleet.start(timeout=60)
        from fake_cameras.backends.base import get_json
        page = get_json(f"{fleet.api_url}/v3/paths/list?page=1&itemsPerPage=2")
        assert page["itemCount"] == 3 and page["pageCount"] == 2 and len(page["items"]) == 1
        stats = read_stream(fleet.cameras[0].url, None, read_s=3.5)
        assert stats.error is None and stats.packets > 10
        # the reader has gone: its session is no longer counted
        time.sleep(0.5)
        assert all(readers_count(i) == 0 for i in fleet.status())


def test_exception_inside_with_block_leaves_no_process(tmp_path):
    config = FleetConfig.model_validate(fleet_dict([rt_class(2, variants=1)]))
    records = []
    with pytest.raises(RuntimeError, match="boom"):
        with Fleet(config, cache_dir=CACHE, state_dir=tmp_path / "state") as fleet:
            fleet.start(timeout=60)
            records = records_of(tree(fleet.pids()[0]))
            assert alive(records)
            raise RuntimeError("boom")
    assert records and alive(records) == []
    assert not (tmp_path / "state" / "cameras-procs.json").exists()


def test_offline_window_makes_reads_fail_and_the_camera_come_back(tmp_path):
    config = FleetConfig.model_validate(fleet_dict(
        [rt_class(2, variants=1)], impairments=[{"kind": "offline", "target": "rt-0002", "at_s": 5, "duration_s": 4}]))
    with Fleet(config, cache_dir=CACHE, state_dir=tmp_path / "state") as fleet:
        t0 = time.monotonic()
        fleet.start(timeout=60)
        started = time.monotonic()        # the schedule's clock starts when the fleet is up
        url = fleet.cameras[1].url
        # a reader that started before the window is cut off when it opens
        before = read_stream(url, started + 8)
        cut_at = time.monotonic() - started
        assert before.packets > 0 and cut_at < 7.5, f"stream ran on until {cut_at:.1f}s after the fleet was up"
        # during the window the camera cannot be opened, and the status says it is not ready
        during = read_stream(url, time.monotonic() + 2, open_timeout_s=3)
        assert during.packets == 0 and during.error
        assert not {i["name"]: i for i in fleet.status()}["rt-0002"]["ready"]
        # the other camera was never touched
        assert {i["name"]: i for i in fleet.status()}["rt-0001"]["ready"]
        deadline = time.monotonic() + 8
        while not {i["name"]: i for i in fleet.status()}["rt-0002"]["ready"]:
            assert time.monotonic() < deadline, "camera did not come back"
            time.sleep(0.1)
        assert time.monotonic() - t0 >= 8.9
        after = read_stream(url, None, read_s=4)
        assert after.error is None and after.rate_fps and abs(after.rate_fps - 10) < 1


def test_stop_server_and_start_server_keep_the_urls(tmp_path):
    config = FleetConfig.model_validate(fleet_dict([rt_class(1, variants=1)]))
    with Fleet(config, cache_dir=CACHE, state_dir=tmp_path / "state") as fleet:
        fleet.start(timeout=60)
        url = fleet.cameras[0].url
        old = records_of(fleet.pids())
        fleet.stop_server()
        assert alive(old) == []
        assert read_stream(url, time.monotonic() + 1, open_timeout_s=2).error
        fleet.start_server()
        assert fleet.cameras[0].url == url
        assert read_stream(url, None, read_s=3.5).packets > 5


def test_shards_partition_the_camera_list():
    ids = [f"rt-{i:04d}" for i in range(1, 101)]
    for method in ("hash", "round_robin"):
        parts = [[c for i, c in enumerate(ids) if in_shard(c, i, (k, 3), method)] for k in range(3)]
        assert sorted(sum(parts, [])) == ids
        assert all(15 <= len(p) <= 50 for p in parts), [len(p) for p in parts]
    # stable: the same id lands in the same shard whatever else is in the list
    assert in_shard("rt-0042", 0, (1, 3)) == in_shard("rt-0042", 99, (1, 3))
    config = FleetConfig.model_validate(fleet_dict([rt_class(10)], shard={"index": 1, "count": 2}))
    fleet = Fleet(config, cache_dir=CACHE)
    assert 0 < len(fleet.cameras) < 10
    assert len(fleet.cameras) + len(Fleet(config, shard=(0, 2)).cameras) == 10
