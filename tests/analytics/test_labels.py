"""Labels of recorded footage (MOT challenge, COCO video) imported as ground truth: a generated clip's
own boxes written in each format and read back give the same crossings, and score like the original."""
from __future__ import annotations

import json
import shutil

import pytest

from analytics.scoring import RuleTruth, clip_truth
from analytics.tracking_metrics import tracking_score, truth_boxes
from common.errors import InputError
from fake_cameras.groundtruth import load_ground_truth
from fake_cameras.labels import import_labels
from tests.analytics.helpers import smoke_clip

MOT_CLASS = {"person": 1, "car": 3, "motorcycle": 5}


@pytest.fixture(scope="module")
def recorded(tmp_path_factory):
    """The rt smoke clip copied as if it were recorded footage, with its ground truth kept aside."""
    clip, gt = smoke_clip("rt")
    d = tmp_path_factory.mktemp("recorded")
    shutil.copy(clip.path, d / "street.mp4")
    return d / "street.mp4", gt


def _as_mot(gt) -> str:
    rows = []
    for f in gt.per_frame:
        for o in f.objects:
            if o.cls in MOT_CLASS:
                x1, y1, x2, y2 = o.box
                rows.append(f"{f.frame + 1},{o.track_id},{x1},{y1},{x2 - x1},{y2 - y1},1,{MOT_CLASS[o.cls]},"
                            f"{o.visible}")
    return "\n".join(rows) + "\n"


def _as_coco(gt) -> dict:
    images = [{"id": 100 + f.frame, "video_id": 1, "frame_id": f.frame} for f in gt.per_frame]
    anns = [{"id": i, "image_id": 100 + f.frame,
             "bbox": [o.box[0], o.box[1], o.box[2] - o.box[0], o.box[3] - o.box[1]],
             "category_id": {"car": 3, "motorcycle": 4, "bus": 6, "truck": 8, "person": 1}[o.cls],
             "instance_id": o.track_id}
            for i, (f, o) in enumerate((f, o) for f in gt.per_frame for o in f.objects)]
    cats = [{"id": 1, "name": "person"}, {"id": 3, "name": "car"}, {"id": 4, "name": "motorcycle"},
            {"id": 6, "name": "bus"}, {"id": 8, "name": "truck"}]
    return {"videos": [{"id": 1}], "images": images, "annotations": anns, "categories": cats}


def _crossings(gt):
    return sorted((p.attrs, round(p.t, 2)) for p in clip_truth(gt, "c", RuleTruth(rules=("line_count",))))


@pytest.mark.parametrize("fmt", ["mot", "coco"])
def test_imported_labels_give_the_same_truth_as_the_generator(recorded, tmp_path, fmt):
    clip, gt = recorded
    labels = tmp_path / ("gt.txt" if fmt == "mot" else "labels.json")
    labels.write_text(_as_mot(gt) if fmt == "mot" else json.dumps(_as_coco(gt)))
    out = import_labels(clip, labels, fmt)
    imported = load_ground_truth(out)
    assert (imported.frames, imported.fps, imported.width) == (gt.frames, gt.fps, gt.width)
    kept = [c for c in gt.events.line_crossings if fmt == "coco" or c.cls in MOT_CLASS]
    assert kept and _crossings(imported) == sorted(((c.cls, c.direction), round(c.t, 2)) for c in kept)
    frames = range(gt.frames)
    assert tracking_score(truth_boxes(imported, frames), truth_boxes(imported, frames)).idf1 == 1.0


def test_bad_labels_name_the_file_and_line(recorded, tmp_path):
    clip, _ = recorded
    bad = tmp_path / "gt.txt"
    bad.write_text("1,1,10,10,5,5,1,3,1.0\n2,1,10\n")
    with pytest.raises(InputError) as e:
        import_labels(clip, bad, "mot")
    assert "gt.txt:2" in str(e.value) and "at least 6 fields" in str(e.value)
    late = tmp_path / "late.txt"
    late.write_text("100000,1,10,10,5,5,1,3,1.0\n")
    with pytest.raises(InputError, match="labels reach frame 100000"):
        import_labels(clip, late, "mot")
