"""Image-level rules on generated scenes: flood level, garbage presence; and mask compliance (needs a model).

Flood level: the generated water is muddy brown (red well above blue) over a neutral grey road and
pavement. A row of the flood region is under water when the median of (R - B) over the row exceeds
``WATER_RB``; the level is the fraction of the region's rows under water, counted up from the bottom
edge. Tuned on daytime generated scenes; night scenes read low.

Garbage presence: the generated pavement is light grey and unsaturated; the pile is saturated or
dark. The score is the fraction of the garbage region's pixels with HSV saturation > 70 or value < 80;
present when the window's median score exceeds ``GARBAGE_SCORE``.

Both are colour rules for daylight: in a dark frame (mean grey level below ``DARK``, e.g. the generated
night scenes) they make no reading (``level`` / ``present`` is null, ``reason: too dark``) rather than a
wrong one.
"""
from __future__ import annotations

import cv2
import numpy as np

from analytics.geometry import Polygon
from analytics.rules.base import Rule, RuleEvent, WindowedRule

WATER_RB = 24.0
GARBAGE_SCORE = 0.12
DARK = 85.0


def too_dark(image: np.ndarray) -> bool:
    return float(cv2.cvtColor(image[::4, ::4], cv2.COLOR_BGR2GRAY).mean()) < DARK


def flood_level(image: np.ndarray, region: Polygon) -> float:
    h, w = image.shape[:2]
    x1, y1, x2, y2 = region.bbox_px(w, h)
    roi = image[y1:y2, x1:x2].astype(np.int16)
    if roi.size == 0:
        return 0.0
    rb = np.median(roi[:, :, 2] - roi[:, :, 0], axis=1)
    wet = rb > WATER_RB
    n = 0
    for v in wet[::-1]:            # contiguous from the bottom, allowing short dry gaps (vehicles)
        if not v:
            break
        n += 1
    return float(n) / len(wet)


def garbage_score(image: np.ndarray, region: Polygon) -> float:
    h, w = image.shape[:2]
    x1, y1, x2, y2 = region.bbox_px(w, h)
    roi = image[y1:y2, x1:x2]
    if roi.size == 0:
        return 0.0
    hsv = cv2.cvtColor(roi, cv2.COLOR_BGR2HSV)
    return float(((hsv[:, :, 1] > 70) | (hsv[:, :, 2] < 80)).mean())


class _Windowed(WindowedRule):
    """An image reading per analysed frame (none in dark frames); one event per window."""

    needs_tracks = False

    def __init__(self, region, window_s: float):
        super().__init__(window_s)
        self.region = Polygon(tuple(tuple(p) for p in region))

    def measure(self, image) -> float:  # pragma: no cover - overridden
        raise NotImplementedError

    def reading(self, f, image, dets, names):
        return float("nan") if too_dark(image) else self.measure(image)


class FloodLevel(_Windowed):
    type = "flood_level"

    def measure(self, image):
        return flood_level(image, self.region)

    def event(self, f, vals):
        ok = [v for v in vals if v == v]
        if not ok:
            return RuleEvent("flood_level", f"w{self._win}", f, {"window": self._win, "level": None,
                             "reason": "too dark", "t_clip": round(f.t_clip, 3), "loop": f.loop})
        return RuleEvent("flood_level", f"w{self._win}", f,
                         {"window": self._win, "level": round(float(np.median(ok)), 3),
                          "max": round(float(max(ok)), 3), "t_clip": round(f.t_clip, 3), "loop": f.loop})


class GarbagePresence(_Windowed):
    type = "garbage_presence"

    def measure(self, image):
        return garbage_score(image, self.region)

    def event(self, f, vals):
        ok = [v for v in vals if v == v]
        if not ok:
            return RuleEvent("garbage_presence", f"w{self._win}", f, {"window": self._win, "present": None,
                             "reason": "too dark", "t_clip": round(f.t_clip, 3), "loop": f.loop})
        score = float(np.median(ok))
        return RuleEvent("garbage_presence", f"w{self._win}", f,
                         {"window": self._win, "present": score > GARBAGE_SCORE, "score": round(score, 3),
                          "t_clip": round(f.t_clip, 3), "loop": f.loop})


class MaskCompliance(Rule):
    """Declared, not computed: no face-mask model ships with tilikbench, so it emits nothing."""

    type = "mask_compliance"
    needs_tracks = False
    status = "disabled: needs a mask model"
