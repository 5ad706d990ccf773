"""What the stack needs to know about one camera."""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path


@dataclass(frozen=True)
class StackCamera:
    id: str
    url: str
    camera_class: str
    fps: float
    ground_truth: str | None = None     # the clip's ground-truth JSON: scene geometry, loop length
    clip_frames: int | None = None      # frames of the looping clip (None: not known, no loop keys)
    expected_online: bool = True        # False: the fleet declares it offline (still tried, not waited for)

    def to_dict(self) -> dict:
        return asdict(self)

    @staticmethod
    def from_dict(d: dict) -> "StackCamera":
        return StackCamera(**d)


def clip_frames_from_gt(path: str | Path | None) -> int | None:
    """Number of frames of a clip, from its ground truth (``frames`` as a count or as a list)."""
    if not path:
        return None
    try:
        data = json.loads(Path(path).read_text())
    except (OSError, ValueError):
        return None
    for key in ("n_frames", "frame_count", "frames"):
        v = data.get(key)
        if isinstance(v, int):
            return v
        if isinstance(v, list):
            return len(v)
    return None


def from_fleet(infos) -> list[StackCamera]:
    """StackCameras from ``fake_cameras.fleet.CameraInfo`` records."""
    out = []
    for c in infos:
        gt = str(c.ground_truth) if getattr(c, "ground_truth", None) else None
        out.append(StackCamera(id=c.id, url=c.url, camera_class=c.camera_class, fps=float(c.profile.fps),
                               ground_truth=gt, clip_frames=clip_frames_from_gt(gt),
                               expected_online=bool(getattr(c, "online", True))))
    return out


def from_scenario(fleet_config, seed: int = 0, cache_dir: Path = Path("cache")) -> list[StackCamera]:
    """The cameras a running fleet of this scenario serves (URLs from the scenario), with each clip's
    ground truth when it is in the footage cache (as the fleet that serves them made it)."""
    from fake_cameras.fleet import Fleet
    from fake_cameras.footage import clip_paths
    out = []
    fleet = Fleet(fleet_config, seed=seed, cache_dir=cache_dir)
    classes = {c.name: c for c in fleet_config.classes}
    for info in fleet.cameras:
        cls = classes[info.camera_class]
        gt = None
        if cls.footage.variants and not cls.footage.recorded:
            i = int(info.id.rsplit("-", 1)[1]) - 1
            spec = cls.footage.scene.model_copy(
                update={"seed": cls.footage.scene.seed + seed + i % cls.footage.variants})
            _, gt_path = clip_paths(spec, cls.resolved_profile(), Path(cache_dir))
            gt = str(gt_path) if gt_path.is_file() else None
        out.append(StackCamera(id=info.id, url=info.url, camera_class=info.camera_class,
                               fps=float(info.profile.fps), ground_truth=gt, clip_frames=clip_frames_from_gt(gt),
                               expected_online=info.online))
    return out
