"""``tilikbench labels CLIP (--mot FILE | --coco FILE)``: ground truth for recorded footage from its labels
(``fake_cameras.labels``), written as CLIP.gt.json so the clip is scored like generated footage."""
from __future__ import annotations

import argparse
from pathlib import Path

from common.errors import InputError


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("labels", help="import MOT-challenge or COCO-video labels of a recorded clip as its "
                       "ground truth (CLIP.gt.json), for `tilikbench accuracy --clips` and `model counts`")
    p.add_argument("clip", help="the recorded clip the labels belong to (as served: normalised footage)")
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--mot", help="MOT-challenge gt.txt")
    src.add_argument("--coco", help="COCO-video json (videos/images/annotations with instance ids)")
    p.add_argument("--video", type=int, help="video id inside a COCO-video file holding several")
    p.add_argument("--line-x", type=float, default=0.5, help="vertical counting line, normalised x (default 0.5)")
    p.add_argument("--default-class", default="person", choices=["car", "motorcycle", "bus", "truck", "person"],
                   help="class of MOT rows without one (default person)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from fake_cameras.groundtruth import load_ground_truth
    from fake_cameras.labels import import_labels
    clip = Path(args.clip)
    if not clip.is_file():
        raise InputError("clip not found", where=str(clip))
    if not 0.0 < args.line_x < 1.0:
        raise InputError("the counting line must lie inside the frame (0 < x < 1)", where="--line-x")
    labels = Path(args.mot or args.coco)
    if not labels.is_file():
        raise InputError("labels file not found", where=str(labels))
    out = import_labels(clip, labels, "mot" if args.mot else "coco", args.line_x, args.video, args.default_class)
    gt = load_ground_truth(out)
    print(f"wrote {out}: {gt.frames} frames, {len(gt.tracks)} tracks, {len(gt.events.line_crossings)} line crossings")
    return 0
