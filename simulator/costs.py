"""Service parameters of one simulated hour: the workload, the hardware set and the calibration combined.

Both models (aggregated and fine-grained) read these, so they differ only in how they simulate.
Capacity arithmetic that needs no simulation (network, storage) lives here too, and follows the
standard sizing calculators exactly: bits = bitrate x cameras x time.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from simulator.calibration import Calibration
from simulator.hardware import HardwareSet
from simulator.placement import DecodeDemand
from simulator.workload import Workload

PORTAL_SERVICE_CV = 0.5      # spread of portal request CPU time (assumption; requests differ in size)
SECONDS_PER_DAY = 86400


@dataclass(frozen=True)
class ShardClass:
    name: str
    cameras: int            # cameras of this class on the busiest ingest server
    fps: float
    sample_every: int
    decode_s: float         # decode time of one frame on one core of the server


@dataclass(frozen=True)
class ServiceParams:
    shard: tuple[ShardClass, ...]
    decode_cores: int
    detector_workers: int
    batch_s: np.ndarray     # batch_s[b] = detector time of a batch of b frames (index 0 unused)
    max_batch: int
    max_lag_s: float
    detector_cv: float
    portal_cores: int
    portal_servers: int
    portal_s: dict[str, float]        # endpoint -> CPU seconds of one request
    viewers_per_server: np.ndarray    # per minute
    api_per_viewer_s: float
    snapshot_share: float
    segment_s: float
    segment_bits: float               # one HLS segment of the watched stream
    server_egress_bps: float          # usable NIC capacity of one portal server
    downlink_bps: float
    session_s: float
    duration_s: float
    warmup_s: float
    packager_cores: float = 0.0       # cores of one portal server busy packaging live streams


def service_params(w: Workload, hw: HardwareSet, cal: Calibration, *, shard: dict[str, int] | None = None,
                   demands: dict[str, DecodeDemand] | None = None, packager_cores: float = 0.0) -> ServiceParams:
    """``shard``: cameras per class on the simulated ingest server (default: an even share, rounded up);
    ``demands``: each class's decode placement (default: every frame on the CPU)."""
    cfg = w.config
    speed = hw.ingest_server.speed
    n = hw.ingest_count
    classes = []
    for c in w.classes:
        if c.online <= 0 or not c.sample_every:
            continue
        cams = int(math.ceil(c.online / n)) if shard is None else shard.get(c.name, 0)
        d = demands.get(c.name) if demands else None
        if d is None:
            classes.append(ShardClass(c.name, cams, c.fps, c.sample_every,
                                      cal.decode(c.codec, c.width, c.height) / 1000.0 / speed))
        else:
            every = max(1, int(round(d.decoded_fps / d.analysed_fps))) if d.analysed_fps else 0
            classes.append(ShardClass(c.name, cams, d.decoded_fps, every, d.cpu_s_per_frame / speed))
    shard_classes = tuple(classes)
    det = cfg.detector
    if hw.gpu is not None:
        max_batch = hw.gpu.max_batch
        batch_ms = [0.0] + [hw.gpu.batch_ms(det.model, det.input_size, b) for b in range(1, max_batch + 1)]
    else:
        max_batch = det.max_batch
        batch_ms = [0.0] + [cal.detector_batch_ms(det.backend, det.input_size, b) / speed
                            for b in range(1, max_batch + 1)]
    overhead = hw.catalogue.portal_http_overhead_ms
    pspeed = hw.portal_server.speed
    portal_s = {e: cal.portal_request_ms(e, overhead) / 1000.0 / pspeed     # measured: HTTP included
                for e in ("hls_playlist", "hls_segment", "camera_list", "events", "snapshot")}
    seg = cal.hls.segment_s
    portal_cores = hw.portal_server.cores
    return ServiceParams(
        shard=shard_classes, decode_cores=hw.decode_cores, detector_workers=hw.detector_workers,
        batch_s=np.asarray(batch_ms) / 1000.0, max_batch=max_batch, max_lag_s=det.max_lag_s,
        detector_cv=det.service_cv,
        portal_cores=max(1, portal_cores - int(math.floor(packager_cores))), portal_servers=hw.portal_count,
        portal_s=portal_s, viewers_per_server=w.viewers / hw.portal_count,
        api_per_viewer_s=cfg.viewers.api_requests_per_viewer_min / 60.0,
        snapshot_share=cfg.viewers.snapshot_share, segment_s=seg,
        segment_bits=w.watched_kbps * 1000.0 * seg * cal.hls.ts_overhead_ratio,
        server_egress_bps=hw.nic.gbps * 1e9 * hw.catalogue.nic_usable_share,
        downlink_bps=cfg.viewers.downlink_mbps * 1e6, session_s=cfg.viewers.session_min * 60.0,
        duration_s=w.duration_s, warmup_s=min(60.0, 0.05 * w.duration_s), packager_cores=packager_cores)


def decode_load(p: ServiceParams) -> tuple[float, float, float]:
    """(frames per second, mean decode seconds, utilisation) of the busiest server's decode cores."""
    rate = sum(c.cameras * c.fps for c in p.shard)
    if rate == 0:
        return 0.0, 0.0, 0.0
    work = sum(c.cameras * c.fps * c.decode_s for c in p.shard)
    return rate, work / rate, work / p.decode_cores


# ---- capacity arithmetic (no simulation) ----

def ingest_bps(w: Workload) -> float:
    """Camera uplink traffic into the ingest tier: sum of online cameras x bitrate."""
    return sum(c.online * c.bitrate_kbps * 1000.0 for c in w.classes)


def storage_bytes(w: Workload) -> float:
    """Recordings kept for the retention days: day-mean bitrate x cameras x time (per class), in bytes."""
    cfg = w.config
    return sum(c.recorded * c.day_mean_kbps * 1000.0 / 8.0 * (c.retention_days or cfg.retention_days)
               for c in w.classes) * cfg.recorded_share * SECONDS_PER_DAY


def record_bps(w: Workload) -> float:
    """Bits per second written to recordings in this hour (this hour's bitrate)."""
    return sum(c.recorded * c.bitrate_kbps * 1000.0 for c in w.classes) * w.config.recorded_share


def egress_bps(w: Workload, ts_overhead_ratio: float) -> np.ndarray:
    """HLS egress per minute: viewers x watched bitrate x container overhead."""
    return w.viewers * w.watched_kbps * 1000.0 * ts_overhead_ratio
