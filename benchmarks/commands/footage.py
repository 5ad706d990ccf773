"""``tilikbench footage``: generate street-scene clips with ground truth, or normalise recorded files."""
from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path

from pydantic import ValidationError

from common.errors import InputError
from fake_cameras.footage import generate_clip, normalise_recorded
from common.profiles import PROFILES, CameraProfile, UnknownProfileError, get_profile
from fake_cameras.scene import VEHICLE_CLASSES, FloodSpec, GarbageSpec, ParkingSpec, SceneSpec


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("footage", help="generate synthetic footage or normalise recorded files")
    fsub = p.add_subparsers(dest="footage_command", metavar="ACTION", required=True)

    g = fsub.add_parser("generate", help="render a street scene and encode it at a camera profile",
                        description="Render a procedural street scene (deterministic for a seed), encode it "
                                    "with ffmpeg at a camera profile and write its ground truth beside it.")
    g.add_argument("--profile", required=True, help=f"camera profile: {', '.join(PROFILES)}")
    g.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    g.add_argument("--duration", type=float, default=30.0, help="seconds (default 30)")
    g.add_argument("--vehicles-per-min", type=float, default=None, help="mean vehicle arrivals per minute")
    g.add_argument("--pedestrians-per-min", type=float, default=None, help="mean pedestrian arrivals per minute")
    g.add_argument("--class-mix", default=None, metavar="CLS=SHARE,...",
                   help=f"vehicle class shares, e.g. car=0.2,motorcycle=0.6,bus=0.1,truck=0.1 "
                        f"(classes: {', '.join(VEHICLE_CLASSES)})")
    g.add_argument("--night", action="store_true", help="night scene")
    g.add_argument("--rain", action="store_true", help="rain")
    g.add_argument("--flood", action="store_true", help="water rising over the road")
    g.add_argument("--garbage", action="store_true", help="a garbage pile appears on the pavement")
    g.add_argument("--parking", type=float, default=None, metavar="DWELL_S", nargs="?", const=10.0,
                   help="a car stops in the no-parking zone for DWELL_S seconds (default 10)")
    g.add_argument("--cache-dir", type=Path, default=Path("cache"),
                   help="footage cache; clips go to CACHE_DIR/footage (default cache)")
    g.set_defaults(func=run_generate)

    n = fsub.add_parser("normalise", help="bring a recorded video file to a camera profile",
                        description="Probe a video file, check it reads to the end, and stream-copy or "
                                    "transcode it to a camera profile (cached by content hash + profile).")
    n.add_argument("file", help="video file (any format ffmpeg reads)")
    n.add_argument("--profile", required=True, help=f"camera profile: {', '.join(PROFILES)}")
    n.add_argument("--cache-dir", type=Path, default=Path("cache"),
                   help="footage cache; clips go to CACHE_DIR/footage (default cache)")
    n.set_defaults(func=run_normalise)


def _profile(name: str) -> CameraProfile:
    try:
        return get_profile(name)
    except UnknownProfileError as exc:
        raise InputError(str(exc), where="--profile") from None


def _class_mix(text: str) -> dict[str, float]:
    mix = {}
    for part in text.split(","):
        name, sep, value = part.partition("=")
        try:
            mix[name.strip()] = float(value)
        except ValueError:
            raise InputError(f"expected CLASS=SHARE, got {part!r}", where="--class-mix") from None
        if not sep:
            raise InputError(f"expected CLASS=SHARE, got {part!r}", where="--class-mix")
        if not math.isfinite(mix[name.strip()]):
            raise InputError(f"share of {name.strip()!r} must be a finite number, got {value!r}", where="--class-mix")
    return mix


def build_spec(args: argparse.Namespace) -> SceneSpec:
    fields: dict = {"seed": args.seed, "duration_s": args.duration, "night": args.night, "rain": args.rain}
    if args.class_mix:
        fields["class_mix"] = _class_mix(args.class_mix)
    if args.vehicles_per_min is not None:
        fields["vehicles_per_min"] = args.vehicles_per_min
    if args.pedestrians_per_min is not None:
        fields["pedestrians_per_min"] = args.pedestrians_per_min
    if args.parking is not None:
        fields["parking"] = ParkingSpec(dwell_s=args.parking)
    if args.flood:
        fields["flood"] = FloodSpec(start_s=min(2.0, args.duration / 10), rise_s=max(1.0, args.duration * 0.7))
    if args.garbage:
        fields["garbage"] = GarbageSpec(appear_s=min(3.0, args.duration / 5))
    try:
        return SceneSpec(**fields)
    except ValidationError as e:
        err = e.errors()[0]
        raise InputError(f"{'.'.join(map(str, err['loc'])) or 'scene'}: {err['msg']}",
                         where="footage generate") from None


def run_generate(args: argparse.Namespace) -> int:
    profile = _profile(args.profile)
    spec = build_spec(args)
    t0 = time.perf_counter()
    last = [0.0]

    def progress(done: int, total: int) -> None:
        now = time.perf_counter()
        if sys.stderr.isatty() and (now - last[0] > 0.5 or done == total):
            last[0] = now
            print(f"\rrendering {done}/{total} frames ({100 * done / total:.0f}%)", end="", file=sys.stderr)
            if done == total:
                print(file=sys.stderr)

    clip = generate_clip(spec, profile, args.cache_dir, progress=progress)
    print(f"clip: {clip.path}")
    print(f"ground truth: {clip.ground_truth}")
    print(f"{clip.frames} frames at {profile.describe()} in {time.perf_counter() - t0:.1f} s")
    return 0


def run_normalise(args: argparse.Namespace) -> int:
    profile = _profile(args.profile)
    clip = normalise_recorded(Path(args.file), profile, args.cache_dir)
    print(f"clip: {clip.path}")
    print(f"{clip.frames} frames at {profile.describe()}")
    return 0
