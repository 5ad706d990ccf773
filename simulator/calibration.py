"""Calibration: measured service costs (versioned JSON) and the lookups the model makes in them.

Every cost is for ONE core of the machine that measured it (the hardware catalogue scales it by core count
and relative per-core speed). Schema version 1:

    {"schema_version": 1, "label": "...", "machine_info": {...},
     "decode_ms":   [{"codec": "h264", "width": 1280, "height": 720, "ms_per_frame": 2.9}, ...],
     "detector_ms": [{"backend": "ultralytics", "input_size": 640, "batch": 1, "ms_per_batch": 150.0}, ...],
     "portal_ms":   [{"endpoint": "hls_segment", "ms_per_request": 0.1}, ...],
     "hls": {"ts_overhead_ratio": 1.06, "segment_s": 2.0, "cold_start_s": 4.0}}

A tilikbench run's results carry the same lists under ``measured_costs`` (see docs/simulator.md);
``calibration_from_results`` turns them into a ``Calibration``, taking what a run did not measure from the
reference calibration and saying so in ``provenance``. Backends are ``common.vocabulary.Backend`` names (the
stack's spelling); a file with the older ``torch`` / ``onnxruntime`` loads with a warning naming the new one.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import Field, ValidationError

from common.config import StrictModel
from common.errors import InputError
from common.vocabulary import Backend, BackendName

CALIBRATION_SCHEMA_VERSION = 1
DEFAULT_REFERENCE = Path(__file__).resolve().parent / "data" / "reference-calibration.json"


class DecodeCost(StrictModel):
    codec: str = Field(..., description="h264 or h265")
    width: int = Field(..., gt=0)
    height: int = Field(..., gt=0)
    ms_per_frame: float = Field(..., gt=0, description="decode time of one frame on one core")
    stdev_ms: float = Field(0.0, ge=0)
    bitrate_kbps: float | None = Field(None, description="bitrate of the measured clip")
    frames: int | None = Field(None, description="frames decoded per repeat")
    threads: int = Field(1, ge=1, description="decoder threads (costs are per core when 1)")


class DetectorCost(StrictModel):
    backend: BackendName = Field(..., description="detector backend: ultralytics, onnx or openvino")
    model: str = Field("yolov8n", description="detector model name")
    input_size: int = Field(..., gt=0, description="square input side in pixels")
    batch: int = Field(..., ge=1)
    ms_per_batch: float = Field(..., gt=0, description="forward time of one batch on one core")
    stdev_ms: float = Field(0.0, ge=0)
    threads: int = Field(1, ge=1)
    repeats: int | None = None


class PortalCost(StrictModel):
    endpoint: str = Field(..., description="camera_list, snapshot, events, hls_playlist, hls_segment")
    ms_per_request: float = Field(..., gt=0, description="CPU time of one request on one core")
    note: str = ""


class PortalRequestCost(StrictModel):
    """The portal's CPU per request as a run measured it (``simulator.runcal.portal_costs``), or why the
    reference was kept. ``includes_http``: the figure is the server's whole CPU per request (HTTP parsing
    and framing included), so nothing is added on top of it."""

    provenance: str = Field(..., description="measured or reference")
    ms_per_request: float | None = Field(None, gt=0, description="median over the trials of the portal's "
                                         "CPU per answered request, ms on one core, the run's request mix")
    includes_http: bool = Field(True, description="the figure includes the HTTP server's work")
    trials: int = Field(0, ge=0, description="trials the figure is the median of")
    requests: int = Field(0, ge=0, description="requests answered in those trials")
    server_ms_per_request: float | None = Field(None, ge=0, description="of which the portal processes' own "
                                                "CPU (median over the trials)")
    grab_ms_per_snapshot: float | None = Field(None, ge=0, description="CPU of the children the workers reaped "
                                               "(ffmpeg snapshot grabs) per snapshot request, added to that row")
    scale_vs_reference: float | None = Field(None, description="the server's own CPU per request / the "
                                             "reference's cost of the same request mix (reference endpoint "
                                             "costs + the assumed HTTP overhead)")
    mix: dict[str, float] = Field(default_factory=dict, description="simulator endpoint -> share of the requests")
    reason: str = Field("", description="why the reference was kept (provenance reference)")
    http_overhead_ms: float | None = Field(None, ge=0, description="the assumed HTTP overhead per request the "
                                           "reference adds (the catalogue's portal_http_overhead_ms)")


class HlsCosts(StrictModel):
    ts_overhead_ratio: float = Field(1.0, ge=1.0, description="HLS bytes / raw video stream bytes")
    segment_s: float = Field(2.0, gt=0, description="HLS segment duration")
    cold_start_s: float = Field(4.0, gt=0, description="on-demand start: seconds from a first request for a "
                                "camera nobody watches to its first playlist (the portal measures it; "
                                "reference: about 4 s, measured on this project's portal)")


class CostSpread(StrictModel):
    """How sure a measured cost is: its bootstrap distribution over the calibrating trials."""

    median: float = Field(..., ge=0, description="median of the refitted cost, ms")
    low: float = Field(..., ge=0, description="2.5th percentile, ms")
    high: float = Field(..., ge=0, description="97.5th percentile, ms")
    rel_sd: float = Field(..., ge=0, description="standard deviation / mean of the refitted cost")
    resamples: int = Field(..., ge=1, description="bootstrap resamples that fitted")
    of: str = Field("", description="what the cost is per")


class Calibration(StrictModel):
    schema_version: int = Field(..., description="version of this file's schema")
    kind: str = "calibration"
    label: str = Field("", description="what was measured where")
    source: str = Field("", description="the command or run that produced it")
    datetime: str | None = None
    machine_info: dict[str, Any] = Field(default_factory=dict)
    commit_info: dict[str, Any] = Field(default_factory=dict)
    provenance: dict[str, str] = Field(default_factory=dict, description="section -> where it came from")
    decode_ms: list[DecodeCost] = Field(..., min_length=1)
    detector_ms: list[DetectorCost] = Field(..., min_length=1)
    portal_ms: list[PortalCost] = Field(..., min_length=1)
    hls: HlsCosts = Field(default_factory=HlsCosts)
    spread: dict[str, CostSpread] = Field(default_factory=dict, description=(
        "section (decode_ms, detector_ms, portal_ms) -> spread of its measured cost; absent: a single measurement"))
    portal_includes_http: bool = Field(False, description=(
        "portal_ms rows already include HTTP handling (measured on the running server); False: in-process "
        "costs, to which the catalogue's portal_http_overhead_ms is added"))
    portal_request: PortalRequestCost | None = Field(None, description="the run's measured portal CPU per "
                                                     "request, or why the reference was kept")

    # ---- lookups (ms on one core of the calibrating machine) ----
    def decode(self, codec: str, width: int, height: int) -> float:
        """Decode ms per frame, interpolated linearly in pixel count (proportional beyond the range)."""
        rows = sorted((r.width * r.height, r.ms_per_frame) for r in self.decode_ms if r.codec == codec)
        if not rows:
            known = sorted({r.codec for r in self.decode_ms})
            raise InputError(f"no decode cost for codec {codec!r} (calibrated: {', '.join(known)})",
                             where=self.label or "calibration")
        px = np.array([p for p, _ in rows], dtype=float)
        ms = np.array([m for _, m in rows], dtype=float)
        pixels = float(width * height)
        if pixels > px[-1]:
            return float(ms[-1] * pixels / px[-1])
        if pixels < px[0]:
            return float(ms[0] * pixels / px[0])
        return float(np.interp(pixels, px, ms))

    def detector_batch_ms(self, backend: Backend | str, input_size: int, batch: int) -> float:
        """Forward ms of one batch: fixed + per-image cost fitted over the measured batch sizes.

        An input size not measured scales the nearest measured one by the pixel ratio.
        """
        try:
            parsed = Backend.parse(backend)
        except ValueError as e:
            raise InputError(str(e), where=self.label or "calibration") from None
        rows = [r for r in self.detector_ms if r.backend == parsed]
        if not rows:
            known = sorted({r.backend for r in self.detector_ms})
            raise InputError(f"no detector cost for backend {parsed.value!r} (calibrated: {', '.join(known)})",
                             where=self.label or "calibration")
        sizes = sorted({r.input_size for r in rows})
        nearest = min(sizes, key=lambda s: abs(s - input_size))
        pts = sorted((r.batch, r.ms_per_batch) for r in rows if r.input_size == nearest)
        if len(pts) == 1:
            fixed, per_image = 0.0, pts[0][1] / pts[0][0]
        else:
            b = np.array([p[0] for p in pts], dtype=float)
            m = np.array([p[1] for p in pts], dtype=float)
            per_image, fixed = np.polyfit(b, m, 1)
            per_image = max(float(per_image), 1e-6)
            fixed = max(float(fixed), 0.0)
        scale = (input_size / nearest) ** 2
        return (fixed + per_image * batch) * scale

    def portal_request_ms(self, endpoint: str, http_overhead_ms: float) -> float:
        """CPU ms of one request to ``endpoint``: the calibrated cost, plus the assumed HTTP overhead only
        when the calibrated cost does not already include the server's HTTP handling."""
        return self.portal(endpoint) + (0.0 if self.portal_includes_http else http_overhead_ms)

    def portal(self, endpoint: str) -> float:
        for r in self.portal_ms:
            if r.endpoint == endpoint:
                return r.ms_per_request
        known = sorted(r.endpoint for r in self.portal_ms)
        raise InputError(f"no portal cost for endpoint {endpoint!r} (calibrated: {', '.join(known)})",
                         where=self.label or "calibration")


def _check_version(data: Any, where: str) -> None:
    if not isinstance(data, dict):
        raise InputError("a calibration must be a JSON object", where=where)
    version = data.get("schema_version")
    if version != CALIBRATION_SCHEMA_VERSION:
        raise InputError(f"calibration schema_version is {version!r}; this tilikbench reads version "
                         f"{CALIBRATION_SCHEMA_VERSION} (re-measure with `tilikbench reference` "
                         f"or re-export from a run)", where=where)


def _validate(data: dict, where: str) -> Calibration:
    try:
        return Calibration.model_validate(data)
    except ValidationError as e:
        first = e.errors()[0]
        loc = ".".join(str(p) for p in first["loc"])
        raise InputError(f"invalid calibration at {loc}: {first['msg']} ({e.error_count()} error(s))",
                         where=where) from None


def load_calibration(path: str | Path | None = None) -> Calibration:
    """Read a calibration JSON file (default: the shipped reference calibration)."""
    path = Path(path) if path is not None else DEFAULT_REFERENCE
    if not path.is_file():
        raise InputError("no such calibration file", where=str(path))
    try:
        data = json.loads(path.read_text())
    except json.JSONDecodeError as e:
        raise InputError(f"not valid JSON: {e}", where=str(path)) from None
    _check_version(data, str(path))
    cal = _validate(data, str(path))
    if not cal.provenance:
        cal.provenance = {s: f"file {path.name}" for s in ("decode_ms", "detector_ms", "portal_ms", "hls")}
    return cal


def calibration_from_results(results_json: dict[str, Any], reference: Calibration | None = None) -> Calibration:
    """Build a calibration from a run's results (its ``measured_costs``); missing sections from the reference."""
    where = f"results {results_json.get('run_id') or results_json.get('name') or ''}".strip()
    costs = results_json.get("measured_costs") if isinstance(results_json, dict) else None
    if not isinstance(costs, dict):
        raise InputError("results have no 'measured_costs' object to calibrate from", where=where)
    _check_version(costs, f"{where}: measured_costs")
    ref = reference or load_calibration()
    data: dict[str, Any] = {
        "schema_version": CALIBRATION_SCHEMA_VERSION,
        "label": f"calibrated from {where}",
        "source": "calibration_from_results",
        "datetime": results_json.get("datetime"),
        "machine_info": results_json.get("machine_info") or {},
        "commit_info": results_json.get("commit_info") or {},
        "provenance": {},
    }
    for section in ("decode_ms", "detector_ms", "portal_ms", "hls"):
        value = costs.get(section)
        if value:
            data[section] = value
            prov = costs.get("provenance")
            given = prov if isinstance(prov, dict) else {}
            data["provenance"][section] = f"measured in the run: {given[section]}" if given.get(section) \
                else "measured in the run"
        else:
            ref_value = getattr(ref, section)
            data[section] = ([r.model_dump() for r in ref_value] if isinstance(ref_value, list)
                             else ref_value.model_dump())
            data["provenance"][section] = f"reference ({ref.label or 'reference calibration'})"
    if isinstance(costs.get("spread"), dict):
        data["spread"] = costs["spread"]
    if isinstance(costs.get("portal_request"), dict):
        data["portal_request"] = costs["portal_request"]
    if costs.get("portal_ms") and costs.get("portal_includes_http") is True:
        data["portal_includes_http"] = True        # only for the run's own rows, never the reference's
    return _validate(data, f"{where}: measured_costs")
