"""The layout of a YOLO-format detector dataset, shared by the camera farm (which writes one from
generated scenes) and the detector's training (which reads it).

Layout: DIR/images/{train,val}/*.jpg, DIR/labels/{train,val}/*.txt, DIR/data.yaml, DIR/dataset.json.
"""
from __future__ import annotations

from pathlib import Path

CLASSES = ("car", "motorcycle", "bus", "truck", "person")
"""Detector class ids are indices into this tuple."""


def data_yaml(root: Path) -> str:
    """Ultralytics' data.yaml for a dataset at ``root`` (written again whenever the dataset moves)."""
    names = "\n".join(f"  {i}: {c}" for i, c in enumerate(CLASSES))
    return f"path: {Path(root).resolve()}\ntrain: images/train\nval: images/val\nnames:\n{names}\n"
