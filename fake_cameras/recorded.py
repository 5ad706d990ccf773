"""Recorded footage: any file ffmpeg reads, brought once to a camera profile and cached.

The file is probed (ffprobe) and read through to its end: a missing, empty, unreadable, corrupt or
truncated file is an ``InputError`` naming the file and what is wrong. Only media containers are
accepted (``MEDIA_FORMATS``): a text playlist or concat list saved under a video name could make
ffmpeg read other files, so it is refused, and every ffmpeg/ffprobe reads the file as ``file:PATH``
with ``-protocol_whitelist file`` (a name is never parsed as a protocol or an option). When the video stream already
matches the profile (codec, size, frame rate, keyframe interval, no B-frames, 4:2:0) it is copied into
an mp4 without re-encoding; otherwise it is transcoded with the same encoder settings as generated
footage. The result is cached by content hash + profile and written through a temporary file.
"""
from __future__ import annotations

import hashlib
import json
import logging
import os
import subprocess
import tempfile
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

from common.atomic import replace_atomic
from common.errors import InputError, TilikError
from common.procs import ProcessSet
from common.profiles import CameraProfile
from fake_cameras.footage import Clip, cache_key, encoder_args, rate_arg, tool

log = logging.getLogger(__name__)

NORMALISER_VERSION = "rec-1"
CODEC_NAMES = {"h264": "h264", "h265": "hevc"}
# ffprobe format names of media containers and raw video streams (not playlists, lists or images)
MEDIA_FORMATS = frozenset({"mov,mp4,m4a,3gp,3g2,mj2", "matroska,webm", "mpegts", "avi", "flv", "h264", "hevc",
                           "mpeg", "asf"})
TEXT_HEADS = (b"#EXTM3U", b"ffconcat", b"#EXTINF", b"file ", b"<?xml", b"[playlist]")


def local_input(src: Path) -> list[str]:
    """ffmpeg/ffprobe input arguments that read ``src`` as a local file and nothing else."""
    return ["-protocol_whitelist", "file", "-i", f"file:{Path(src).resolve()}"]


@dataclass(frozen=True)
class VideoInfo:
    codec: str
    width: int
    height: int
    fps: float
    pix_fmt: str
    has_b_frames: int
    packets: int
    keyframe_interval: int      # largest distance between keyframes, in packets
    first_is_key: bool


def _run(args: list[str], timeout: float = 600) -> subprocess.CompletedProcess:
    with ProcessSet() as procs:
        p = procs.start(args[0].rsplit("/", 1)[-1], args, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            out, err = p.popen.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            raise TilikError(f"{args[0]} took longer than {timeout:.0f} s", where=args[-1]) from None
        return subprocess.CompletedProcess(args, p.popen.returncode, out, err)


def _last_line(stderr: bytes) -> str:
    lines = [ln.strip() for ln in stderr.decode(errors="replace").splitlines() if ln.strip()]
    return lines[-1] if lines else "no message"


def probe(src: Path) -> VideoInfo:
    """Probe the first video stream and read every packet; bad files raise InputError naming ``src``."""
    where = str(src)
    if not src.exists():
        raise InputError("footage file not found", where=where)
    if not src.is_file():
        raise InputError("footage path is not a regular file", where=where)
    if not os.access(src, os.R_OK):
        raise InputError("footage file is not readable (permission denied)", where=where)
    if src.stat().st_size == 0:
        raise InputError("footage file is empty", where=where)
    with open(src, "rb") as f:
        head = f.read(64).lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith(TEXT_HEADS):
        raise InputError("a text playlist or file list, not a video file (refused: it would make ffmpeg read "
                         "other files)", where=where)
    r = _run([tool("ffprobe"), "-v", "error", "-of", "json", "-show_streams", "-show_format", "-select_streams",
              "v:0", *local_input(src)])
    if r.returncode != 0 and b"moov atom not found" in r.stderr and _looks_like_mp4(src):
        raise InputError("the file is truncated or incomplete: its mp4 index (moov atom) is missing", where=where)
    if r.returncode != 0:
        raise InputError(f"not a readable video file (corrupt or unknown format): {_last_line(r.stderr)}",
                         where=where)
    probed = json.loads(r.stdout or b"{}")
    fmt = (probed.get("format") or {}).get("format_name", "?")
    if fmt not in MEDIA_FORMATS:
        raise InputError(f"not a video container ffprobe reads as {fmt!r} (accepted: mp4/mov, mkv/webm, "
                         "MPEG-TS, AVI, FLV, MPEG-PS, ASF, raw H.264/H.265)", where=where)
    streams = probed.get("streams") or []
    if not streams:
        raise InputError("no video stream found (not a video file, or corrupt)", where=where)
    s = streams[0]
    declared = int(s.get("nb_frames") or 0)
    rate = s.get("avg_frame_rate") or s.get("r_frame_rate") or "0/1"
    try:
        fps = float(Fraction(rate)) if rate != "0/0" else 0.0
    except (ValueError, ZeroDivisionError):
        fps = 0.0
    # read every packet: a truncated or damaged file shows here, not in the header
    r = _run([tool("ffprobe"), "-v", "error", "-select_streams", "v:0", "-show_entries", "packet=flags",
              "-of", "csv=p=0", *local_input(src)])
    err = r.stderr.decode(errors="replace").strip()
    flags = [ln.strip() for ln in r.stdout.decode().splitlines() if ln.strip()]
    if r.returncode != 0 or err:
        what = "truncated" if "partial file" in err or "Truncat" in err or "EOF" in err else "corrupt"
        raise InputError(f"the video is {what}: {_last_line(r.stderr)} (read {len(flags)} packets"
                         + (f" of {declared})" if declared else ")"), where=where)
    if declared and len(flags) < declared:
        raise InputError(f"the video is truncated: the header declares {declared} frames but only "
                         f"{len(flags)} can be read", where=where)
    if not flags:
        raise InputError("the video stream has no frames", where=where)
    keys = [i for i, f in enumerate(flags) if f.startswith("K")]
    gaps = [b - a for a, b in zip(keys, keys[1:])] + ([len(flags) - keys[-1]] if keys else [])
    return VideoInfo(codec=s.get("codec_name", "?"), width=int(s.get("width") or 0), height=int(s.get("height") or 0),
                     fps=fps, pix_fmt=s.get("pix_fmt", "?"), has_b_frames=int(s.get("has_b_frames") or 0),
                     packets=len(flags), keyframe_interval=max(gaps) if gaps else len(flags),
                     first_is_key=bool(keys) and keys[0] == 0)


def _looks_like_mp4(src: Path) -> bool:
    with open(src, "rb") as f:
        head = f.read(12)
    return head[4:8] in (b"ftyp", b"moov", b"mdat", b"free", b"wide", b"skip")


def matches(info: VideoInfo, profile: CameraProfile) -> list[str]:
    """What differs between a probed stream and the profile (empty: stream copy is enough)."""
    diffs = []
    if info.codec != CODEC_NAMES[profile.codec]:
        diffs.append(f"codec {info.codec} != {CODEC_NAMES[profile.codec]}")
    if (info.width, info.height) != (profile.width, profile.height):
        diffs.append(f"size {info.width}x{info.height} != {profile.width}x{profile.height}")
    if abs(info.fps - profile.fps) > 0.01 * profile.fps:
        diffs.append(f"fps {info.fps:g} != {profile.fps:g}")
    if not info.first_is_key or info.keyframe_interval > profile.gop:
        diffs.append(f"keyframe interval {info.keyframe_interval} > gop {profile.gop}")
    if info.has_b_frames:
        diffs.append("has B-frames")
    if info.pix_fmt not in ("yuv420p", "yuvj420p"):
        diffs.append(f"pixel format {info.pix_fmt}")
    return diffs


def content_hash(src: Path) -> str:
    h = hashlib.sha256()
    with open(src, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def normalise_recorded(src: Path | str, profile: CameraProfile, cache_dir: Path | str) -> Clip:
    """``src`` at ``profile`` as a cached mp4 (stream copy when it already matches, else transcoded)."""
    src = Path(src)
    info = probe(src)
    key = cache_key("recorded", NORMALISER_VERSION, content_hash(src), profile.model_dump(mode="json"))
    out = Path(cache_dir) / "footage" / f"rec-{key}.mp4"
    if out.exists():
        return Clip(out, None, profile, _count_packets(out), profile.fps)
    out.parent.mkdir(parents=True, exist_ok=True)
    diffs = matches(info, profile)
    if diffs:
        log.info("transcoding %s: %s", src, "; ".join(diffs))
        vf = (f"scale={profile.width}:{profile.height}:force_original_aspect_ratio=decrease,"
              f"pad={profile.width}:{profile.height}:(ow-iw)/2:(oh-ih)/2,fps={rate_arg(profile.fps)},format=yuv420p")
        codec = ["-vf", vf, "-r", rate_arg(profile.fps), *encoder_args(profile)]
    else:
        log.info("stream copy %s (already %s)", src, profile.describe())
        tag = ["-tag:v", "hvc1"] if profile.codec == "h265" else []
        codec = ["-c:v", "copy", *tag, "-an", "-movflags", "+faststart", "-f", "mp4"]
    fd, tmp_name = tempfile.mkstemp(dir=out.parent, prefix=f".{out.name}.", suffix=".tmp")
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        r = _run([tool("ffmpeg"), "-hide_banner", "-nostdin", "-v", "error", "-xerror", "-y", *local_input(src),
                  "-map", "0:v:0", *codec, str(tmp)])
        if r.returncode != 0:
            raise InputError(f"cannot convert the video: {_last_line(r.stderr)}", where=str(src))
        frames = _count_packets(tmp)
        replace_atomic(tmp, out, mode=0o644)
    finally:
        tmp.unlink(missing_ok=True)
    return Clip(out, None, profile, frames, profile.fps)


def _count_packets(path: Path) -> int:
    r = _run([tool("ffprobe"), "-v", "error", "-select_streams", "v:0", "-count_packets", "-show_entries",
              "stream=nb_read_packets", "-of", "csv=p=0", *local_input(path)])
    try:
        return int(r.stdout.decode().strip().split(",")[0])
    except ValueError:
        raise TilikError(f"cannot count frames of {path}: {_last_line(r.stderr)}", where=str(path)) from None
