"""Export .pt weights to ONNX / OpenVINO with a dynamic batch and input size (for the fast CPU path)."""
from __future__ import annotations

import shutil
from pathlib import Path

from analytics.detect import ultralytics_env
from analytics.detect.factory import check_weights
from common.errors import InputError


def export(weights: str, fmt: str, imgsz: int = 320, out_dir: Path | None = None) -> Path:
    """Export and return the model path (.onnx file, or the *_openvino_model folder)."""
    ultralytics_env()
    from ultralytics import YOLO
    w = check_weights(weights, "--weights")
    try:
        model = YOLO(str(w), task="detect")
    except Exception as exc:
        raise InputError(f"cannot load detector weights ({exc})", where=str(w)) from None
    extra = {"simplify": True} if fmt == "onnx" else {}
    produced = Path(model.export(format=fmt, imgsz=imgsz, dynamic=True, half=False, verbose=False, **extra))
    if out_dir is not None:
        out_dir.mkdir(parents=True, exist_ok=True)
        dest = out_dir / produced.name
        if dest.exists():
            shutil.rmtree(dest) if dest.is_dir() else dest.unlink()
        shutil.move(str(produced), dest)
        produced = dest
    return produced
