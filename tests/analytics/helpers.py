"""Shared pieces of the analytics tests: ground truth as perfect detections, stack configs, scenarios."""
from __future__ import annotations

from pathlib import Path

from analytics.config import CLASS_NAMES
from analytics.detect.prepost import Detection

REPO = Path(__file__).resolve().parents[2]
CACHE = REPO / "cache"
WEIGHTS = REPO / "models" / "tilik-yolov8n.pt"


def gt_detections(gt, frame: int, min_visible: float = 0.3) -> list[Detection]:
    """The ground truth's objects of one frame as detections (what a perfect detector would return)."""
    out = []
    for o in gt.objects_at(frame):
        if o.visible < min_visible:
            continue
        x1, y1, x2, y2 = o.box
        out.append(Detection(max(0, x1), max(0, y1), min(gt.width, x2), min(gt.height, y2), 1.0,
                             CLASS_NAMES.index(o.cls)))
    return out


def smoke_clip(name: str = "atcs"):
    """(clip, ground truth) of a smoke-scenario camera class, generated (cached) as the fleet does."""
    from benchmarks.scenario import load_scenario
    from fake_cameras.footage import generate_clip
    from fake_cameras.groundtruth import load_ground_truth
    sc = load_scenario(REPO / "scenarios" / "smoke.yaml")
    cls = next(c for c in sc.cameras.classes if c.name == name)
    spec = cls.footage.scene.model_copy(update={"seed": cls.footage.scene.seed + sc.seed})
    clip = generate_clip(spec, cls.resolved_profile(), CACHE)
    return clip, load_ground_truth(clip.ground_truth)
