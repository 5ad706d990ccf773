"""Labels of recorded footage, imported as a ground-truth file, so a recorded clip is scored the same
way as a generated one (event-level F1, MOTA/IDF1/HOTA).

Two common formats:

- **MOT challenge** ``gt.txt``: one box per line, ``frame, id, left, top, width, height, conf, class,
  visibility`` with 1-based frames; rows with ``conf`` 0 (marked "ignore") are left out. Classes follow
  MOT17 (1 pedestrian, 3 car, 5 motorbike, 7 static person); a file with class -1 or no class column is
  one class (``default_cls``, person unless given).
- **COCO video** (as TAO and YouTube-VIS write it): ``videos``, ``images`` with ``video_id`` and a
  0-based ``frame_id`` (or ``frame_index``), ``annotations`` with ``bbox`` [x, y, w, h], ``category_id`` and
  ``instance_id`` (or ``track_id``), ``categories`` with names.

Classes outside the stack's (car, motorcycle, bus, truck, person) are dropped. Line crossings are
derived from the tracks as the generator derives them: the box centre passing a vertical counting line
at ``line_x`` (normalised), named by horizontal direction. Labels carry no parking, flood or garbage
events, so those rules have no truth on recorded footage.
"""
from __future__ import annotations

import json
from pathlib import Path

from common.errors import InputError
from common.resultmeta import write_json_atomic
from fake_cameras.groundtruth import SCHEMA_VERSION, load_ground_truth

CLASSES = ["car", "motorcycle", "bus", "truck", "person"]
MOT_CLASSES = {1: "person", 3: "car", 5: "motorcycle", 7: "person"}
COCO_NAMES = {"car": "car", "motorcycle": "motorcycle", "motorbike": "motorcycle", "bus": "bus", "truck": "truck",
              "person": "person", "pedestrian": "person"}

Box = tuple[int, int, int, int]


def read_mot(path: Path, default_cls: str = "person") -> dict[int, list[tuple[int, str, Box, float]]]:
    """0-based frame -> [(track id, class, box, visibility)] of a MOT-challenge file."""
    out: dict[int, list] = {}
    try:
        lines = Path(path).read_text().splitlines()
    except OSError as e:
        raise InputError(f"cannot read MOT labels: {e}", where=str(path)) from None
    for i, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            v = [float(x) for x in line.replace(" ", "").split(",")]
        except ValueError:
            raise InputError("not a MOT row (numbers separated by commas)", where=f"{path}:{i}") from None
        if len(v) < 6:
            raise InputError(f"a MOT row needs at least 6 fields, got {len(v)}", where=f"{path}:{i}")
        if len(v) > 6 and v[6] == 0:
            continue                                   # marked to be ignored
        cls = MOT_CLASSES.get(int(v[7])) if len(v) > 7 and v[7] >= 0 else default_cls
        if cls is None:
            continue
        x, y, w, h = v[2:6]
        out.setdefault(int(v[0]) - 1, []).append(
            (int(v[1]), cls, (round(x), round(y), round(x + w), round(y + h)),
             min(1.0, max(0.0, v[8] if len(v) > 8 else 1.0))))
    return out


def read_coco_video(path: Path, video: int | None = None) -> dict[int, list[tuple[int, str, Box, float]]]:
    """0-based frame -> [(track id, class, box, 1.0)] of one video of a COCO-video file."""
    try:
        doc = json.loads(Path(path).read_text())
        cats = {c["id"]: COCO_NAMES.get(str(c["name"]).lower()) for c in doc["categories"]}
        images = doc["images"]
        anns = doc["annotations"]
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise InputError(f"not a COCO-video file ({e.__class__.__name__}: {e})", where=str(path)) from None
    vids = sorted({im.get("video_id") for im in images})
    if video is None and len(vids) > 1:
        raise InputError(f"the file holds {len(vids)} videos; choose one with --video ({vids[:5]}...)", where=str(path))
    video = vids[0] if video is None else video
    frame_of = {}
    for im in images:
        if im.get("video_id") == video:
            n = im.get("frame_id", im.get("frame_index"))
            if not isinstance(n, int):
                raise InputError(f"image {im.get('id')} has no frame_id", where=str(path))
            frame_of[im["id"]] = n
    out: dict[int, list] = {}
    for a in anns:
        if a.get("image_id") not in frame_of or cats.get(a.get("category_id")) is None:
            continue
        tid = a.get("instance_id", a.get("track_id"))
        if tid is None:
            raise InputError(f"annotation {a.get('id')} has no instance_id/track_id", where=str(path))
        x, y, w, h = a["bbox"]
        out.setdefault(frame_of[a["image_id"]], []).append(
            (int(tid), cats[a["category_id"]], (round(x), round(y), round(x + w), round(y + h)), 1.0))
    return out


def ground_truth_doc(frames: dict[int, list], fps: float, width: int, height: int, n_frames: int,
                     generator: str, line_x: float = 0.5) -> dict:
    """A schema-1 ground-truth document from per-frame labelled boxes."""
    if n_frames <= 0:
        raise InputError("the clip has no frames", where="labels")
    if frames and max(frames) >= n_frames:
        raise InputError(f"labels reach frame {max(frames) + 1} but the clip has {n_frames}", where="labels")
    line_px = line_x * width
    per_frame, first, last, cls_of, prev, crossings = [], {}, {}, {}, {}, []
    for n in range(n_frames):
        objs = []
        for tid, cls, box, vis in frames.get(n, []):
            objs.append({"track_id": tid, "cls": cls, "box": list(box), "visible": vis})
            first.setdefault(tid, n)
            last[tid] = n
            cls_of[tid] = cls
            cx = (box[0] + box[2]) / 2
            p = prev.get(tid)
            if p is not None and (p < line_px <= cx or p >= line_px > cx):
                crossings.append({"track_id": tid, "cls": cls, "frame": n, "t": round(n / fps, 4),
                                  "direction": "left_to_right" if cx > p else "right_to_left"})
            prev[tid] = cx
        per_frame.append({"frame": n, "t": round(n / fps, 4), "objects": objs})
    return {"schema_version": SCHEMA_VERSION, "generator": generator, "spec": {}, "width": width, "height": height,
            "fps": fps, "frames": n_frames, "duration_s": n_frames / fps, "classes": CLASSES,
            "geometry": {"counting_line": [[line_x, 0.0], [line_x, 1.0]]},
            "tracks": [{"track_id": t, "cls": cls_of[t], "lane": "labelled", "first_frame": first[t],
                        "last_frame": last[t]} for t in sorted(first)],
            "per_frame": per_frame,
            "events": {"line_crossings": crossings, "parking": [], "flood": [], "garbage": None}}


def import_labels(clip: Path, labels: Path, fmt: str, line_x: float = 0.5, video: int | None = None,
                  default_cls: str = "person") -> Path:
    """Write ``CLIP.gt.json`` beside a recorded clip from its labels; returns its path (validated)."""
    import av
    try:
        with av.open(str(clip)) as c:
            s = c.streams.video[0]
            fps = float(s.average_rate)
            width, height = s.codec_context.width, s.codec_context.height
            n_frames = sum(1 for _ in c.demux(s) if _.size)
    except (OSError, av.error.FFmpegError, IndexError) as e:
        raise InputError(f"cannot read the clip: {e}", where=str(clip)) from None
    frames = read_mot(labels, default_cls) if fmt == "mot" else read_coco_video(labels, video)
    doc = ground_truth_doc(frames, fps, width, height, n_frames, f"imported:{fmt}:{Path(labels).name}", line_x)
    out = clip.with_name(clip.name[:-len(clip.suffix)] + ".gt.json")
    write_json_atomic(out, doc, compact=True)
    load_ground_truth(out)           # the written file reads back as valid ground truth
    return out
