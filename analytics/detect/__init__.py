"""Detector backends keyed by ``type``: ``ultralytics`` (PyTorch weights), ``onnx`` (ONNX Runtime on an
Ultralytics export) and ``openvino``. All share one pre-processing (letterbox to a square input) and
one post-processing (YOLOv8 head decoding and class-wise NMS), so they differ only in the forward pass
and a batch of frames from many cameras goes through one call.
"""
from __future__ import annotations

import os
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent.parent


def ultralytics_env() -> None:
    """Ultralytics offline with a private config dir: call before importing ultralytics."""
    os.environ["YOLO_OFFLINE"] = "1"
    os.environ.setdefault("YOLO_CONFIG_DIR", str(REPO / "cache" / "ultralytics-config"))
    Path(os.environ["YOLO_CONFIG_DIR"]).mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("YOLO_VERBOSE", "False")


ultralytics_env()

from analytics.detect.prepost import Detection  # noqa: E402
from analytics.detect.factory import make_detector  # noqa: E402

__all__ = ["Detection", "make_detector", "ultralytics_env"]
