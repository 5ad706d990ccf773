"""Every accuracy figure of the README and docs/analytics.md from one run (``tilikbench accuracy``).

For each camera class of a scenario with generated footage: the clip is generated as the fleet does,
the scenario's detector runs once on every frame (so every tracker and rate sees the same detections),
and for each sampling rate (1, 2, 5 fps and the clip's full rate by default) and each tracker backend
(``analytics.trackers``) the stack's own per-camera pipeline (``CameraPipeline``) runs the class's rules
on the sampled frames. Figures, side by side from the same detections, clips and rates:

- event-level precision / recall / F1 / timing error per rule, and per camera x rule x class
  (``analytics.scoring``);
- MOTA, IDF1 (py-motmetrics) and HOTA (trackers.eval) of each tracker (``analytics.tracking_metrics``);
- F1 of supervision's ``LineZone`` (line counts, on the ``sv_bytetrack`` tracks) and ``PolygonZone``
  (crowd level per window) in place of the stack's rules (``benchmarks.svzones``).
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from analytics.detect.prepost import Detection
from analytics.scoring import merge, score_camera, scores
from analytics.trackers import TRACKERS
from analytics.tracking_metrics import tracking_score, truth_boxes

log = logging.getLogger(__name__)

SCHEMA_VERSION = 1
SV_ZONES = "sv_bytetrack+LineZone/PolygonZone"    # supervision's zones instead of the stack's rules


@dataclass(frozen=True)
class Camera:
    """One camera class's clip, its ground truth and its rules."""

    name: str
    clip: Path
    gt: object
    rules: list


def scenario_cameras(scenario, cache: Path) -> list[Camera]:
    """The generated clip of each camera class of ``scenario`` that has rules, as the fleet makes it."""
    from fake_cameras.footage import generate_clip
    from fake_cameras.groundtruth import load_ground_truth
    out = []
    for cls in scenario.cameras.classes:
        if cls.footage is None or cls.footage.scene is None:
            continue
        rules = [r for r in scenario.stack.for_class(cls.name).rules if r.type != "mask_compliance"]
        if not rules:
            continue
        spec = cls.footage.scene.model_copy(update={"seed": cls.footage.scene.seed + scenario.seed})
        clip = generate_clip(spec, cls.resolved_profile(), cache)
        out.append(Camera(cls.name, Path(clip.path), load_ground_truth(clip.ground_truth), rules))
    return out


def labelled_camera(clip: Path) -> Camera:
    """A clip with ``CLIP.gt.json`` beside it (recorded footage with imported labels), counted at the
    ground truth's line."""
    from analytics.config import LineCountRule
    from common.errors import InputError
    from fake_cameras.groundtruth import load_ground_truth
    if not clip.is_file():
        raise InputError("clip not found", where=str(clip))
    gt_path = clip.with_name(clip.name[:-len(clip.suffix)] + ".gt.json")
    if not gt_path.is_file():
        raise InputError("no ground truth beside the clip (NAME.gt.json; `tilikbench labels` writes one)",
                         where=str(clip))
    return Camera(clip.stem, clip, load_ground_truth(gt_path), [LineCountRule(type="line_count")])


def _frames(clip: Path, step: int):
    import av
    with av.open(str(clip)) as c:
        for n, frame in enumerate(c.decode(video=0)):
            if n % step == 0:
                yield n, frame.to_ndarray(format="bgr24")


def detect_all(cam: Camera, detector) -> dict[int, list[Detection]]:
    """The detector's boxes on every frame of the clip (batched as the stack does)."""
    out: dict[int, list[Detection]] = {}
    batch: list = []
    for n, im in _frames(cam.clip, 1):
        batch.append((n, im))
        if len(batch) >= detector.cfg.batch:
            out.update(zip([b[0] for b in batch], detector.detect([b[1] for b in batch])))
            batch.clear()
    if batch:
        out.update(zip([b[0] for b in batch], detector.detect([b[1] for b in batch])))
    return out


def run_rate(cam: Camera, dets: dict[int, list[Detection]], fps: float, names: list[str]) -> dict:
    """Every tracker on the same sampled frames: events, tracks, and the sv LineZone crossings."""
    from analytics.pipeline import CameraPipeline, StreamClock
    from analytics.rules import build_rules
    from benchmarks.svzones import LineZoneCounter, PolygonZoneCrowd
    gt = cam.gt
    step = max(1, int(round(gt.fps / fps)))
    pipes = {t: CameraPipeline(cam.name, build_rules(cam.rules, gt.geometry), StreamClock(gt.fps, gt.frames),
                               names, tracker=t, sample_fps=gt.fps / step) for t in TRACKERS}
    line = next((r for r in cam.rules if r.type == "line_count"), None)
    zone = LineZoneCounter(cam.name, line.line or gt.geometry["counting_line"], line.classes, names,
                           gt.width, gt.height, gt.fps / step) if line else None
    crowd = next((r for r in cam.rules if r.type == "zone_people"), None)
    pz = PolygonZoneCrowd(cam.name, crowd.zone or [(0, 0), (1, 0), (1, 1), (0, 1)], crowd.window_s,
                          crowd.crowd_levels, names, gt.width, gt.height, gt.fps) if crowd else None
    events: dict[str, list] = {t: [] for t in TRACKERS}
    hyp: dict[str, dict] = {t: {} for t in TRACKERS}
    sv_events: list = []
    for n, im in _frames(cam.clip, step):
        for t, pipe in pipes.items():
            f = pipe.frame_info(n / gt.fps, n / gt.fps, gt.width, gt.height)
            events[t] += pipe.process(f, im, dets.get(n, []))
            hyp[t][n] = [(tr.id, tr.box) for tr in pipe.live_tracks if tr.frame_last == f.frame_no]
        if zone is not None:
            sv_events += zone.update(n, dets.get(n, []))
        if pz is not None:
            sv_events += pz.update(n, dets.get(n, []))
    for t, pipe in pipes.items():
        events[t] += pipe._end_loop()
    if pz is not None:
        sv_events += pz.finish()
    return {"step": step, "events": events, "tracks": hyp, "sv_zones": sv_events}


def evaluate(cameras: list[Camera], detector, rates: list[float | None],
             progress: Callable[[str], None] = lambda s: None) -> dict:
    """The figures of every camera x rate x tracker (``None`` in ``rates``: the clip's full rate)."""
    names = list(detector.names)
    per: dict[tuple[str, str], list] = {}      # (rate label, tracker) -> matched spans
    lz: dict[str, list] = {}
    track_rows = []
    for cam in cameras:
        progress(f"{cam.name}: detecting on {cam.gt.frames} frames")
        dets = detect_all(cam, detector)
        span = (0.0, cam.gt.frames / cam.gt.fps)
        for rate in rates:
            label = "full" if rate is None or rate >= cam.gt.fps else f"{rate:g}"
            r = run_rate(cam, dets, rate or cam.gt.fps, names)
            progress(f"{cam.name}: {label} fps done")
            truth = truth_boxes(cam.gt, sorted(r["tracks"]["motion_field"]))
            for t in TRACKERS:
                per.setdefault((label, t), []).append(score_camera(cam.name, r["events"][t], cam.gt, cam.rules, *span))
                if any(rule.type in ("line_count", "illegal_parking") for rule in cam.rules):
                    track_rows.append({"camera": cam.name, "rate": label, "tracker": t,
                                       **tracking_score(truth, r["tracks"][t]).as_dict()})
            zone_rules = [rule for rule in cam.rules if rule.type in ("line_count", "zone_people")]
            if zone_rules:
                lz.setdefault(label, []).append(score_camera(cam.name, r["sv_zones"], cam.gt, zone_rules, *span))
    rules_rows, detail = [], []
    for (label, t), parts in per.items():
        m = merge(parts)
        for (rule,), s in sorted(scores(m, by=("rule",)).items()):
            rules_rows.append({"rate": label, "tracker": t, "rule": rule, **s.as_dict()})
        for (camera, rule, cls), s in sorted(scores(m, by=("camera", "rule", "class")).items()):
            detail.append({"rate": label, "tracker": t, "camera": camera, "rule": rule, "class": cls, **s.as_dict()})
    for label, parts in lz.items():
        for (rule,), s in scores(merge(parts), by=("rule",)).items():
            rules_rows.append({"rate": label, "tracker": SV_ZONES, "rule": rule, **s.as_dict()})
    return {"rules": rules_rows, "rules_per_camera_class": detail, "tracking": _pool_tracking(track_rows),
            "tracking_per_camera": track_rows,
            "cameras": [{"name": c.name, "clip": c.clip.name, "frames": c.gt.frames, "fps": c.gt.fps,
                         "rules": [r.type for r in c.rules]} for c in cameras]}


def _pool_tracking(rows: list[dict]) -> list[dict]:
    """Per tracker and rate: frame-weighted means over the cameras."""
    out: dict[tuple[str, str], dict] = {}
    for r in rows:
        a = out.setdefault((r["rate"], r["tracker"]), {"rate": r["rate"], "tracker": r["tracker"], "frames": 0,
                                                       "mota": 0.0, "idf1": 0.0, "hota": 0.0, "id_switches": 0})
        a["frames"] += r["frames"]
        a["id_switches"] += r["id_switches"]
        for k in ("mota", "idf1", "hota"):
            a[k] += r[k] * r["frames"]
    for a in out.values():
        for k in ("mota", "idf1", "hota"):
            a[k] = round(a[k] / max(a["frames"], 1), 4)
    return list(out.values())
