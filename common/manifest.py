"""The camera manifest: what the camera farm publishes and every consumer of its cameras reads.

The fleet knows which cameras it serves, at which URL, from which clip, with which ground truth; a
consumer (our stack, an external system under test, a scorer) needs exactly that and nothing of how the
fleet decided it. The manifest is that contract, written by ``cameras up`` (``STATE_DIR/camera-manifest
.json``) and by the runner, read by ``stack up`` and by the accuracy scorers:

    {"manifest_version": 1, "shard": [0, 1], "api_url": "http://127.0.0.1:9997",
     "cameras": [{"id": "atcs-0001", "url": "rtsp://127.0.0.1:8554/atcs-0001", "camera_class": "atcs",
                  "group": "ATCS", "profile": {"width": 1280, ...}, "clip": "cache/footage/....mp4",
                  "ground_truth": "cache/footage/....gt.json", "clip_frames": 900, "online": true}]}
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from common.errors import InputError
from common.profiles import CameraProfile
from common.resultmeta import write_json_atomic

MANIFEST_VERSION = 1
MANIFEST_FILE = "camera-manifest.json"


@dataclass(frozen=True)
class ManifestCamera:
    """One served camera."""

    id: str
    url: str
    camera_class: str
    profile: CameraProfile
    group: str = ""
    clip: str | None = None             # the looping clip the server streams (None: not known)
    ground_truth: str | None = None     # the clip's ground-truth JSON (generated footage, labelled recordings)
    clip_frames: int | None = None      # frames of one loop of the clip (None: not known)
    online: bool = True                 # False: the fleet declares it offline (still served as declared)
    site: str | None = None             # the NVR site serving it (its URL is a vendor path of that site)
    sub_url: str | None = None          # the channel's sub stream
    credentials: str | None = None      # a 0600 JSON file {"username", "password"} for RTSP digest auth;
                                        # URLs never carry the password

    @property
    def fps(self) -> float:
        return float(self.profile.fps)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["profile"] = self.profile.model_dump(mode="json")
        return d


@dataclass(frozen=True)
class CameraManifest:
    cameras: tuple[ManifestCamera, ...]
    shard: tuple[int, int] = (0, 1)
    api_url: str | None = None          # the fleet's control API (status in MediaMTX's paths shape)
    extra: dict[str, Any] = field(default_factory=dict)

    def ids(self) -> list[str]:
        return [c.id for c in self.cameras]

    def to_dict(self) -> dict[str, Any]:
        return {"manifest_version": MANIFEST_VERSION, "shard": list(self.shard), "api_url": self.api_url,
                "cameras": [c.to_dict() for c in self.cameras], **self.extra}


def write_manifest(path: Path, manifest: CameraManifest) -> Path:
    """Write atomically (a reader never sees half a manifest)."""
    return write_json_atomic(Path(path), manifest.to_dict())


def _camera(d: Any, where: str) -> ManifestCamera:
    if not isinstance(d, dict):
        raise InputError("a camera entry must be an object", where=where)
    missing = [k for k in ("id", "url", "camera_class", "profile") if k not in d]
    if missing:
        raise InputError(f"camera entry lacks {', '.join(missing)}", where=where)
    known = set(ManifestCamera.__dataclass_fields__)
    unknown = sorted(set(d) - known)
    if unknown:
        raise InputError(f"unknown camera field(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}",
                         where=where)
    try:
        profile = CameraProfile.model_validate(d["profile"])
    except ValueError as exc:
        raise InputError(f"bad profile: {exc}", where=f"{where}.profile") from None
    frames = d.get("clip_frames")
    if frames is not None and (not isinstance(frames, int) or isinstance(frames, bool) or frames < 1):
        raise InputError(f"clip_frames must be a positive integer, got {frames!r}", where=f"{where}.clip_frames")
    return ManifestCamera(**{**d, "profile": profile, "online": bool(d.get("online", True))})


def manifest_from_dict(data: Any, where: str = "manifest") -> CameraManifest:
    if not isinstance(data, dict):
        raise InputError("a camera manifest must be a JSON object", where=where)
    version = data.get("manifest_version")
    if version != MANIFEST_VERSION:
        raise InputError(f"manifest_version {version!r} is not supported (this tilikbench reads "
                         f"{MANIFEST_VERSION})", where=f"{where}: manifest_version")
    cams = data.get("cameras")
    if not isinstance(cams, list):
        raise InputError("'cameras' must be a list", where=f"{where}: cameras")
    cameras = tuple(_camera(c, f"{where}: cameras[{i}]") for i, c in enumerate(cams))
    dup = sorted({c.id for c in cameras if [x.id for x in cameras].count(c.id) > 1})
    if dup:
        raise InputError(f"duplicate camera id(s) {', '.join(dup)}", where=f"{where}: cameras")
    shard = data.get("shard", [0, 1])
    extra = {k: v for k, v in data.items() if k not in ("manifest_version", "shard", "api_url", "cameras")}
    return CameraManifest(cameras=cameras, shard=(int(shard[0]), int(shard[1])), api_url=data.get("api_url"),
                          extra=extra)


def read_manifest(path: Path | str) -> CameraManifest:
    """The manifest at ``path``; an InputError naming the file and the field when it is not one."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError("no camera manifest here: start the cameras (`tilikbench cameras up`) or give "
                         "the path of one", where=str(p)) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read the camera manifest ({exc})", where=str(p)) from None
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise InputError(f"the camera manifest is not JSON ({exc})", where=str(p)) from None
    return manifest_from_dict(data, str(p))
