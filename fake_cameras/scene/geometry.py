"""Scene layout in normalised coordinates (x: 0 left .. 1 right, y: 0 top .. 1 bottom of the frame).

The camera looks across a two-way road from the near pavement: the two far lanes carry traffic right to
left, the two near lanes left to right. Things further away are drawn smaller (``scale``). Object sizes
are given in units of the frame height, so objects keep their shape at any frame size.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Lane:
    name: str
    baseline: float      # y of the ground contact (wheels, feet)
    scale: float         # size factor for perspective
    direction: int       # +1 left to right, -1 right to left
    speed_h: float       # speed in frame heights per second at scale 1 (scaled with the lane)


# Drawing order is far to near: a nearer lane is drawn later and occludes the lanes behind it.
FAR_PAVEMENT = Lane("far_pavement", 0.395, 0.62, -1, 0.10)
LANES: tuple[Lane, ...] = (
    Lane("far_2", 0.485, 0.70, -1, 0.40),
    Lane("far_1", 0.595, 0.80, -1, 0.46),
    Lane("near_1", 0.725, 0.90, +1, 0.50),
    Lane("near_2", 0.845, 1.00, +1, 0.44),
)
SHOULDER = Lane("shoulder", 0.905, 1.04, +1, 0.44)
NEAR_PAVEMENT = Lane("near_pavement", 0.975, 1.08, +1, 0.10)

# Bands of the static background.
SKY_BOTTOM = 0.20
FAR_PAVEMENT_TOP = 0.355
ROAD_TOP = 0.41
ROAD_BOTTOM = 0.925          # the kerb of the near pavement

COUNTING_LINE: tuple[tuple[float, float], tuple[float, float]] = ((0.5, FAR_PAVEMENT_TOP), (0.5, 1.0))
"""Vertical virtual line: an object crosses it when the centre of its box passes x = 0.5."""
NO_PARKING_ZONE: tuple[float, float, float, float] = (0.58, 0.865, 0.92, ROAD_BOTTOM)
"""(x1, y1, x2, y2): the marked shoulder; a vehicle whose bottom centre stays inside it is parked."""
FLOOD_REGION: tuple[float, float, float, float] = (0.0, ROAD_TOP, 1.0, 1.0)
"""(x1, y1, x2, y2): water spreads upward from the bottom; level = covered fraction of this height."""
GARBAGE_REGION: tuple[float, float, float, float] = (0.05, 0.905, 0.20, 1.0)
"""(x1, y1, x2, y2): where the garbage pile lies on the near pavement."""

# Object sizes (length, height) in frame heights at scale 1, before per-object variation.
SIZES: dict[str, tuple[float, float]] = {
    "car": (0.27, 0.105),
    "motorcycle": (0.115, 0.125),
    "bus": (0.62, 0.21),
    "truck": (0.44, 0.19),
    "person": (0.045, 0.115),
}


def as_dict() -> dict:
    """The geometry as written into ground-truth files."""
    return {
        "coordinates": "normalised: x in [0,1] left to right, y in [0,1] top to bottom",
        "counting_line": [list(p) for p in COUNTING_LINE],
        "no_parking_zone": list(NO_PARKING_ZONE),
        "flood_region": list(FLOOD_REGION),
        "garbage_region": list(GARBAGE_REGION),
        "road": [0.0, ROAD_TOP, 1.0, ROAD_BOTTOM],
        "lanes": [{"name": ln.name, "baseline": ln.baseline, "direction": "left_to_right" if ln.direction > 0
                   else "right_to_left"} for ln in LANES],
    }
