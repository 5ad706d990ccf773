"""Scene geometry for the rules: normalised polygons and lines, defaulting to the generated scene's.

The generated scene's ground truth carries its geometry (``geometry`` block: counting line, no-parking
zone, flood and garbage regions as normalised rectangles); a rule without a zone of its own uses it.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from common.errors import InputError
from common.scene_geometry import rule_geometry

# The generated scene's layout, used when a camera has no ground truth to read it from.
DEFAULT_GEOMETRY = rule_geometry()


def rect_to_poly(r) -> list[tuple[float, float]]:
    x1, y1, x2, y2 = r
    return [(x1, y1), (x2, y1), (x2, y2), (x1, y2)]


def load_geometry(ground_truth: str | Path | None) -> dict:
    """The scene geometry of a clip's ground truth (or the generated scene's default layout)."""
    if not ground_truth:
        return dict(DEFAULT_GEOMETRY)
    p = Path(ground_truth)
    try:
        data = json.loads(p.read_text())
    except (OSError, ValueError) as exc:
        raise InputError(f"cannot read ground truth ({exc})", where=str(p)) from None
    geo = data.get("geometry") or data.get("scene", {}).get("geometry") or {}
    out = dict(DEFAULT_GEOMETRY)
    out.update({k: v for k, v in geo.items() if k in DEFAULT_GEOMETRY})
    return out


@dataclass(frozen=True)
class Polygon:
    """A polygon in normalised coordinates, tested against pixel points of a frame size."""

    points: tuple[tuple[float, float], ...]

    def contains(self, x: float, y: float) -> bool:
        """Is the normalised point (x, y) inside (ray casting; on-edge counts as inside)?"""
        inside = False
        pts = self.points
        n = len(pts)
        for i in range(n):
            x1, y1 = pts[i]
            x2, y2 = pts[(i + 1) % n]
            if (y1 > y) != (y2 > y):
                xi = x1 + (y - y1) * (x2 - x1) / (y2 - y1)
                if x <= xi:
                    inside = not inside
        if not inside:
            xs, ys = [p[0] for p in pts], [p[1] for p in pts]
            if len(pts) == 4 and min(xs) <= x <= max(xs) and min(ys) <= y <= max(ys) and \
                    len({round(v, 9) for v in xs}) == 2 and len({round(v, 9) for v in ys}) == 2:
                inside = True          # axis-aligned rectangle: edges included
        return inside

    def mask(self, width: int, height: int) -> np.ndarray:
        import cv2
        m = np.zeros((height, width), np.uint8)
        pts = np.array([[x * (width - 1), y * (height - 1)] for x, y in self.points], np.int32)
        cv2.fillPoly(m, [pts], 1)
        return m.astype(bool)

    def bbox_px(self, width: int, height: int) -> tuple[int, int, int, int]:
        xs = [p[0] for p in self.points]
        ys = [p[1] for p in self.points]
        return (int(min(xs) * width), int(min(ys) * height),
                max(int(min(xs) * width) + 1, int(round(max(xs) * width))),
                max(int(min(ys) * height) + 1, int(round(max(ys) * height))))


def side_of_line(line, x: float, y: float) -> float:
    (x1, y1), (x2, y2) = line
    return (x2 - x1) * (y - y1) - (y2 - y1) * (x - x1)
