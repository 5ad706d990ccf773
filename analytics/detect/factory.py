"""``make_detector(cfg)``: the configured backend behind one batched ``detect(frames)`` call."""
from __future__ import annotations

import logging
import time
from pathlib import Path

import numpy as np

from analytics.config import CLASS_NAMES, DetectorConfig, resolve_path
from analytics.detect.prepost import Detection, decode, to_batch
from common.errors import InputError

log = logging.getLogger(__name__)


class Detector:
    """Batched detection across cameras: letterbox -> forward -> decode + NMS."""

    def __init__(self, cfg, forward):
        self.cfg = cfg
        self.forward = forward
        self.names: list[str] = list(forward.names or CLASS_NAMES)
        self.calls = 0
        self.frames = 0
        self.ms_total = 0.0

    @property
    def backend(self) -> str:
        return self.forward.name

    def detect(self, frames: list[np.ndarray]) -> list[list[Detection]]:
        out: list[list[Detection]] = []
        for i in range(0, len(frames), self.cfg.batch):
            chunk = frames[i:i + self.cfg.batch]
            t0 = time.perf_counter()
            batch, boxes = to_batch(chunk, self.cfg.imgsz)
            pred = self.forward(batch)
            out.extend(decode(pred, boxes, [f.shape[:2] for f in chunk], self.cfg.conf, self.cfg.iou))
            self.ms_total += (time.perf_counter() - t0) * 1000.0
            self.calls += 1
            self.frames += len(chunk)
        return out


def check_weights(path: str, where: str = "stack.detector.weights") -> Path:
    p = resolve_path(path)
    if not p.exists():
        hint = ""
        if p.suffix == ".pt" and "/" not in path:
            hint = " (named hub weights are never downloaded: give a file path)"
        raise InputError(f"detector weights not found: {p}{hint}", where=f"{where}: {path}")
    if p.is_file() and p.stat().st_size == 0:
        raise InputError(f"detector weights file is empty (corrupt): {p}", where=f"{where}: {path}")
    return p


def make_detector(cfg: DetectorConfig) -> Detector:
    from analytics.detect.backends import OnnxForward, OpenVinoForward, TorchForward
    weights = check_weights(cfg.weights)
    if cfg.type == "ultralytics":
        fwd = TorchForward(weights, device=cfg.device, threads=cfg.threads)
    elif cfg.type == "onnx":
        fwd = OnnxForward(weights, cfg.imgsz, threads=cfg.threads)
    elif cfg.type == "openvino":
        fwd = OpenVinoForward(weights, cfg.imgsz, threads=cfg.threads, precision=cfg.precision)
    else:  # pragma: no cover - the config union forbids it
        raise InputError(f"unknown detector type {cfg.type!r}", where="stack.detector.type")
    det = Detector(cfg, fwd)
    log.info("detector %s %s imgsz %d classes %s", cfg.type, weights, cfg.imgsz, det.names)
    return det
