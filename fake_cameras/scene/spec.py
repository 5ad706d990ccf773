"""What a generated street scene contains: the parameters of one clip (validated, hashable)."""
from __future__ import annotations

import math

from pydantic import Field, field_validator, model_validator

from common.config import StrictModel

CLASSES: tuple[str, ...] = ("car", "motorcycle", "bus", "truck", "person")
"""Object classes; their position in this tuple is the class id used in ground truth and datasets."""
VEHICLE_CLASSES: tuple[str, ...] = CLASSES[:4]

# Semarang traffic is mostly motorcycles; buses and trucks are few.
DEFAULT_CLASS_MIX: dict[str, float] = {"car": 0.25, "motorcycle": 0.62, "bus": 0.05, "truck": 0.08}


class ParkingSpec(StrictModel):
    """One vehicle leaves the near lane and stops in the marked no-parking zone."""

    dwell_s: float = Field(10.0, gt=0, le=3600, description="seconds the vehicle stays stopped in the zone")
    arrive_s: float | None = Field(None, ge=0, description="when it enters the frame (default: early enough "
                                                           "for the dwell to fit the clip)")
    cls: str = Field("car", description="vehicle class of the parked vehicle: car, motorcycle or truck")

    @field_validator("cls")
    @classmethod
    def _cls(cls, v: str) -> str:
        if v not in ("car", "motorcycle", "truck"):
            raise ValueError(f"parking vehicle class must be car, motorcycle or truck, got {v!r}")
        return v


class FloodSpec(StrictModel):
    """Water spreading over the road from the near kerb: its extent rises linearly, then holds."""

    start_s: float = Field(2.0, ge=0, description="when water starts to rise")
    rise_s: float = Field(20.0, gt=0, description="seconds from dry to max_level")
    max_level: float = Field(0.6, gt=0, le=1, description="final fraction of the flood region under water")


class GarbageSpec(StrictModel):
    """A garbage pile dumped on the near pavement."""

    appear_s: float = Field(3.0, ge=0, description="when the pile appears")
    remove_s: float | None = Field(None, gt=0, description="when it is removed (default: stays to the end)")

    @model_validator(mode="after")
    def _order(self) -> "GarbageSpec":
        if self.remove_s is not None and self.remove_s <= self.appear_s:
            raise ValueError(f"remove_s ({self.remove_s}) must be after appear_s ({self.appear_s})")
        return self


class SceneSpec(StrictModel):
    """A procedural street scene. The same spec (and frame size) always draws the same frames."""

    seed: int = Field(0, ge=0, description="random seed: traffic, colours, textures, noise")
    duration_s: float = Field(30.0, gt=0, le=3600, description="clip length in seconds")
    class_mix: dict[str, float] = Field(default_factory=lambda: dict(DEFAULT_CLASS_MIX),
                                        description="relative share of each vehicle class (normalised)")
    vehicles_per_min: float = Field(40.0, ge=0, le=600, description="mean vehicle arrivals per minute (all lanes)")
    pedestrians_per_min: float = Field(8.0, ge=0, le=300, description="mean pedestrian arrivals per minute")
    parking: ParkingSpec | None = Field(None, description="a vehicle stopping in the no-parking zone")
    night: bool = Field(False, description="night: dark scene, headlights, street lamps, more sensor noise")
    rain: bool = Field(False, description="rain streaks, wet and lower-contrast image")
    flood: FloodSpec | None = Field(None, description="water rising over the road")
    garbage: GarbageSpec | None = Field(None, description="a garbage pile appearing on the pavement")

    @field_validator("class_mix")
    @classmethod
    def _mix(cls, v: dict[str, float]) -> dict[str, float]:
        unknown = sorted(set(v) - set(VEHICLE_CLASSES))
        if unknown:
            raise ValueError(f"unknown vehicle class(es) {unknown}; known: {list(VEHICLE_CLASSES)}")
        if not all(math.isfinite(x) and x >= 0 for x in v.values()):
            raise ValueError("class shares must be finite numbers >= 0")
        total = sum(v.values())
        if total <= 0:
            raise ValueError("class_mix needs at least one class with a share > 0")
        return {k: v.get(k, 0.0) / total for k in VEHICLE_CLASSES}

    @model_validator(mode="after")
    def _fits(self) -> "SceneSpec":
        if self.parking is not None:
            need = self.parking.dwell_s + 12.0
            if self.duration_s < need:
                raise ValueError(f"parking with dwell_s={self.parking.dwell_s} needs duration_s >= {need:g} "
                                 "(drive in, stop, drive out inside the clip)")
        return self
