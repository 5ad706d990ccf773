"""Catalogue entries of the tiers around the servers: storage, switches, links, and the model's inputs.

Every entry and every model input carries a ``source`` saying where its figure comes from, one of four
kinds named at the start of the text: ``measured`` (on this project's machines), ``datasheet`` (a vendor's
published figure), ``public`` (a published reference other than a datasheet) or ``assumption``.
``Catalogue.inputs`` holds the model's defaults (Zipf exponent, night bitrate, playback share, ...); a
scenario overrides one by naming it under ``simulation.model_inputs``.
"""
from __future__ import annotations

from pydantic import Field, field_validator

from common.config import StrictModel

SOURCE_KINDS = ("measured", "datasheet", "public", "assumption")


def _check_source(v: str) -> str:
    kind = v.split(":", 1)[0].strip()
    if kind not in SOURCE_KINDS:
        raise ValueError(f"source must start with one of {', '.join(SOURCE_KINDS)} and a colon, got {v!r}")
    return v


class Sourced(StrictModel):
    source: str = Field(..., description="'<kind>: where the figure comes from'; kind is measured, "
                                         "datasheet, public or assumption")

    _source = field_validator("source")(_check_source)


class ModelInput(Sourced):
    value: float = Field(..., description="the default value")
    unit: str = Field("", description="unit of the value")


class Enclosure(Sourced):
    name: str
    slots: int = Field(..., ge=1, description="disk bays")
    price_usd: float = Field(..., ge=0)


class StorageServer(Sourced):
    name: str
    enclosures_max: int = Field(..., ge=1, description="disk enclosures one head server drives")
    nic_gbps: float = Field(..., gt=0, description="network capacity of one storage server")
    price_usd: float = Field(..., ge=0)


class Switch(Sourced):
    name: str
    ports: int = Field(..., ge=1, description="server-facing ports")
    port_gbps: float = Field(..., gt=0)
    uplink_gbps: float = Field(..., gt=0, description="total uplink capacity towards the core")
    price_usd: float = Field(..., ge=0)


class Link(Sourced):
    name: str
    mbps: float = Field(..., gt=0, description="usable upstream (site uplinks) or line rate (WAN links)")
    price_usd_year: float = Field(..., ge=0, description="one year of service")


class RaidLevel(Sourced):
    name: str
    parity: int = Field(..., ge=0, description="disks' worth of parity (or mirror copies) per group")
    mirror: bool = Field(False, description="mirrored (RAID 10): half the disks hold copies")


INPUT_NAMES = (
    "keyframe_cost_ratio", "gpu_decode_cpu_share", "packager_cores_per_stream", "zipf_exponent",
    "packager_linger_s", "viewer_rtt_s", "player_start_s", "cold_start_cv", "night_bitrate_factor",
    "night_start_hour", "night_end_hour", "playback_share", "link_usable_share", "failover_max_utilisation",
    "rebuild_mbps", "cameras_per_site_mean",
)
