"""Measure keyframe-only decode against full decode on the project's generated footage.

Run ``python -m benchmarks.measure_keyframes [--out PATH]``. For each camera profile it generates a street
clip (``fake_cameras.footage.generate_clip``, the clip ``tilikbench footage generate`` makes, from the
cache when present) and decodes it with PyAV on one thread, side by side in the same run and alternating
round by round:

- full decode: every frame, as the stack's ``decode: all`` and ``decode: sampled`` do;
- keyframe-only: ``codec_context.skip_frame = "NONKEY"``, as the stack's ``decode: keyframes`` does; the
  demuxer still reads every packet, the decoder returns only the keyframes.

The figure the simulator uses is ``keyframe_cost_ratio``: milliseconds of keyframe-only decode per
keyframe returned (the skipped packets of its group of pictures included) over milliseconds of full decode
per frame, median over rounds. The catalogue's ``decode_placement.keyframe_cost_ratio`` records it.
"""
from __future__ import annotations

import argparse
import logging
import statistics
import time
from pathlib import Path
from typing import Any

from common.resultmeta import stamp, write_json_atomic

log = logging.getLogger(__name__)

PROFILES = ("rt-360p10", "rt-480p10", "atcs-720p15")
RESULT_SCHEMA_VERSION = 1


def decode_ms(path: Path, keyframes_only: bool) -> tuple[float, int]:
    """(milliseconds to decode the whole clip on one thread, frames returned)."""
    import av
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        cc = stream.codec_context
        cc.thread_count = 1
        if keyframes_only:
            cc.skip_frame = "NONKEY"
        t0 = time.perf_counter()
        n = 0
        for packet in container.demux(stream):
            for _ in packet.decode():
                n += 1
        return (time.perf_counter() - t0) * 1000.0, n


def measure_profile(name: str, cache_dir: Path, seconds: float, rounds: int) -> dict[str, Any]:
    from fake_cameras import footage
    from fake_cameras.scene import SceneSpec
    from simulator.workload import named_profile
    profile = footage.CameraProfile(**named_profile(name))     # the profile type the footage generator takes
    generate_clip = footage.generate_clip
    clip = generate_clip(SceneSpec(seed=7, duration_s=seconds), profile, cache_dir)
    decode_ms(clip.path, False)                       # warm-up: file cache, codec initialisation
    full, key, ratios = [], [], []
    n_full = n_key = 0
    for _ in range(rounds):
        f_ms, n_full = decode_ms(clip.path, False)
        k_ms, n_key = decode_ms(clip.path, True)
        full.append(f_ms / n_full)
        key.append(k_ms / n_key)
        ratios.append((k_ms / n_key) / (f_ms / n_full))
    return {"profile": name, "codec": profile.codec, "width": profile.width, "height": profile.height,
            "fps": profile.fps, "gop": profile.gop, "clip": str(clip.path), "frames": n_full, "keyframes": n_key,
            "full_ms_per_frame": statistics.median(full), "keyframe_ms_per_keyframe": statistics.median(key),
            "keyframe_cost_ratio": statistics.median(ratios),
            "clip_speedup": statistics.median(f * n_full / (k * n_key) for f, k in zip(full, key)),
            "rounds": rounds}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default="results/keyframe-decode.json")
    ap.add_argument("--cache", default="cache", help="footage cache folder")
    ap.add_argument("--seconds", type=float, default=20.0, help="clip length")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--profiles", default=",".join(PROFILES))
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    rows = [measure_profile(p, Path(args.cache), args.seconds, args.rounds) for p in args.profiles.split(",")]
    for r in rows:
        log.info("%s: full %.3f ms/frame, keyframe-only %.3f ms/keyframe (ratio %.2f), clip %.1fx faster",
                 r["profile"], r["full_ms_per_frame"], r["keyframe_ms_per_keyframe"], r["keyframe_cost_ratio"],
                 r["clip_speedup"])
    out = {**stamp("keyframe_decode", RESULT_SCHEMA_VERSION), "source": "python -m benchmarks.measure_keyframes",
           "keyframe_cost_ratio_median": statistics.median(r["keyframe_cost_ratio"] for r in rows), "profiles": rows}
    write_json_atomic(Path(args.out), out)
    log.info("written %s", args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
