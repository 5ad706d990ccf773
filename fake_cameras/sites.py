"""NVR sites: the scenario's ``cameras.sites`` section and how cameras are laid out over sites.

A neighbourhood site is an NVR with a few channels behind a residential uplink. The scenario says how
many channels a site has (a distribution), which vendor's stream paths its NVR speaks, and which uplink
classes exist with the share of sites in each. ``plan_sites`` turns that into a deterministic list of
sites: the fleet's cameras, in order, filled into sites channel by channel.

Stream paths (main stream and sub stream of channel ``ch``):

    hikvision   /Streaming/Channels/<ch>01           /Streaming/Channels/<ch>02
    dahua       /cam/realmonitor?channel=<ch>&subtype=0   ...&subtype=1

Every site answers only with RTSP digest authentication (``username`` and a password from the
environment variable ``password_env``, or one made per run and kept in a 0600 credentials file).
"""
from __future__ import annotations

import math
import random
from dataclasses import dataclass
from typing import Literal

from pydantic import Field, field_validator

from common.config import StrictModel
from common.profiles import get_profile

Vendor = Literal["hikvision", "dahua"]
VENDORS: tuple[str, ...] = ("hikvision", "dahua")


class UplinkClass(StrictModel):
    """One kind of site uplink: what the site can send up to the platform."""

    name: str = Field(..., pattern=r"^[a-z0-9][a-z0-9_-]{0,23}$", description="class name, e.g. residential-10")
    up_mbit: float = Field(..., gt=0, le=10_000, description="upstream rate (site to platform), Mbit/s; "
                                                             "shaped with a token bucket (tbf) on the site's veth")
    share: float = Field(..., gt=0, le=1, description="share of the sites in this class")
    burst_kbyte: int = Field(32, ge=2, le=4096, description="token-bucket depth in KiB")
    queue_ms: int = Field(200, ge=1, le=10_000, description="longest a packet may wait in the shaper's queue "
                                                            "before it is dropped (tbf latency)")
    delay_ms: float = Field(0, ge=0, le=5_000, description="one-way delay added each way by a user-space relay "
                                                           "in front of the site (fake_cameras/relay.py); 0: none")
    jitter_ms: float = Field(0, ge=0, le=5_000, description="jitter around delay_ms (uniform, +-), by the relay")


class SitesConfig(StrictModel):
    """Cameras grouped into NVR sites with vendor stream paths and shaped uplinks."""

    channels: dict[int, float] = Field({4: 1.0}, description="channels per site -> share of sites with that "
                                                             "many channels (a distribution, e.g. {4: 0.6, 8: 0.4})")
    vendors: dict[Vendor, float] = Field({"hikvision": 0.5, "dahua": 0.5},
                                         description="NVR vendor (its stream-path style) -> share of sites")
    uplinks: list[UplinkClass] = Field(..., min_length=1, description="uplink classes; their shares sum to 1")
    namespaced_share: float = Field(1.0, ge=0, le=1,
                                    description="share of the sites served from their own network namespace "
                                                "behind a shaped veth (the rest: unshaped, on loopback)")
    username: str = Field("admin", pattern=r"^[A-Za-z0-9_.-]{1,32}$", description="RTSP digest user of every NVR")
    password_env: str = Field("TILIKBENCH_NVR_PASSWORD", pattern=r"^[A-Z_][A-Z0-9_]{0,63}$",
                              description="environment variable holding the NVRs' password; unset: a random "
                                          "password per run, written to a 0600 credentials file")
    sub_profile: str = Field("test-240p10", description="named profile of every camera's sub stream")
    seed: int = Field(0, ge=0, description="seed of the channel-count draw")

    @field_validator("channels")
    @classmethod
    def _channels(cls, v: dict[int, float]) -> dict[int, float]:
        if not v:
            raise ValueError("give at least one channel count")
        for n, share in v.items():
            if not 1 <= n <= 64:
                raise ValueError(f"a site has 1..64 channels, got {n}")
            if share <= 0:
                raise ValueError(f"share of {n}-channel sites must be > 0, got {share}")
        _sums_to_one(v.values(), "channel shares")
        return v

    @field_validator("vendors")
    @classmethod
    def _vendors(cls, v: dict[str, float]) -> dict[str, float]:
        if not v or any(s < 0 for s in v.values()):
            raise ValueError("vendor shares must be >= 0 and at least one given")
        _sums_to_one(v.values(), "vendor shares")
        return v

    @field_validator("sub_profile")
    @classmethod
    def _known_sub(cls, v: str) -> str:
        get_profile(v)
        return v

    @field_validator("uplinks")
    @classmethod
    def _uplinks(cls, v: list[UplinkClass]) -> list[UplinkClass]:
        names = [u.name for u in v]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"names must be unique; repeated: {', '.join(dupes)}")
        _sums_to_one([u.share for u in v], "the shares")
        return v


def _sums_to_one(values, what: str) -> None:
    total = sum(values)
    if abs(total - 1.0) > 1e-6:
        raise ValueError(f"{what} must sum to 1, got {total:g}")


@dataclass(frozen=True)
class SiteChannel:
    camera_id: str
    channel: int            # 1-based, as NVRs number them


@dataclass(frozen=True)
class Site:
    id: str                 # site-001, site-002, ...
    vendor: str
    uplink: UplinkClass
    channels: tuple[SiteChannel, ...]
    namespaced: bool

    def camera_ids(self) -> list[str]:
        return [c.camera_id for c in self.channels]


def stream_path(vendor: str, channel: int, sub: bool) -> str:
    """The NVR's path of a channel's main (``sub=False``) or sub stream, query included."""
    if vendor == "hikvision":
        return f"/Streaming/Channels/{channel}{'02' if sub else '01'}"
    if vendor == "dahua":
        return f"/cam/realmonitor?channel={channel}&subtype={1 if sub else 0}"
    raise ValueError(f"unknown NVR vendor {vendor!r}; known: {', '.join(VENDORS)}")


def _by_share(n: int, shares: list[tuple[object, float]]) -> list[object]:
    """``n`` items assigned by share, interleaved: each next item goes to the class furthest below its
    share so far, so every prefix of the sites keeps the shares as closely as whole sites allow."""
    counts = [0] * len(shares)
    out = []
    for i in range(n):
        k = max(range(len(shares)), key=lambda j: (shares[j][1] * (i + 1) - counts[j], -j))
        counts[k] += 1
        out.append(shares[k][0])
    return out


def plan_sites(cfg: SitesConfig, camera_ids: list[str]) -> list[Site]:
    """Fill the cameras, in order, into sites whose channel counts are drawn from ``cfg.channels``."""
    rng = random.Random(cfg.seed)
    counts, left = [], len(camera_ids)
    sizes, weights = list(cfg.channels), list(cfg.channels.values())
    while left > 0:
        n = min(rng.choices(sizes, weights)[0], left)
        counts.append(n)
        left -= n
    n_sites = len(counts)
    uplinks = _by_share(n_sites, [(u, u.share) for u in cfg.uplinks])
    vendors = _by_share(n_sites, [(v, s) for v, s in cfg.vendors.items() if s > 0])
    # namespaced sites spread evenly over the list (and so over the uplink classes)
    n_ns = math.floor(cfg.namespaced_share * n_sites + 1e-9)
    ns_idx = {math.floor(k * n_sites / n_ns) for k in range(n_ns)} if n_ns else set()
    sites, start = [], 0
    for i, n in enumerate(counts):
        chans = tuple(SiteChannel(cid, ch + 1) for ch, cid in enumerate(camera_ids[start:start + n]))
        sites.append(Site(f"site-{i + 1:03d}", vendors[i], uplinks[i], chans, i in ns_idx))
        start += n
    return sites
