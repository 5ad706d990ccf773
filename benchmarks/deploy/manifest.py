"""The fleet manifest: where the parts of a run that live on other hosts can be reached.

A run normally starts every part itself. When the camera fleet is sharded over several hosts (a
Kubernetes StatefulSet, or ``tilikbench cameras up --shard K/N`` by hand) and the viewer load comes
from Locust workers elsewhere, the runner is given this manifest instead:

    {"schema_version": 1,
     "shards": [{"name": "cameras-0", "shard": 0, "api_url": "http://10.0.0.5:9997",
                 "rtsp_base": "rtsp://10.0.0.5:8554", "cameras": ["rt-0001", "rt-0004", ...]}, ...],
     "load": {"master_url": "http://10.0.0.9:8089", "target_url": "http://10.0.0.2:8080", "workers": 2}}

A camera's URL is ``rtsp_base/<id>``; ``api_url`` is the shard's control API (``/v3/paths/list``,
MediaMTX's shape, which both media-server backends answer). ``load`` names a Locust master running
in its web mode with its workers attached; the runner drives it over Locust's own HTTP API.
Camera ids list only ids (no per-camera URL) so that 20,000 cameras fit one Kubernetes ConfigMap.
"""
from __future__ import annotations

import json
from pathlib import Path

from pydantic import Field, ValidationError, model_validator

from benchmarks.yamlpath import format_loc, load_yaml
from common.atomic import write_text_atomic
from common.config import StrictModel
from common.errors import InputError

MANIFEST_SCHEMA_VERSION = 1


class ShardEntry(StrictModel):
    """One host of the camera fleet: its shard, its control API and the cameras it serves."""

    name: str = Field(..., pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$",
                      description="host label used in the results (e.g. the pod name cameras-3)")
    shard: int = Field(..., ge=0, description="the shard K of `cameras up --shard K/N` this host serves")
    api_url: str = Field(..., pattern=r"^https?://", description="control API base URL (/v3/paths/list)")
    rtsp_base: str = Field(..., pattern=r"^rtsps?://[^/]+$",
                           description="scheme, host and port of the cameras' URLs (rtsp://HOST:PORT)")
    cameras: list[str] = Field(..., min_length=1, description="ids of the cameras this host serves")

    def url(self, camera_id: str) -> str:
        return f"{self.rtsp_base}/{camera_id}"


class LoadWorkers(StrictModel):
    """A Locust master (web mode, workers attached) the runner steps through Locust's HTTP API."""

    master_url: str = Field(..., pattern=r"^https?://", description="the master's web API, e.g. http://HOST:8089")
    target_url: str | None = Field(None, pattern=r"^https?://",
                                   description="the portal as the workers reach it (sent as Locust's host); "
                                               "None: the run's own portal, at its URL")
    workers: int = Field(1, ge=1, le=1000, description="workers expected to be connected to the master")


class FleetManifest(StrictModel):
    schema_version: int = Field(MANIFEST_SCHEMA_VERSION, ge=1, le=MANIFEST_SCHEMA_VERSION,
                                description="version of this file's schema")
    shards: list[ShardEntry] = Field(..., min_length=1, description="the fleet's hosts, one per shard")
    load: LoadWorkers | None = Field(None, description="Locust master and workers already running, if any")

    @model_validator(mode="after")
    def _distinct(self) -> FleetManifest:
        seen_names: set[str] = set()
        seen_shards: set[int] = set()
        owner: dict[str, str] = {}
        for i, s in enumerate(self.shards):
            if s.name in seen_names:
                raise ValueError(f"shards[{i}].name {s.name!r} appears twice")
            if s.shard in seen_shards:
                raise ValueError(f"shards[{i}].shard {s.shard} appears twice")
            seen_names.add(s.name)
            seen_shards.add(s.shard)
            for cam in s.cameras:
                if cam in owner:
                    raise ValueError(f"shards[{i}] ({s.name}) lists camera {cam!r}, already served by {owner[cam]}")
                owner[cam] = s.name
        return self

    def camera_urls(self) -> dict[str, str]:
        """Every camera's RTSP URL, by id."""
        return {cam: s.url(cam) for s in self.shards for cam in s.cameras}

    def shard_of(self) -> dict[str, ShardEntry]:
        return {cam: s for s in self.shards for cam in s.cameras}


def shard_from_fleet_info(name: str, info: dict) -> ShardEntry:
    """A manifest entry from the ``cameras.json`` that ``tilikbench cameras up`` writes in its state dir."""
    urls = [c["url"] for c in info["cameras"]]
    bases = {u.rsplit("/", 1)[0] for u in urls}
    if len(bases) != 1:
        raise ValueError(f"{name}: the cameras are served from more than one address: {sorted(bases)}")
    return ShardEntry(name=name, shard=int(info["shard"][0]), api_url=info["api_url"], rtsp_base=bases.pop(),
                      cameras=[c["id"] for c in info["cameras"]])


def load_manifest(path: Path) -> FleetManifest:
    """Read and validate a fleet manifest (JSON or YAML); errors name the path inside the file."""
    data, _ = load_yaml(Path(path))
    if not isinstance(data, dict):
        raise InputError("expected a mapping at the top level", where=str(path))
    try:
        return FleetManifest.model_validate(data)
    except ValidationError as e:
        lines = [f"  {format_loc(tuple(err['loc']))}: "
                 + ("unknown key (misspelt?)" if err["type"] == "extra_forbidden" else err["msg"])
                 for err in e.errors()]
        raise InputError(f"invalid fleet manifest, {len(lines)} error(s):\n" + "\n".join(lines),
                         where=str(path)) from None


def write_manifest(manifest: FleetManifest, path: Path) -> None:
    write_text_atomic(path, json.dumps(manifest.model_dump(mode="json", exclude_none=True), separators=(",", ":")))
