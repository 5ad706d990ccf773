"""Config models of the camera farm: the scenario's ``cameras:`` section.

A fleet is a list of camera classes (count, location group, profile, footage mix) served by one
media-server backend, plus impairments applied on a schedule. Camera ids are ``NAME-0001``...
Cross-field checks (unique class names, impairment targets that exist, a sane shard) live here so
that ``tilikbench validate`` catches them before anything starts.
"""
from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal, Union

from pydantic import Discriminator, Field, Tag, field_validator, model_validator

from common.config import StrictModel
from common.netguard import check_host
from common.profiles import CameraProfile, get_profile
from fake_cameras.scene.spec import SceneSpec
from fake_cameras.sites import SitesConfig, plan_sites

GROUPS = ("ATCS", "CCTV RT", "Pasar", "Kota Lama", "Simpang Lima", "Pompa Air", "Layanan Publik", "Private")
Group = Literal["ATCS", "CCTV RT", "Pasar", "Kota Lama", "Simpang Lima", "Pompa Air", "Layanan Publik", "Private"]
# A profile is a name or an inline mapping; the tag keeps error paths short (profile.inline.fps).
ProfileRef = Annotated[Union[Annotated[str, Tag("name")], Annotated[CameraProfile, Tag("inline")]],
                       Discriminator(lambda v: "name" if isinstance(v, str) else "inline")]
ImpairmentKind = Literal["offline", "reconnect_storm", "freeze", "bitrate_spike",
                         "uplink_saturation", "link_stall", "loss_burst", "site_reboot"]
# kinds that act on an NVR site (its uplink, its RTP path, the NVR itself); their target is a site id
SITE_KINDS = ("uplink_saturation", "link_stall", "loss_burst", "site_reboot")
MAX_CAMERAS = 100_000        # cameras of one fleet, all classes together
# recorded footage must be a video file by its name too (its content is probed when it is normalised)
VIDEO_SUFFIXES = (".mp4", ".mkv", ".mov", ".ts", ".m4v", ".webm", ".avi", ".flv", ".h264", ".h265", ".hevc", ".mpg",
                  ".mpeg", ".wmv")


class FootageSpec(StrictModel):
    """Which clips a class's cameras loop: generated scene variants and/or recorded files."""

    scene: SceneSpec = Field(default_factory=SceneSpec,
                             description="generated-scene parameters (fake_cameras.scene SceneSpec)")
    variants: int = Field(1, ge=0, le=1000,
                          description="how many generated variants (scene seeds seed, seed+1, ...) the cameras share")
    recorded: list[Path] = Field(default_factory=list,
                                 description="recorded files, normalised once to the class profile")

    @field_validator("recorded")
    @classmethod
    def _video_names(cls, v: list[Path]) -> list[Path]:
        for p in v:
            if p.suffix.lower() not in VIDEO_SUFFIXES:
                raise ValueError(f"{str(p)!r} is not named as a video file ({', '.join(VIDEO_SUFFIXES)})")
        return v

    @model_validator(mode="after")
    def _some_footage(self) -> "FootageSpec":
        if self.variants == 0 and not self.recorded:
            raise ValueError("no footage: set variants >= 1 or list recorded files")
        return self


class CameraClass(StrictModel):
    name: str = Field(..., pattern=r"^[a-z0-9][a-z0-9_-]{0,39}$",
                      description="class name; camera ids are NAME-0001, NAME-0002, ...")
    count: int = Field(..., ge=1, le=100_000, description="cameras of this class")
    group: Group = Field(..., description="location group of the city's camera inventory")
    kecamatan: list[str] = Field(default_factory=list, description="districts the cameras are spread over")
    profile: ProfileRef = Field(..., description="a named profile of common.profiles.PROFILES, "
                                                          "or inline {width, height, fps, bitrate_kbps, gop, codec}")
    online_share: float = Field(1.0, ge=0.0, le=1.0, description="fraction of this class that is online")
    footage: FootageSpec = Field(default_factory=FootageSpec, description="footage mix of this class")

    @field_validator("profile")
    @classmethod
    def _known_profile(cls, v: str | CameraProfile) -> str | CameraProfile:
        if isinstance(v, str):
            get_profile(v)          # an unknown name raises, listing the known ones
        return v

    def resolved_profile(self) -> CameraProfile:
        return get_profile(self.profile) if isinstance(self.profile, str) else self.profile

    def camera_ids(self) -> list[str]:
        return [f"{self.name}-{i:04d}" for i in range(1, self.count + 1)]


class Impairment(StrictModel):
    """A fault applied on schedule. ``target`` is a camera id, a class name or a location group."""

    kind: ImpairmentKind = Field(..., description="offline | reconnect_storm | freeze | bitrate_spike; on an NVR "
                                                  "site: uplink_saturation | link_stall | loss_burst | site_reboot")
    target: str = Field(..., min_length=1, description="camera id, class name or group (e.g. 'ATCS'); "
                                                       "a site id (site-001) for the site kinds")
    at_s: float = Field(..., ge=0, description="seconds after the fleet is up")
    duration_s: float = Field(..., gt=0, le=86_400, description="how long it lasts")
    factor: float = Field(4.0, gt=1.0, le=50.0, description="bitrate_spike, uplink_saturation: bitrate multiplier")
    loss: float = Field(0.05, gt=0, le=1.0, description="loss_burst: share of the site's RTP packets dropped")
    repeat_every_s: float | None = Field(None, gt=0, description="repeat the window with this period")

    @model_validator(mode="after")
    def _period_longer_than_window(self) -> "Impairment":
        if self.repeat_every_s is not None and self.repeat_every_s <= self.duration_s:
            raise ValueError(f"repeat_every_s ({self.repeat_every_s}) must exceed duration_s ({self.duration_s})")
        return self


class ShardSpec(StrictModel):
    index: int = Field(0, ge=0, description="this host's shard, 0-based")
    count: int = Field(1, ge=1, le=10_000, description="number of shards (hosts)")
    method: Literal["hash", "round_robin"] = Field("hash", description="stable hash of the id, or round-robin")

    @model_validator(mode="after")
    def _index_in_range(self) -> "ShardSpec":
        if self.index >= self.count:
            raise ValueError(f"shard index {self.index} must be < count {self.count}")
        return self


class FleetConfig(StrictModel):
    backend: Literal["embedded", "mediamtx"] = Field("embedded", description="media server serving the cameras")
    host: str = Field("127.0.0.1", description="address the media server binds and URLs use")
    advertise_host: str | None = Field(None, min_length=1,
                                       description="address the cameras' URLs and the control API URL name "
                                                   "when clients reach the server by another name than `host` "
                                                   "(a pod's DNS name while it binds 0.0.0.0); default: host")
    rtsp_port: int = Field(8554, ge=1, le=65535, description="RTSP port")
    api_port: int = Field(9997, ge=1, le=65535, description="control API port (/v3/paths/list)")
    hls_port: int = Field(8888, ge=1, le=65535, description="HLS port (mediamtx backend)")
    metrics_port: int = Field(9998, ge=1, le=65535, description="Prometheus metrics port (mediamtx backend)")
    rtp_port: int = Field(8000, ge=1, le=65534, description="mediamtx backend: UDP RTP port (RTCP is the next one)")
    max_threads: int = Field(256, ge=1, le=4096,
                             description="embedded server: RTSP client thread pool size (too few: readers time out)")
    classes: list[CameraClass] = Field(default_factory=list, max_length=1000, description="camera classes")
    impairments: list[Impairment] = Field(default_factory=list, description="faults applied on schedule")
    shard: ShardSpec = Field(default_factory=ShardSpec, description="which part of the camera list this host serves")
    sites: SitesConfig | None = Field(None, description="group the cameras into NVR sites with vendor stream "
                                                        "paths, digest auth and shaped uplinks (embedded backend)")

    @field_validator("host")
    @classmethod
    def _host(cls, v: str) -> str:
        return check_host(v)

    @model_validator(mode="after")
    def _cross_checks(self) -> "FleetConfig":
        total = sum(c.count for c in self.classes)
        if total > MAX_CAMERAS:
            raise ValueError(f"{total} cameras in all classes; a fleet serves at most {MAX_CAMERAS}")
        names = [c.name for c in self.classes]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"class names must be unique; repeated: {', '.join(dupes)}")
        ports = {"rtsp_port": self.rtsp_port, "api_port": self.api_port}
        if self.backend == "mediamtx":
            ports |= {"hls_port": self.hls_port, "metrics_port": self.metrics_port, "rtp_port": self.rtp_port,
                      "rtp_port + 1": self.rtp_port + 1}
        seen: dict[int, str] = {}
        for key, port in ports.items():
            if port in seen:
                raise ValueError(f"{key} and {seen[port]} are both {port}")
            seen[port] = key
        if self.sites is not None and self.backend != "embedded":
            raise ValueError("sites: NVR sites are served by the embedded backend only")
        site_ids = {s.id for s in self.site_plan()}
        for i, imp in enumerate(self.impairments):
            if imp.kind in SITE_KINDS:
                if imp.target not in site_ids:
                    raise ValueError(f"impairments[{i}].target {imp.target!r}: {imp.kind} needs a site id "
                                     f"({'site-001 .. ' + max(site_ids) if site_ids else 'no sites declared'})")
                continue
            if not self.resolve_target(imp.target):
                raise ValueError(f"impairments[{i}].target {imp.target!r} matches no camera id, class or group")
        return self

    def camera_ids(self) -> list[str]:
        return [cid for c in self.classes for cid in c.camera_ids()]

    def site_plan(self) -> list:
        """The NVR sites (``fake_cameras.sites.Site``) the cameras are grouped into; [] without sites."""
        return plan_sites(self.sites, self.camera_ids()) if self.sites is not None else []

    def resolve_target(self, target: str) -> list[str]:
        """Camera ids an impairment target names (a camera id, a class name, or a group)."""
        out: list[str] = []
        for c in self.classes:
            if target in (c.name, c.group):
                out += c.camera_ids()
            elif target.startswith(c.name + "-") and target in c.camera_ids():
                out.append(target)
        return out

