"""A YOLO-format detector dataset from generated street scenes (``tilikbench detector dataset``).

Frames come from encoded clips (``footage.generate_clip``) decoded again, so the
compression artefacts match what the stack sees from the cameras; labels come from the clips' ground
truth. Scenes vary (seed, traffic density, class mix with more buses and trucks than real traffic so
every class is learnt, parking, night, rain, flood, garbage) and frame sizes vary over the camera
profiles. The validation set uses scene seeds disjoint from the training set's.

Layout: see ``common.yolo_dataset``.
"""
from __future__ import annotations

import json
import logging
import os
import shutil
from pathlib import Path

import cv2
import numpy as np

from common.errors import InputError
from common.yolo_dataset import CLASSES, data_yaml

log = logging.getLogger(__name__)

# (width, height, fps, bitrate kbit/s at that fps, gop): the camera profiles' sizes, fewer frames per second
SIZES = [(320, 240, 10, 256, 10), (640, 360, 10, 384, 20), (854, 480, 10, 512, 20), (1280, 720, 15, 1536, 30)]
CLIP_S = 30.0
FRAMES_PER_CLIP = 24
VAL_SEED_OFFSET = 1_000_003
MIN_VISIBLE = 0.3


def scene_for(seed: int):
    """A varied scene spec drawn from ``seed``."""
    from fake_cameras.scene import FloodSpec, GarbageSpec, ParkingSpec, SceneSpec
    rng = np.random.default_rng(seed)
    mix = rng.dirichlet([2.0, 2.5, 1.2, 1.4])
    return SceneSpec(
        seed=seed, duration_s=CLIP_S,
        class_mix={"car": float(mix[0]), "motorcycle": float(mix[1]), "bus": float(mix[2]), "truck": float(mix[3])},
        vehicles_per_min=float(rng.uniform(30, 110)), pedestrians_per_min=float(rng.uniform(5, 40)),
        parking=ParkingSpec(dwell_s=float(rng.uniform(5, 12)), cls=str(rng.choice(["car", "motorcycle", "truck"])))
        if rng.random() < 0.3 else None,
        night=bool(rng.random() < 0.12), rain=bool(rng.random() < 0.15),
        flood=FloodSpec(start_s=float(rng.uniform(0, 10)), rise_s=10.0, max_level=float(rng.uniform(0.2, 0.7)))
        if rng.random() < 0.15 else None,
        garbage=GarbageSpec(appear_s=float(rng.uniform(0, 10))) if rng.random() < 0.2 else None,
    )


def _profile(size):
    from common.profiles import CameraProfile
    w, h, fps, kbps, gop = size
    return CameraProfile(width=w, height=h, fps=fps, bitrate_kbps=kbps, gop=gop, codec="h264")


def _labels(objects, w: int, h: int) -> list[str]:
    out = []
    for o in objects:
        if o.visible < MIN_VISIBLE or o.cls not in CLASSES:
            continue
        x1, y1, x2, y2 = max(0, o.box[0]), max(0, o.box[1]), min(w, o.box[2]), min(h, o.box[3])
        if x2 - x1 < 2 or y2 - y1 < 2:
            continue
        out.append(f"{CLASSES.index(o.cls)} {(x1 + x2) / 2 / w:.6f} {(y1 + y2) / 2 / h:.6f} "
                   f"{(x2 - x1) / w:.6f} {(y2 - y1) / h:.6f}")
    return out


def _clip_frames(seed: int, size, cache_dir: Path, picks: int, rng: np.random.Generator):
    """(frame, labels) pairs decoded from the encoded clip of ``seed`` at ``size``."""
    import av
    from fake_cameras.footage import generate_clip
    from fake_cameras.groundtruth import load_ground_truth
    clip = generate_clip(scene_for(seed), _profile(size), cache_dir)
    gt = load_ground_truth(clip.ground_truth)
    n = gt.frames
    lo, hi = int(0.05 * n), int(0.97 * n)
    want = set(np.linspace(lo, hi, picks).astype(int).tolist())
    with av.open(str(clip.path)) as c:
        for i, frame in enumerate(c.decode(video=0)):
            if i in want:
                img = frame.to_ndarray(format="bgr24")
                yield img, _labels(gt.objects_at(i), gt.width, gt.height), i


def build_dataset(out: Path, images: int, imgsz: int, seed: int, val_share: float = 0.2,
                  cache_dir: Path = Path("cache"), progress=None) -> dict:
    out = Path(out)
    if images < 10:
        raise InputError("need at least 10 images", where="--images")
    tmp = out.with_name(out.name + ".partial")
    shutil.rmtree(tmp, ignore_errors=True)
    n_val = max(2, int(round(images * val_share)))
    counts = {"train": images - n_val, "val": n_val}
    summary: dict = {"images": {}, "objects": {}, "clips": {}, "imgsz": imgsz, "seed": seed}
    rng = np.random.default_rng(seed)
    for split, n in counts.items():
        (tmp / "images" / split).mkdir(parents=True)
        (tmp / "labels" / split).mkdir(parents=True)
        objs = {c: 0 for c in CLASSES}
        done, k = 0, 0
        base = seed * 1000 + (VAL_SEED_OFFSET if split == "val" else 0)
        seeds = []
        while done < n:
            s = base + k
            size = SIZES[k % len(SIZES)]
            k += 1
            seeds.append(s)
            for img, labels, i in _clip_frames(s, size, cache_dir, min(FRAMES_PER_CLIP, n - done), rng):
                h, w = img.shape[:2]
                scale = min(1.0, imgsz / max(w, h))
                if scale < 1.0:
                    img = cv2.resize(img, (int(round(w * scale)), int(round(h * scale))), interpolation=cv2.INTER_AREA)
                name = f"s{s}_{w}x{h}_f{i:04d}"
                cv2.imwrite(str(tmp / "images" / split / f"{name}.jpg"), img, [cv2.IMWRITE_JPEG_QUALITY, 88])
                (tmp / "labels" / split / f"{name}.txt").write_text("\n".join(labels) + ("\n" if labels else ""))
                for line in labels:
                    objs[CLASSES[int(line.split()[0])]] += 1
                done += 1
                if done >= n:
                    break
            if progress:
                progress(split, done, n)
        summary["images"][split] = done
        summary["objects"][split] = objs
        summary["clips"][split] = seeds
    (tmp / "data.yaml").write_text(data_yaml(out))
    (tmp / "dataset.json").write_text(json.dumps(summary, indent=1))
    if out.exists():
        shutil.rmtree(out)
    os.replace(tmp, out)
    summary["bytes"] = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    return summary

