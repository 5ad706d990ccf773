"""Decode placement: where each camera class's frames are decoded, and what that costs.

Three placements, one for each way the stack (``analytics`` ingest ``decode:``) can decode:

- ``cpu_all``: every frame decoded on the ingest server's cores; analytics take every N-th
  (the stack's ``decode: all`` and ``decode: sampled``). CPU per camera = fps x decode ms.
- ``cpu_keyframes``: only keyframes decoded (the stack's ``decode: keyframes``, PyAV
  ``skip_frame = NONKEY``); the analytics see every keyframe, fps / GOP a second, so the placement is open
  to a class only when that rate reaches its analytic rate. CPU per camera = fps / GOP x decode ms x
  ``keyframe_cost_ratio`` (measured: a keyframe, with the skipped packets of its GOP, costs about 8 mean
  frames).
- ``gpu``: the GPUs' hardware decoders (NVDEC) decode every frame, in capacity a pixel rate (the
  catalogue's 1080p30 streams per GPU x 1920 x 1080 x 30); the CPU pays ``gpu_decode_cpu_share`` of a
  full decode for each analysed frame it takes back.

``choose`` picks, per class, the placement whose resources cost least at the option's unit prices (a
core, a GPU's decoders, a detector frame), unless the scenario forces one.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from common.errors import InputError
from simulator.calibration import Calibration
from simulator.hardware import Catalogue, Gpu
from simulator.workload import CameraLoad

MODES = ("cpu_all", "cpu_keyframes", "gpu")
STACK_DECODE = {"cpu_all": "sampled", "cpu_keyframes": "keyframes", "gpu": "sampled (hardware decoder)"}


@dataclass(frozen=True)
class DecodeDemand:
    """What one camera of a class asks of its ingest server under one placement (speed-1 cores)."""

    mode: str
    cpu_cores: float           # decode core-seconds per second
    nvdec_px_per_s: float      # pixels per second for the GPUs' hardware decoders
    analysed_fps: float        # frames per second sent to the detector
    decoded_fps: float         # frames per second decoded on the CPU (the queueing stream)
    cpu_s_per_frame: float     # CPU seconds per CPU-decoded frame


def demand(c: CameraLoad, mode: str, cal: Calibration, keyframe_ratio: float,
           gpu_cpu_share: float) -> DecodeDemand | None:
    """The demand of one camera of class ``c`` under ``mode``; None when the mode cannot serve the class."""
    if not c.sample_every:
        return DecodeDemand(mode, 0.0, 0.0, 0.0, 0.0, 0.0)   # relayed and recorded, never decoded
    full = cal.decode(c.codec, c.width, c.height) / 1000.0
    if mode == "cpu_all":
        return DecodeDemand(mode, c.fps * full, 0.0, c.analytic_fps, c.fps, full)
    if mode == "cpu_keyframes":
        kfps = c.fps / c.gop
        if kfps + 1e-9 < c.analytic_fps:
            return None
        return DecodeDemand(mode, kfps * full * keyframe_ratio, 0.0, kfps, kfps, full * keyframe_ratio)
    if mode == "gpu":
        per = full * gpu_cpu_share
        return DecodeDemand(mode, c.analytic_fps * per, float(c.width * c.height) * c.fps, c.analytic_fps,
                            c.analytic_fps, per)
    raise ValueError(f"unknown decode placement {mode!r}; one of {', '.join(MODES)}")


@dataclass(frozen=True)
class UnitPrices:
    """USD per unit of each ingest resource for one ingest option."""

    core_usd: float             # one speed-1 decode core-second per second
    nvdec_usd_per_px: float     # one pixel per second of hardware decode (inf: no GPU)
    detector_usd_per_fps: float  # one analysed frame per second


def prices(server_price: float, cores: int, speed: float, gpu: Gpu | None, gpu_price_share: float,
           codec: str, detector_fps_per_usd: float) -> UnitPrices:
    nv = gpu.decode_pixels_per_s(codec) if gpu else 0.0
    return UnitPrices(server_price / (cores * speed), gpu_price_share / nv if nv else float("inf"),
                      1.0 / detector_fps_per_usd if detector_fps_per_usd else float("inf"))


def choose(classes: tuple[CameraLoad, ...], cal: Calibration, cat: Catalogue, gpu: Gpu | None,
           unit: dict[str, UnitPrices], forced: Mapping[str, str], inputs: dict[str, float]) -> dict[str, str] | None:
    """Class -> placement: the forced one, else the cheapest at the option's unit prices.

    None when a class is forced onto GPU decode and this option has no hardware decoder for it.
    """
    ratio = cat.input("keyframe_cost_ratio", inputs)
    share = cat.input("gpu_decode_cpu_share", inputs)
    out: dict[str, str] = {}
    for c in classes:
        if c.name in forced:
            mode = forced[c.name]
            if demand(c, mode, cal, ratio, share) is None:
                raise InputError(f"class {c.name!r}: keyframes come {c.fps / c.gop:g} a second, fewer than its "
                                 f"analytic rate {c.analytic_fps:g}", where=f"simulation.decode_placement.{c.name}")
            if mode == "gpu" and (gpu is None or not gpu.decode_pixels_per_s(c.codec)):
                return None
            out[c.name] = mode
            continue
        best, best_cost = "cpu_all", float("inf")
        for mode in MODES:
            d = demand(c, mode, cal, ratio, share)
            if d is None:
                continue
            u = unit[c.codec]
            cost = d.cpu_cores * u.core_usd + d.analysed_fps * u.detector_usd_per_fps
            if d.nvdec_px_per_s:
                cost += d.nvdec_px_per_s * u.nvdec_usd_per_px
            if cost < best_cost:
                best, best_cost = mode, cost
        out[c.name] = best
    return out


def class_demands(classes: tuple[CameraLoad, ...], placement: dict[str, str], cal: Calibration,
                  cat: Catalogue, inputs: dict[str, float]) -> dict[str, DecodeDemand]:
    """Per class, one camera's demand under the placement (cpu_all for a class not named)."""
    ratio = cat.input("keyframe_cost_ratio", inputs)
    share = cat.input("gpu_decode_cpu_share", inputs)
    out = {}
    for c in classes:
        d = demand(c, placement.get(c.name, "cpu_all"), cal, ratio, share)
        if d is None:
            raise InputError(f"class {c.name!r} cannot decode keyframes only: keyframes come {c.fps / c.gop:g} "
                             f"a second, fewer than its analytic rate {c.analytic_fps:g}",
                             where=f"simulation.hardware.decode.{c.name}")
        out[c.name] = d
    return out
