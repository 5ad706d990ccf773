"""Scene layout in normalised coordinates (x: 0 left .. 1 right, y: 0 top .. 1 bottom of the frame).

The camera looks across a two-way road from the near pavement: the two far lanes carry traffic right to
left, the two near lanes left to right. Things further away are drawn smaller (``scale``). Object sizes
are given in units of the frame height, so objects keep their shape at any frame size.
"""
from __future__ import annotations

from dataclasses import dataclass

# The background bands and the analytic regions (counting line, no-parking zone, flood and garbage
# regions) are shared with the stack's rules; they are re-exported here for the drawing code.
from common.scene_geometry import (  # noqa: F401
    COUNTING_LINE, FAR_PAVEMENT_TOP, FLOOD_REGION, GARBAGE_REGION, NO_PARKING_ZONE, ROAD_BOTTOM, ROAD_TOP,
    SKY_BOTTOM, rule_geometry,
)


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
        **rule_geometry(),
        "road": [0.0, ROAD_TOP, 1.0, ROAD_BOTTOM],
        "lanes": [{"name": ln.name, "baseline": ln.baseline, "direction": "left_to_right" if ln.direction > 0
                   else "right_to_left"} for ln in LANES],
    }
