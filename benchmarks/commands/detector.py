"""``tilikbench detector dataset|train|evaluate|card|export|counts``: the project's own detector for generated
footage, and the stack's line counts against ground truth."""
from __future__ import annotations

import argparse
import json
import shlex
import sys
from pathlib import Path

from common.errors import InputError


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("detector", help="build the dataset, train, evaluate and export the project's detector")
    msub = p.add_subparsers(dest="detector_command", metavar="ACTION", required=True)

    d = msub.add_parser("dataset", help="YOLO-format dataset from generated, encoded and decoded footage")
    d.add_argument("--out", required=True, help="output folder (replaced when it exists)")
    d.add_argument("--images", type=int, default=1500, help="frames in all (train + val), default 1500")
    d.add_argument("--imgsz", type=int, default=320, help="longest side of the stored jpgs, default 320")
    d.add_argument("--val-share", type=float, default=0.2, help="share of frames held out, default 0.2")
    d.add_argument("--seed", type=int, default=0, help="base seed of the scenes, default 0")
    d.add_argument("--cache-dir", type=Path, default=Path("cache"), help="footage cache (default: cache)")
    d.set_defaults(func=run_dataset)

    t = msub.add_parser("train", help="train yolov8n from its yaml (no pretrained weights); writes the model card")
    t.add_argument("--data", required=True, help="dataset folder made by `detector dataset`")
    t.add_argument("--epochs", type=int, default=60, help="default 60")
    t.add_argument("--imgsz", type=int, default=320, help="default 320")
    t.add_argument("--batch", type=int, default=16, help="default 16")
    t.add_argument("--device", default="cpu", help="cpu or a CUDA index such as 0")
    t.add_argument("--workers", type=int, default=2, help="data-loader workers, default 2")
    t.add_argument("--amp", action="store_true", help="mixed precision on a GPU (off by default: its "
                   "self-check wants downloadable weights)")
    t.add_argument("--out", default="models/tilik-yolov8n.pt", help="weights file, default models/tilik-yolov8n.pt")
    t.add_argument("--card", default="models/MODEL_CARD.md", help="model card to write, default models/MODEL_CARD.md")
    t.set_defaults(func=run_train)

    e = msub.add_parser("evaluate", help="mAP of weights on a dataset's held-out split")
    e.add_argument("--weights", default="models/tilik-yolov8n.pt")
    e.add_argument("--data", required=True)
    e.add_argument("--imgsz", type=int, default=320)
    e.add_argument("--device", default="cpu")
    e.set_defaults(func=run_evaluate)

    c = msub.add_parser("card", help="evaluate weights trained elsewhere (e.g. on a GPU machine) and write "
                        "the model card")
    c.add_argument("--weights", default="models/tilik-yolov8n.pt")
    c.add_argument("--data", required=True, help="the dataset folder it was trained on (its val split is used)")
    c.add_argument("--imgsz", type=int, default=320)
    c.add_argument("--epochs", type=int, required=True, help="epochs it was trained for")
    c.add_argument("--batch", type=int, default=16)
    c.add_argument("--trained-on", default="cpu", help="where it was trained, for the card (e.g. 'cuda H100')")
    c.add_argument("--train-seconds", type=float, default=0.0, help="training time in seconds, for the card")
    c.add_argument("--card", default="models/MODEL_CARD.md")
    c.set_defaults(func=run_card)

    x = msub.add_parser("export", help="export .pt weights to ONNX or OpenVINO (dynamic batch and size)")
    x.add_argument("--weights", default="models/tilik-yolov8n.pt")
    x.add_argument("--format", choices=["onnx", "openvino"], required=True)
    x.add_argument("--imgsz", type=int, default=320)
    x.set_defaults(func=run_export)

    k = msub.add_parser("counts", help="line-count accuracy of detector + tracker + rule on whole generated "
                        "clips against their ground truth, at several sampling rates")
    k.add_argument("clips", nargs="+", help="generated clips (.mp4) with their .gt.json beside them")
    k.add_argument("--fps", default="1,2,3,5", help="sampling rates, comma-separated (default 1,2,3,5)")
    k.add_argument("--weights", default="models/tilik-yolov8n.pt")
    k.add_argument("--imgsz", type=int, default=320)
    k.add_argument("--out", help="also write the figures as versioned JSON to this file")
    k.set_defaults(func=run_counts)


def run_dataset(args: argparse.Namespace) -> int:
    from fake_cameras.dataset import build_dataset

    def progress(split, done, n):
        print(f"  {split}: {done}/{n} frames", file=sys.stderr)
    s = build_dataset(Path(args.out), args.images, args.imgsz, args.seed, args.val_share, args.cache_dir, progress)
    print(f"dataset {args.out}: {s['images']['train']} train + {s['images']['val']} val frames, "
          f"{s['bytes'] / 1e6:.1f} MB")
    for split in ("train", "val"):
        print(f"  {split} boxes: " + ", ".join(f"{k} {v}" for k, v in s["objects"][split].items()))
    return 0


def run_train(args: argparse.Namespace) -> int:
    from analytics.training.train import train
    if args.epochs < 1:
        raise InputError("epochs must be >= 1", where="--epochs")
    facts = train(Path(args.data), args.epochs, args.imgsz, args.device, Path(args.out), batch=args.batch,
                  workers=args.workers, amp=args.amp)
    images = facts["dataset"].get("images", {})
    cmd = (f"tilikbench detector dataset --out {args.data} --images {images.get('train', 0) + images.get('val', 0)} "
           f"--imgsz {facts['dataset'].get('imgsz', args.imgsz)} --seed {facts['dataset'].get('seed', 0)}\n"
           + "tilikbench detector train " + " ".join(shlex.quote(a) for a in
                                                  ["--data", args.data, "--epochs", str(args.epochs), "--imgsz",
                                                   str(args.imgsz), "--batch", str(args.batch), "--device",
                                                   args.device, "--out", args.out]))
    card = Path(args.card)
    _write_card(facts, cmd, card, Path(args.out))
    print(f"weights {args.out}: mAP50 {facts['mAP50']:.3f}, mAP50-95 {facts['mAP50_95']:.3f} on the held-out "
          f"set ({facts['epochs']} epochs, imgsz {facts['imgsz']}, {facts['train_s']:.0f} s)")
    print("  per class mAP50: " + ", ".join(f"{k} {v:.3f}" for k, v in facts["per_class_mAP50"].items()))
    print(f"model card: {card}")
    return 0


def _write_card(facts: dict, cmd: str, card: Path, weights: Path) -> None:
    from analytics.training.train import model_card
    card.parent.mkdir(parents=True, exist_ok=True)
    tmp = card.with_name(card.name + ".tmp")
    tmp.write_text(model_card(facts, cmd))
    tmp.replace(card)
    weights.with_suffix(".json").write_text(json.dumps(facts, indent=1))


def run_card(args: argparse.Namespace) -> int:
    from analytics.detect.factory import check_weights
    from analytics.training.train import evaluate
    w = check_weights(args.weights, "--weights")
    data = Path(args.data)
    m = evaluate(w, data, args.imgsz, "cpu")
    summary = json.loads((data / "dataset.json").read_text()) if (data / "dataset.json").is_file() else {}
    facts = {"weights": str(args.weights), "arch": "yolov8n.yaml", "epochs": args.epochs, "imgsz": args.imgsz,
             "batch": args.batch, "device": args.trained_on, "train_s": round(args.train_seconds, 1),
             "dataset": summary, **m}
    imgs = summary.get("images", {})
    cmd = (f"tilikbench detector dataset --out {args.data} --images {imgs.get('train', 0) + imgs.get('val', 0)} "
           f"--imgsz {summary.get('imgsz', args.imgsz)} --seed {summary.get('seed', 0)}\n"
           f"tilikbench detector train --data {args.data} --epochs {args.epochs} --imgsz {args.imgsz} "
           f"--batch {args.batch} --device 0 --out {args.weights}")
    _write_card(facts, cmd, Path(args.card), Path(args.weights))
    print(f"{w}: mAP50 {m['mAP50']:.3f}, mAP50-95 {m['mAP50_95']:.3f} on the held-out split; card {args.card}")
    return 0


def run_evaluate(args: argparse.Namespace) -> int:
    from analytics.detect.factory import check_weights
    from analytics.training.train import evaluate
    w = check_weights(args.weights, "--weights")
    m = evaluate(w, Path(args.data), args.imgsz, args.device)
    print(f"{w}: mAP50 {m['mAP50']:.3f}, mAP50-95 {m['mAP50_95']:.3f}")
    print("  per class mAP50: " + ", ".join(f"{k} {v:.3f}" for k, v in m["per_class_mAP50"].items()))
    return 0


def run_export(args: argparse.Namespace) -> int:
    from analytics.detect.exports import export
    out = export(args.weights, args.format, args.imgsz)
    print(f"exported {args.format}: {out}")
    return 0


def _rates(text: str) -> list[float]:
    try:
        rates = [float(x) for x in text.split(",") if x.strip()]
    except ValueError:
        raise InputError(f"not a list of numbers: {text!r}", where="--fps") from None
    if not rates or any(r <= 0 for r in rates):
        raise InputError("sampling rates must be positive", where="--fps")
    return rates


def run_counts(args: argparse.Namespace) -> int:
    from analytics.accuracy import count_accuracy, offline_run
    from analytics.config import VEHICLES, LineCountRule, UltralyticsDetector
    from analytics.detect import make_detector
    from analytics.detect.factory import check_weights
    from common.resultmeta import stamp, write_json_atomic
    from fake_cameras.groundtruth import load_ground_truth
    rates = _rates(args.fps)
    clips = []
    for c in args.clips:
        clip = Path(c)
        if not clip.is_file():
            raise InputError("clip not found", where=str(clip))
        gt_path = clip.with_name(clip.name[:-len(clip.suffix)] + ".gt.json") if clip.suffix else None
        if gt_path is None or not gt_path.is_file():
            raise InputError("no ground truth beside the clip (expected NAME.gt.json, as "
                             "`tilikbench footage generate` writes)", where=str(clip))
        clips.append((clip, load_ground_truth(gt_path)))
    det = make_detector(UltralyticsDetector(weights=str(check_weights(args.weights, "--weights")),
                                            imgsz=args.imgsz, batch=8))
    rows = []
    print(f"{'clip':<28}{'fps':>5}{'truth':>7}{'counted':>9}{'accuracy':>10}  per class counted/truth")
    for clip, gt in clips:
        for fps in rates:
            if fps > gt.fps:
                print(f"{clip.name:<28}{fps:>5g}  skipped: above the clip's {gt.fps:g} fps", file=sys.stderr)
                continue
            acc = count_accuracy(offline_run(clip, gt, det, [LineCountRule(type="line_count")], fps), gt, [0])
            per, total = acc["per_class"], acc["total"]
            truth, accuracy = total["truth"], total["accuracy"]
            rows.append({"clip": str(clip), "sample_fps": fps, "truth": truth, "counted": total["measured"],
                         "abs_error": total["abs_error"], "accuracy": accuracy,
                         "per_class": {c: {"truth": per[c]["truth"], "counted": per[c]["measured"]} for c in VEHICLES}})
            classes = ", ".join(f"{c} {per[c]['measured']}/{per[c]['truth']}" for c in VEHICLES if per[c]["truth"]
                                or per[c]["measured"])
            print(f"{clip.name:<28}{fps:>5g}{truth:>7}{total['measured']:>9}"
                  f"{'n/a' if accuracy is None else f'{accuracy:.2f}':>10}  {classes}", flush=True)
    print("accuracy = 1 - (sum over classes of |counted - truth|) / truth, whole clip, one loop")
    if args.out:
        write_json_atomic(Path(args.out), {**stamp("line_count_accuracy", 1), "weights": str(args.weights),
                                           "imgsz": args.imgsz, "rows": rows})
        print(f"wrote {args.out}")
    return 0
