"""Camera encoding profiles (shared by the camera farm, the stack and the simulator): resolution, frame rate,
bitrate, GOP and codec of one kind of camera.

The named profiles approximate the cameras of a city CCTV system such as Semarang's: cheap
neighbourhood (RT) cameras at low resolution and frame rate, traffic-control (ATCS) cameras on
protocol roads, a few high-spec cameras at accident- and crime-prone spots, and private cameras
(banks, shops, offices) integrated into the city portal. The figures are assumptions typical of such
deployments (sub-stream settings of common IP cameras), not measurements of the city's cameras.
"""
from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from common.config import StrictModel

Codec = Literal["h264", "h265"]


class CameraProfile(StrictModel):
    """How one camera encodes: what a server streams and what a reader must decode."""

    width: int = Field(..., gt=0, le=7680, description="frame width in pixels (even)")
    height: int = Field(..., gt=0, le=4320, description="frame height in pixels (even)")
    fps: float = Field(..., gt=0, le=60, description="frames per second")
    bitrate_kbps: int = Field(..., gt=0, le=100_000, description="target video bitrate in kbit/s")
    gop: int = Field(..., ge=1, le=600, description="keyframe interval in frames (closed GOP)")
    codec: Codec = Field("h264", description="video codec: h264 or h265")

    @model_validator(mode="after")
    def _even_size(self) -> "CameraProfile":
        if self.width % 2 or self.height % 2:
            raise ValueError(f"width and height must be even for 4:2:0 video, got {self.width}x{self.height}")
        return self

    @property
    def size(self) -> tuple[int, int]:
        return self.width, self.height

    def describe(self) -> str:
        return f"{self.width}x{self.height} {self.fps:g} fps {self.bitrate_kbps} kbit/s gop {self.gop} {self.codec}"


def _p(w: int, h: int, fps: float, kbps: int, gop: int, codec: Codec = "h264") -> CameraProfile:
    return CameraProfile(width=w, height=h, fps=fps, bitrate_kbps=kbps, gop=gop, codec=codec)


PROFILES: dict[str, CameraProfile] = {
    # neighbourhood (RT) cameras on NVRs, viewed through their sub-stream
    "rt-360p10": _p(640, 360, 10, 384, 20),
    "rt-480p10": _p(854, 480, 10, 512, 20),
    # traffic-control cameras on protocol roads
    "atcs-720p15": _p(1280, 720, 15, 1536, 30),
    "atcs-1080p25": _p(1920, 1080, 25, 4096, 50),
    # high-spec cameras at accident- and crime-prone spots (Kaligawe, Sigar Bencah, ...)
    "highspec-1080p25": _p(1920, 1080, 25, 4096, 50, "h265"),
    # private cameras (banks, shopping centres, minimarkets, offices) integrated under Perwal 5/2019
    "private-720p15": _p(1280, 720, 15, 1024, 30),
    # tiny profile for tests and smoke scenarios
    "test-240p10": _p(320, 240, 10, 256, 10),
}


class UnknownProfileError(ValueError):
    """A profile name that is not in ``PROFILES``; the message lists the known names."""


def get_profile(name: str) -> CameraProfile:
    """The named profile; an ``UnknownProfileError`` (a ValueError, so pydantic reports it at its YAML
    path) that lists the known names otherwise. The one lookup of a profile by name."""
    try:
        return PROFILES[name]
    except KeyError:
        raise UnknownProfileError(f"unknown camera profile {name!r}; known: {', '.join(sorted(PROFILES))}") from None
