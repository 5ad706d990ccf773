"""Pre- and post-processing shared by every detector backend."""
from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np


@dataclass(frozen=True)
class Detection:
    """One detected object, box in pixels of the original frame."""

    x1: float
    y1: float
    x2: float
    y2: float
    conf: float
    cls: int


@dataclass(frozen=True)
class Letterbox:
    scale: float
    pad_x: float
    pad_y: float


def letterbox(frame: np.ndarray, size: int) -> tuple[np.ndarray, Letterbox]:
    """Resize keeping the aspect ratio into a size x size canvas (grey 114 padding), centred."""
    h, w = frame.shape[:2]
    s = min(size / w, size / h)
    nw, nh = int(round(w * s)), int(round(h * s))
    out = np.full((size, size, 3), 114, dtype=np.uint8)
    px, py = (size - nw) // 2, (size - nh) // 2
    out[py:py + nh, px:px + nw] = cv2.resize(frame, (nw, nh), interpolation=cv2.INTER_LINEAR)
    return out, Letterbox(s, px, py)


def to_batch(frames: list[np.ndarray], size: int) -> tuple[np.ndarray, list[Letterbox]]:
    """BGR frames -> float32 NCHW RGB batch in 0..1, and how each frame was letterboxed."""
    batch = np.empty((len(frames), 3, size, size), dtype=np.float32)
    boxes = []
    for i, f in enumerate(frames):
        img, lb = letterbox(f, size)
        batch[i] = img[:, :, ::-1].transpose(2, 0, 1)
        boxes.append(lb)
    batch *= 1.0 / 255.0
    return batch, boxes


def decode(pred: np.ndarray, boxes: list[Letterbox], shapes: list[tuple[int, int]],
           conf: float, iou: float, max_det: int = 300) -> list[list[Detection]]:
    """YOLOv8 head output (B, 4+nc, A) in input pixels -> detections per frame, class-wise NMS."""
    out: list[list[Detection]] = []
    for b in range(pred.shape[0]):
        p = pred[b].T                       # (A, 4+nc)
        scores = p[:, 4:]
        cls = scores.argmax(1)
        best = scores[np.arange(len(cls)), cls]
        keep = best >= conf
        if not keep.any():
            out.append([])
            continue
        xywh, cls, best = p[keep, :4], cls[keep], best[keep]
        tl = xywh[:, :2] - xywh[:, 2:] / 2
        rects = np.concatenate([tl, xywh[:, 2:]], 1)
        idx = cv2.dnn.NMSBoxesBatched(rects.tolist(), best.tolist(), cls.tolist(), conf, iou)
        idx = np.asarray(idx, dtype=int).reshape(-1)[:max_det]
        lb = boxes[b]
        h, w = shapes[b]
        dets = []
        for i in idx:
            x, y, bw, bh = rects[i]
            x1 = min(max((x - lb.pad_x) / lb.scale, 0.0), w)
            y1 = min(max((y - lb.pad_y) / lb.scale, 0.0), h)
            x2 = min(max((x + bw - lb.pad_x) / lb.scale, 0.0), w)
            y2 = min(max((y + bh - lb.pad_y) / lb.scale, 0.0), h)
            dets.append(Detection(float(x1), float(y1), float(x2), float(y2), float(best[i]), int(cls[i])))
        out.append(dets)
    return out
