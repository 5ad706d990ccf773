"""The scenario's policies for the tiers around the servers (``simulation.storage``, ``.network``,
``.redundancy``, ``.startup``, ``.decode_placement``): what the city chooses, not what it measures.

Figures the model needs as inputs (Zipf exponent, night bitrate, ...) are not here: their defaults and
sources live in the hardware catalogue's ``inputs``; ``simulation.model_inputs`` overrides them by name.
"""
from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from common.config import StrictModel

DecodeMode = Literal["cpu_all", "cpu_keyframes", "gpu"]


class StoragePolicy(StrictModel):
    raid: str = Field("raid6", description="RAID level from the catalogue's raid_levels")
    disks_per_group: int = Field(12, ge=2, le=64, description="disks in one RAID group (parity included)")
    hot_spares_per_enclosure: int = Field(1, ge=0, description="idle disks per enclosure that replace a failed one")
    enclosure: str | None = Field(None, description="enclosure from the catalogue (default: cheapest per slot)")
    retention_days_by_class: dict[str, float] = Field(
        default_factory=dict, description="camera class -> days kept (others: simulation.retention_days)")

    @field_validator("retention_days_by_class")
    @classmethod
    def _positive(cls, v: dict[str, float]) -> dict[str, float]:
        bad = {k: d for k, d in v.items() if d <= 0}
        if bad:
            raise ValueError(f"retention days must be > 0: {bad}")
        return v


class SitePolicy(StrictModel):
    cameras_per_site: dict[int, float] = Field(
        default_factory=dict, description="cameras at one NVR site -> share of the class's sites "
                                          "(default: the catalogue's cameras_per_site_mean, as 1s and 2s)")
    uplink: str = Field("auto", description="site uplink from the catalogue, or auto: the cheapest that "
                                            "carries the site within the headroom")

    @field_validator("cameras_per_site")
    @classmethod
    def _shares(cls, v: dict[int, float]) -> dict[int, float]:
        if any(k < 1 for k in v) or any(s < 0 for s in v.values()) or (v and sum(v.values()) <= 0):
            raise ValueError("site sizes must be >= 1 camera with shares >= 0 summing above 0")
        return v


class NetworkPolicy(StrictModel):
    sites: dict[str, SitePolicy] = Field(default_factory=dict, description="camera class -> its NVR sites")
    switch_pairs: bool = Field(True, description="every server dual-homed to a pair of switches")


class RedundancyPolicy(StrictModel):
    ingest_spares: int = Field(1, ge=0, description="k of N+k ingest servers")
    portal_spares: int = Field(1, ge=0, description="k of N+k portal servers")
    storage_server_spares: int = Field(1, ge=0, description="k of N+k storage head servers")
    wan_spares: int = Field(1, ge=0, description="k of N+k city WAN links")


class StartupPolicy(StrictModel):
    prewarm_top: int | Literal["auto"] = Field(
        "auto", description="the most popular cameras packaged always (no on-demand start); auto: the fewest "
                            "that keep viewer start p95 within its SLO")

    @field_validator("prewarm_top")
    @classmethod
    def _non_negative(cls, v: int | str) -> int | str:
        if isinstance(v, int) and v < 0:
            raise ValueError("prewarm_top must be >= 0 or auto")
        return v
