"""Resource requests and limits of the cluster's pods, from the per-camera costs measured here.

The camera bench (docs/cameras.md, ``results/cameras-serving-20261128T043922.json``) served rt-360p10
cameras (384 kbit/s) with the embedded server, every camera consumed by one reader:

    serving CPU   0.112 cores at 50 cameras, 0.396 at 200    -> 0.00198 cores per consumed camera
    server RSS    71 MB at 50 cameras, 142 MB at 200         -> 0.47 MB per camera + 47 MB

The server spends its CPU per RTP packet (about 50 us each), so a camera's cost scales with its
bitrate: ``cores = 0.00198 x bitrate_kbps / 384 x readers``. Memory adds the clips the server holds in
memory (bitrate x clip length, once per distinct clip). The load generator measured 0.22 ms of CPU per
request (docs/load.md); a Locust worker is one process on one core, planned at half of it.

Requests are the estimate; limits leave ``LIMIT_FACTOR`` headroom so that a busy second does not
throttle the media server (throttled RTSP delivery would show up as camera loss, not as a cost).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from fake_cameras.config import FleetConfig

SERVING_CORES_PER_CAMERA = 0.396 / 200        # rt-360p10, one reader per camera
SERVING_REFERENCE_KBPS = 384
SERVER_BASE_MB = 47.0
SERVER_MB_PER_CAMERA = (142.0 - 71.0) / 150
OWNER_PROCESS_MB = 150.0                      # `cameras up` itself: Python, pydantic, numpy
LOCUST_CPU_S_PER_REQUEST = 0.22e-3
LOCUST_WORKER_CORES = 0.5                     # planned load of one single-threaded worker
LOCUST_WORKER_MB = 200.0
LIMIT_FACTOR = 2.0


@dataclass(frozen=True)
class PodResources:
    cpu_cores: float
    memory_mb: float

    def as_k8s(self) -> dict[str, dict[str, str]]:
        """``resources`` of a container: these as requests, ``LIMIT_FACTOR`` times them as limits."""
        def cpu(c: float) -> str:
            return f"{max(math.ceil(c * 1000), 50)}m"

        def mem(m: float) -> str:
            return f"{max(math.ceil(m), 64)}Mi"
        return {"requests": {"cpu": cpu(self.cpu_cores), "memory": mem(self.memory_mb)},
                "limits": {"cpu": cpu(self.cpu_cores * LIMIT_FACTOR), "memory": mem(self.memory_mb * LIMIT_FACTOR)}}


def shard_resources(config: FleetConfig, camera_ids: set[str], readers_per_camera: float = 1.0) -> PodResources:
    """What one fleet shard serving ``camera_ids`` needs, each camera read by ``readers_per_camera``."""
    cores, mb = 0.0, SERVER_BASE_MB + OWNER_PROCESS_MB
    for cls in config.classes:
        n = sum(1 for cid in cls.camera_ids() if cid in camera_ids)
        if n == 0:
            continue
        p = cls.resolved_profile()
        cores += n * readers_per_camera * SERVING_CORES_PER_CAMERA * p.bitrate_kbps / SERVING_REFERENCE_KBPS
        mb += n * readers_per_camera * SERVER_MB_PER_CAMERA
        clips = cls.footage.variants + len(cls.footage.recorded)
        mb += min(clips, n) * p.bitrate_kbps / 8 / 1000 * cls.footage.scene.duration_s
    return PodResources(cores, mb)


def locust_workers(peak_users: int, requests_per_user_s: float) -> int:
    """Workers that carry ``peak_users`` at ``LOCUST_WORKER_CORES`` each."""
    cores = peak_users * requests_per_user_s * LOCUST_CPU_S_PER_REQUEST
    return max(1, math.ceil(cores / LOCUST_WORKER_CORES))


def locust_worker_resources() -> PodResources:
    return PodResources(LOCUST_WORKER_CORES, LOCUST_WORKER_MB)
