"""The camera manifest: the one contract between the camera farm and whoever reads its cameras."""
from __future__ import annotations

import json

import pytest

from analytics.ingest.camera import from_manifest
from common.errors import InputError
from common.manifest import CameraManifest, ManifestCamera, read_manifest, write_manifest
from common.profiles import get_profile


def _manifest() -> CameraManifest:
    rt = get_profile("rt-360p10")
    return CameraManifest(cameras=(
        ManifestCamera("rt-0001", "rtsp://127.0.0.1:8554/rt-0001", "rt", rt, group="CCTV RT",
                       clip="cache/footage/a.mp4", ground_truth="cache/footage/a.gt.json", clip_frames=600),
        ManifestCamera("rt-0002", "rtsp://127.0.0.1:8554/rt-0002", "rt", rt, online=False),
    ), shard=(1, 4), api_url="http://127.0.0.1:9997")


def test_a_written_manifest_reads_back_the_same(tmp_path):
    path = write_manifest(tmp_path / "m.json", _manifest())
    back = read_manifest(path)
    assert back == _manifest()
    assert back.cameras[0].fps == 10.0 and back.shard == (1, 4)


def test_the_stack_takes_ids_urls_ground_truth_and_loop_length_from_the_manifest(tmp_path):
    cams = from_manifest(read_manifest(write_manifest(tmp_path / "m.json", _manifest())))
    assert [(c.id, c.url, c.clip_frames, c.expected_online) for c in cams] == [
        ("rt-0001", "rtsp://127.0.0.1:8554/rt-0001", 600, True),
        ("rt-0002", "rtsp://127.0.0.1:8554/rt-0002", None, False)]
    assert cams[0].ground_truth == "cache/footage/a.gt.json" and cams[0].fps == 10.0
    assert [c.id for c in from_manifest(_manifest(), ids=["rt-0002"])] == ["rt-0002"]


@pytest.mark.parametrize("mutate, where, says", [
    (lambda d: d.update(manifest_version=99), "manifest_version", "not supported"),
    (lambda d: d["cameras"][1].pop("url"), "cameras[1]", "lacks url"),
    (lambda d: d["cameras"][0].update(fps=10), "cameras[0]", "unknown camera field"),
    (lambda d: d["cameras"][0].update(clip_frames=-3), "cameras[0].clip_frames", "positive integer"),
    (lambda d: d["cameras"][0]["profile"].update(width=641), "cameras[0].profile", "even"),
    (lambda d: d["cameras"].append(dict(d["cameras"][0])), "cameras", "duplicate camera id"),
])
def test_a_bad_manifest_is_refused_naming_the_field(tmp_path, mutate, where, says):
    data = _manifest().to_dict()
    mutate(data)
    path = tmp_path / "m.json"
    path.write_text(json.dumps(data))
    with pytest.raises(InputError) as err:
        read_manifest(path)
    assert says in str(err.value) and where in err.value.where


def test_a_missing_or_garbled_manifest_says_which_file(tmp_path):
    with pytest.raises(InputError, match="cameras up") as err:
        read_manifest(tmp_path / "absent.json")
    assert "absent.json" in err.value.where
    (tmp_path / "bad.json").write_bytes(b"\xff\xfe not json")
    with pytest.raises(InputError) as err:
        read_manifest(tmp_path / "bad.json")
    assert "bad.json" in err.value.where
