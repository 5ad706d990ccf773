"""Tracking metrics from maintained libraries: MOTA and IDF1 from py-motmetrics, HOTA from Roboflow's
``trackers`` package (``trackers.eval``, its port of TrackEval's HOTA: the mean over IoU thresholds
0.05..0.95 of sqrt(DetA x AssA)); TrackEval itself is not on PyPI.

Ground truth and hypotheses are ``{frame: [(id, (x1, y1, x2, y2)), ...]}`` over the frames analysed
(at 1 fps only every clip-fps-th frame is scored, for ground truth and tracker alike). Ground-truth
objects less than ``MIN_VISIBLE`` visible are left out, as the detector cannot see them either.
Distances for MOTA/IDF1: 1 - IoU, pairs with IoU < 0.5 never match.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

MIN_VISIBLE = 0.3
Boxes = dict[int, list[tuple[int, tuple[float, float, float, float]]]]


@dataclass(frozen=True)
class TrackingScore:
    mota: float
    idf1: float
    hota: float
    id_switches: int
    frames: int

    def as_dict(self) -> dict:
        return {"mota": round(self.mota, 4), "idf1": round(self.idf1, 4), "hota": round(self.hota, 4),
                "id_switches": self.id_switches, "frames": self.frames}


def truth_boxes(gt, frames) -> Boxes:
    """The clip's drawn objects (visible enough) on the given frames."""
    return {n: [(o.track_id, tuple(float(v) for v in o.box)) for o in gt.objects_at(n) if o.visible >= MIN_VISIBLE]
            for n in frames}


def _iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    if not len(a) or not len(b):
        return np.zeros((len(a), len(b)))
    x1 = np.maximum(a[:, None, 0], b[None, :, 0])
    y1 = np.maximum(a[:, None, 1], b[None, :, 1])
    x2 = np.minimum(a[:, None, 2], b[None, :, 2])
    y2 = np.minimum(a[:, None, 3], b[None, :, 3])
    inter = np.clip(x2 - x1, 0, None) * np.clip(y2 - y1, 0, None)
    area = lambda z: (z[:, 2] - z[:, 0]) * (z[:, 3] - z[:, 1])  # noqa: E731
    return inter / np.maximum(area(a)[:, None] + area(b)[None, :] - inter, 1e-9)


def tracking_score(truth: Boxes, hyp: Boxes) -> TrackingScore:
    """MOTA, IDF1 (py-motmetrics) and HOTA (trackers.eval) of ``hyp`` against ``truth``."""
    import motmetrics as mm
    from trackers.eval import compute_hota_metrics
    acc = mm.MOTAccumulator(auto_id=True)
    gt_ids, hy_ids, sims = [], [], []
    for n in sorted(truth):
        g, h = truth[n], hyp.get(n, [])
        gb = np.array([b for _, b in g], float).reshape(-1, 4)
        hb = np.array([b for _, b in h], float).reshape(-1, 4)
        iou = _iou(gb, hb)
        acc.update([i for i, _ in g], [i for i, _ in h], np.where(iou >= 0.5, 1.0 - iou, np.nan))
        gt_ids.append(np.array([i for i, _ in g], int))
        hy_ids.append(np.array([i for i, _ in h], int))
        sims.append(iou)
    m = mm.metrics.create().compute(acc, metrics=["mota", "idf1", "num_switches"], name="clip")
    hota = compute_hota_metrics(gt_ids, hy_ids, sims)["HOTA"]
    return TrackingScore(float(m["mota"].iloc[0]), float(m["idf1"].iloc[0]), float(hota),
                         int(m["num_switches"].iloc[0]), len(truth))
