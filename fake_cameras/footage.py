"""Generated footage: a scene rendered, encoded once at a camera profile by ffmpeg, and cached.

``generate_clip`` pipes raw frames into ffmpeg (libx264, or libx265 for h265) with a closed GOP of the
profile's length, no B-frames and the first frame an IDR, so a server can loop the file by stream copy.
The clip and its ground truth are cached under a key made of the scene spec, the profile and the
generator version; both are written to temporary files and renamed into place, so an interrupted
generation leaves nothing half-written.
"""
from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Callable

from common.atomic import replace_atomic
from common.errors import InputError, TilikError, UnavailableError
from common.procs import ProcessSet
from common.profiles import CameraProfile
from fake_cameras.groundtruth import GroundTruthBuilder, write_ground_truth
from fake_cameras.scene import Scene, SceneSpec, frame_count

log = logging.getLogger(__name__)

GENERATOR_VERSION = "scene-3"
"""Changes whenever the drawing or the encoding changes, so cached clips are regenerated."""

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class Clip:
    """An encoded clip ready to serve: an mp4 and, for generated footage, its ground truth."""

    path: Path
    ground_truth: Path | None
    profile: CameraProfile
    frames: int
    fps: float


def tool(name: str) -> str:
    """Path of an ffmpeg tool, or UnavailableError saying how to get it."""
    found = shutil.which(name)
    if found is None:
        raise UnavailableError(f"{name} not found on PATH; install the Debian package ffmpeg (make setup)",
                               where=name)
    return found


def rate_arg(fps: float) -> str:
    fr = Fraction(fps).limit_denominator(1001)
    return f"{fr.numerator}/{fr.denominator}"


def encoder_args(profile: CameraProfile) -> list[str]:
    """ffmpeg output options that encode at ``profile``: size and rate are set by the caller."""
    kbps, gop = profile.bitrate_kbps, profile.gop
    rate = ["-b:v", f"{kbps}k", "-maxrate", f"{kbps}k", "-bufsize", f"{2 * kbps}k"]
    if profile.codec == "h264":
        codec = ["-c:v", "libx264", "-preset", "veryfast", "-profile:v", "main", "-bf", "0",
                 "-g", str(gop), "-keyint_min", str(gop), "-sc_threshold", "0",
                 "-x264-params", "open-gop=0:repeat-headers=1:aud=0"]
    else:
        codec = ["-c:v", "libx265", "-preset", "veryfast", "-tag:v", "hvc1",
                 "-x265-params", f"keyint={gop}:min-keyint={gop}:scenecut=0:bframes=0:open-gop=0:"
                                 f"repeat-headers=1:log-level=error"]
    return codec + rate + ["-pix_fmt", "yuv420p", "-an", "-movflags", "+faststart", "-f", "mp4"]


def cache_key(*parts: object) -> str:
    blob = json.dumps(parts, sort_keys=True, default=str).encode()
    return hashlib.sha256(blob).hexdigest()[:20]


def clip_paths(spec: SceneSpec, profile: CameraProfile, cache_dir: Path) -> tuple[Path, Path]:
    key = cache_key("generated", GENERATOR_VERSION, spec.model_dump(mode="json"), profile.model_dump(mode="json"))
    folder = Path(cache_dir) / "footage"
    return folder / f"gen-{key}.mp4", folder / f"gen-{key}.gt.json"


def generate_clip(spec: SceneSpec, profile: CameraProfile, cache_dir: Path | str,
                  progress: Progress | None = None) -> Clip:
    """The clip of ``spec`` encoded at ``profile``: from the cache, or rendered and encoded now."""
    mp4, gt_path = clip_paths(spec, profile, Path(cache_dir))
    frames = frame_count(spec.duration_s, profile.fps)
    if mp4.exists() and gt_path.exists():
        log.debug("footage cache hit %s", mp4)
        return Clip(mp4, gt_path, profile, frames, profile.fps)
    mp4.parent.mkdir(parents=True, exist_ok=True)
    try:
        scene = Scene(spec, profile.width, profile.height, profile.fps)
    except ValueError as e:
        raise InputError(str(e), where="footage spec") from None
    gt = GroundTruthBuilder(spec, profile.width, profile.height, profile.fps, scene.tracks,
                            f"tilikbench {GENERATOR_VERSION}")
    fd, tmp_name = tempfile.mkstemp(dir=mp4.parent, prefix=f".{mp4.name}.", suffix=".tmp")
    os.close(fd)
    tmp = Path(tmp_name)
    t0 = time.perf_counter()
    try:
        _encode(scene, frames, profile, tmp, gt, progress)
        doc = gt.finish()
        replace_atomic(tmp, mp4, mode=0o644)
        write_ground_truth(gt_path, doc)
    except BaseException:
        tmp.unlink(missing_ok=True)
        if not gt_path.exists():
            mp4.unlink(missing_ok=True)
        raise
    log.info("generated %s (%d frames, %s) in %.1f s", mp4.name, frames, profile.describe(),
             time.perf_counter() - t0)
    return Clip(mp4, gt_path, profile, frames, profile.fps)


def _encode(scene: Scene, frames: int, profile: CameraProfile, out: Path, gt: GroundTruthBuilder,
            progress: Progress | None) -> None:
    args = [tool("ffmpeg"), "-hide_banner", "-nostdin", "-loglevel", "error", "-y",
            "-f", "rawvideo", "-pix_fmt", "bgr24", "-s", f"{profile.width}x{profile.height}",
            "-r", rate_arg(profile.fps), "-i", "pipe:0", *encoder_args(profile), str(out)]
    with tempfile.TemporaryFile() as errlog, ProcessSet() as procs:
        ff = procs.start("ffmpeg-encode", args, stdin=subprocess.PIPE,
                         stdout=subprocess.DEVNULL, stderr=errlog)
        stdin = ff.popen.stdin
        assert stdin is not None
        try:
            for i in range(frames):
                img, objects = scene.frame(i)
                gt.add(i, objects)
                stdin.write(img.data)
                if progress is not None:
                    progress(i + 1, frames)
            stdin.close()
        except BrokenPipeError:
            pass
        rc = ff.popen.wait(timeout=120)
        if rc != 0:
            errlog.seek(0)
            msg = errlog.read().decode(errors="replace").strip().splitlines()
            raise TilikError(f"ffmpeg failed (exit {rc}) encoding {out.name}: {msg[-1] if msg else 'no message'}",
                             where="ffmpeg")


def normalise_recorded(src: Path | str, profile: CameraProfile, cache_dir: Path | str) -> Clip:
    """A recorded file brought to ``profile`` (see ``fake_cameras.recorded``)."""
    from fake_cameras.recorded import normalise_recorded as normalise
    return normalise(src, profile, cache_dir)
