"""Time-varying layers over the street: flood water, a garbage pile, rain streaks and sensor noise.

Each layer is prepared once per frame size and applied per frame with a few slice operations.
"""
from __future__ import annotations

import cv2
import numpy as np

from . import geometry as g
from .spec import FloodSpec, GarbageSpec

AA = cv2.LINE_AA


def flood_level(flood: FloodSpec | None, t: float) -> float:
    """Fraction of the flood region's height under water at time t (0 when dry)."""
    if flood is None or t <= flood.start_s:
        return 0.0
    return min(1.0, (t - flood.start_s) / flood.rise_s) * flood.max_level


def garbage_present(garbage: GarbageSpec | None, t: float) -> bool:
    if garbage is None or t < garbage.appear_s:
        return False
    return garbage.remove_s is None or t < garbage.remove_s


class FloodLayer:
    """Muddy water spreading up the road from the near kerb, with moving ripples."""

    def __init__(self, width: int, height: int, night: bool, rng: np.random.Generator):
        self.W, self.H = width, height
        x1, y1, x2, y2 = g.FLOOD_REGION
        self.px1, self.px2 = int(x1 * width), int(x2 * width)
        self.py1, self.py2 = int(y1 * height), int(y2 * height)
        h = self.py2 - self.py1
        wide = self.px2 - self.px1 + width // 2
        base = np.array([70, 105, 125] if not night else [25, 35, 40], np.float32)
        tex = np.empty((h, wide, 3), np.float32)
        tex[:] = base
        n = rng.normal(0, 1, (h, wide)).astype(np.float32)
        n = cv2.GaussianBlur(n, (0, 0), sigmaX=max(2, width // 80), sigmaY=max(1, height // 300))
        tex += (n / max(1e-3, float(n.std())) * 12)[..., None]
        for _ in range(max(6, h // 6)):                      # ripple highlights
            yy, xx = int(rng.integers(h)), int(rng.integers(wide))
            ln = int(rng.integers(width // 60 + 2, width // 15 + 3))
            cv2.line(tex, (xx, yy), (xx + ln, yy), (base * 1.6 + 20).tolist(), 1, AA)
        self.tex = np.clip(tex, 0, 255).astype(np.uint8)
        self.speed_px = max(1.0, width / 40.0)               # ripple drift per second

    def top_row(self, level: float) -> int:
        return int(round(self.py2 - level * (self.py2 - self.py1)))

    def apply(self, frame: np.ndarray, level: float, t: float) -> None:
        if level <= 0:
            return
        top = self.top_row(level)
        if top >= self.py2:
            return
        off = int(t * self.speed_px) % (self.W // 2 + 1)
        rows = slice(top, self.py2)
        water = self.tex[top - self.py1:, off:off + (self.px2 - self.px1)]
        region = frame[rows, self.px1:self.px2]
        cv2.addWeighted(region, 0.25, water, 0.75, 0, dst=region)
        cv2.line(frame, (self.px1, top), (self.px2, top), (150, 170, 180), max(1, self.H // 200), AA)


class GarbageLayer:
    """A pile of plastic bags and rubbish with an alpha mask, pasted into the garbage region."""

    def __init__(self, width: int, height: int, night: bool, rng: np.random.Generator):
        x1, y1, x2, y2 = g.GARBAGE_REGION
        self.x, self.y = int(x1 * width), int(y1 * height)
        w, h = max(4, int((x2 - x1) * width)), max(4, int((y2 - y1) * height))
        sprite = np.zeros((h, w, 3), np.uint8)
        mask = np.zeros((h, w), np.uint8)
        colours = [(30, 30, 30), (160, 90, 30), (40, 120, 40), (220, 220, 220), (40, 40, 150), (60, 110, 150)]
        for _ in range(26):
            cx = int(w * rng.uniform(0.15, 0.85))
            cy = int(h * rng.uniform(0.45, 0.9))
            ax, ay = int(w * rng.uniform(0.06, 0.16)), int(h * rng.uniform(0.12, 0.28))
            c = colours[int(rng.integers(len(colours)))]
            ang = float(rng.uniform(0, 180))
            cv2.ellipse(sprite, (cx, cy), (max(1, ax), max(1, ay)), ang, 0, 360, c, -1, AA)
            cv2.ellipse(sprite, (cx - ax // 3, cy - ay // 3), (max(1, ax // 3), max(1, ay // 4)), ang, 0, 360,
                        tuple(min(255, v + 60) for v in c), -1, AA)
            cv2.ellipse(mask, (cx, cy), (max(1, ax), max(1, ay)), ang, 0, 360, 255, -1, AA)
        if night:
            sprite = (sprite * 0.35).astype(np.uint8)
        noise = rng.integers(-14, 15, size=sprite.shape)
        self.sprite = np.clip(sprite.astype(np.int16) + noise, 0, 255).astype(np.uint8)
        self.alpha = (mask.astype(np.float32) / 255.0)[..., None]

    def apply(self, frame: np.ndarray) -> None:
        h, w = self.sprite.shape[:2]
        region = frame[self.y:self.y + h, self.x:self.x + w]
        h, w = region.shape[:2]
        a = self.alpha[:h, :w]
        region[:] = (region * (1 - a) + self.sprite[:h, :w] * a).astype(np.uint8)


class RainLayer:
    """Slanted streaks on a tall sheet, slid down a little every frame."""

    def __init__(self, width: int, height: int, rng: np.random.Generator):
        self.H = height
        sheet = np.zeros((height * 2, width), np.uint8)
        n = int(width * height / 900) + 20
        xs = rng.integers(0, width, n)
        ys = rng.integers(0, height * 2, n)
        ln = max(4, height // 25)
        dx = ln // 4
        for x, y in zip(xs, ys):
            cv2.line(sheet, (int(x), int(y)), (int(x) - dx, int(y) + ln), int(rng.integers(35, 80)), 1, AA)
        self.sheet = cv2.merge([sheet, sheet, sheet])
        self.speed = height * 1.6                            # pixels per second

    def apply(self, frame: np.ndarray, t: float) -> None:
        off = int(t * self.speed) % self.H
        start = self.H - off
        cv2.add(frame, self.sheet[start:start + self.H], dst=frame)


class SensorNoise:
    """Grain from a few pre-drawn noise frames; which one is chosen per frame."""

    def __init__(self, width: int, height: int, sigma: float, rng: np.random.Generator, count: int = 6):
        self.frames = []
        for _ in range(count):
            n = rng.normal(0, sigma, (height, width, 1)).astype(np.float32)
            n = np.repeat(n, 3, axis=2) + rng.normal(0, sigma * 0.4, (height, width, 3)).astype(np.float32)
            self.frames.append((np.clip(n, 0, 255).astype(np.uint8), np.clip(-n, 0, 255).astype(np.uint8)))

    def apply(self, frame: np.ndarray, rng: np.random.Generator) -> None:
        pos, neg = self.frames[int(rng.integers(len(self.frames)))]
        cv2.add(frame, pos, dst=frame)
        cv2.subtract(frame, neg, dst=frame)
