"""The generated scene's analytic geometry, in normalised coordinates (x: 0 left .. 1 right, y: 0 top ..
1 bottom of the frame), shared by the camera farm (which draws the scene and writes this geometry into
each clip's ground truth) and the stack's rules (which use it when a camera's ground truth does not carry
its own).
"""
from __future__ import annotations

# Bands of the static background the regions below refer to.
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


def rule_geometry() -> dict[str, list]:
    """The geometry the rules read, in the shape of a ground-truth file's ``geometry`` block."""
    return {
        "counting_line": [list(p) for p in COUNTING_LINE],
        "no_parking_zone": list(NO_PARKING_ZONE),
        "flood_region": list(FLOOD_REGION),
        "garbage_region": list(GARBAGE_REGION),
    }
