"""``tilikbench detector train``: yolov8n from its yaml (no pretrained weights) on a generated dataset.

Writes the best weights to ``--out``, evaluates them on the dataset's held-out validation split
(scene seeds never seen in training), and writes the facts to models/MODEL_CARD.md.
"""
from __future__ import annotations

import json
import logging
import shutil
import tempfile
import time
from pathlib import Path

from analytics.detect import ultralytics_env
from common.errors import InputError
from common.yolo_dataset import data_yaml

log = logging.getLogger(__name__)

REPO = Path(__file__).resolve().parent.parent.parent


def _check_dataset(data: Path) -> None:
    for sub in ("images/train", "images/val", "labels/train", "labels/val"):
        if not (data / sub).is_dir():
            raise InputError(f"not a tilikbench dataset: {sub}/ is missing (make one with "
                             f"`tilikbench detector dataset --out {data}`)", where=str(data))


def train(data: Path, epochs: int, imgsz: int, device: str, out: Path, batch: int = 16, workers: int = 2,
          amp: bool = False, arch: str = "yolov8n.yaml", seed: int = 0, patience: int = 100) -> dict:
    ultralytics_env()
    from ultralytics import YOLO
    data = Path(data).resolve()
    _check_dataset(data)
    work = Path(tempfile.mkdtemp(prefix="tilik-train-", dir=REPO / "cache" if (REPO / "cache").is_dir() else None))
    yaml_path = work / "data.yaml"
    yaml_path.write_text(data_yaml(data))          # the dataset may have moved since it was made
    t0 = time.monotonic()
    try:
        model = YOLO(arch)
        model.train(data=str(yaml_path), epochs=epochs, imgsz=imgsz, device=device, batch=batch,
                    workers=workers, project=str(work), name="run", exist_ok=True, pretrained=False,
                    amp=amp, plots=False, seed=seed, deterministic=False, patience=patience, verbose=False,
                    val=True)
        best = work / "run" / "weights" / "best.pt"
        if not best.is_file():
            best = work / "run" / "weights" / "last.pt"
        train_s = time.monotonic() - t0
        out = Path(out)
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = out.with_name(out.name + ".tmp")
        shutil.copyfile(best, tmp)
        tmp.replace(out)
        metrics = evaluate(out, data, imgsz, device)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    summary = json.loads((data / "dataset.json").read_text()) if (data / "dataset.json").is_file() else {}
    facts = {"weights": str(out), "arch": arch, "epochs": epochs, "imgsz": imgsz, "batch": batch,
             "device": device, "train_s": round(train_s, 1), "dataset": summary, **metrics}
    return facts


def evaluate(weights: Path, data: Path, imgsz: int, device: str = "cpu") -> dict:
    """mAP of ``weights`` on the dataset's held-out split, overall and per class."""
    ultralytics_env()
    from ultralytics import YOLO
    data = Path(data).resolve()
    work = Path(tempfile.mkdtemp(prefix="tilik-val-"))
    try:
        yaml_path = work / "data.yaml"
        yaml_path.write_text(data_yaml(data))
        m = YOLO(str(weights)).val(data=str(yaml_path), imgsz=imgsz, device=device, batch=16, plots=False,
                                   verbose=False, project=str(work), name="val", workers=0)
        names = m.names
        per_class = {names[int(c)]: round(float(m.box.maps[i]), 4) for i, c in enumerate(m.box.ap_class_index)}
        per_class50 = {names[int(c)]: round(float(m.box.ap50[i]), 4) for i, c in enumerate(m.box.ap_class_index)}
        return {"mAP50": round(float(m.box.map50), 4), "mAP50_95": round(float(m.box.map), 4),
                "per_class_mAP50": per_class50, "per_class_mAP50_95": per_class}
    finally:
        shutil.rmtree(work, ignore_errors=True)


def model_card(facts: dict, command: str) -> str:
    ds = facts.get("dataset", {})
    imgs = ds.get("images", {})
    objs = ds.get("objects", {})
    per = facts.get("per_class_mAP50", {})
    rows = "\n".join(f"| {c} | {per.get(c, '-')} | {facts.get('per_class_mAP50_95', {}).get(c, '-')} | "
                     f"{objs.get('train', {}).get(c, '-')} | {objs.get('val', {}).get(c, '-')} |"
                     for c in ("car", "motorcycle", "bus", "truck", "person"))
    training = (f"{imgs.get('train', '?')} frames decoded from encoded generated clips (scene seeds "
                f"{ds.get('clips', {}).get('train', ['?'])[0]}..., "
                "varied traffic, night, rain, flood, garbage, 240p..720p)")
    return f"""# Model card: {Path(facts['weights']).name}

The project's own small detector for **generated** street footage (the camera farm's scene generator). It is not a
general-purpose detector: it has only seen procedurally drawn vehicles and people, and is meant for
measuring the stack offline, where no COCO-trained weights are available.

| fact | value |
|---|---|
| architecture | {facts['arch']} (built from its yaml, no pretrained weights) |
| classes | car, motorcycle, bus, truck, person (ids 0..4) |
| input size | {facts['imgsz']} |
| epochs | {facts['epochs']} (batch {facts['batch']}, device {facts['device']}, {facts['train_s']} s) |
| training data | {training} |
| held-out data | {imgs.get('val', '?')} frames from scene seeds disjoint from training |
| mAP50 (held-out) | {facts['mAP50']} |
| mAP50-95 (held-out) | {facts['mAP50_95']} |

| class | mAP50 | mAP50-95 | train boxes | val boxes |
|---|---|---|---|---|
{rows}

## How to retrain

```
{command}
```

`tilikbench detector dataset` renders scenes, encodes them with the camera profiles' codec settings,
decodes them again and writes YOLO labels from the ground truth; `tilikbench detector train` trains
yolov8n from its yaml with Ultralytics (offline: YOLO_OFFLINE=1, private YOLO_CONFIG_DIR) and
evaluates the best epoch on the held-out split.
"""
