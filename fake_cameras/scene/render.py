"""Drawing a scene frame by frame: static background, water, garbage, objects far to near, rain, noise."""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Iterator

import cv2
import numpy as np

from .background import draw_background
from .plan import Track, plan_tracks
from .spec import SceneSpec
from .sprites import DRAW, Pen
from .weather import FloodLayer, GarbageLayer, RainLayer, SensorNoise, flood_level, garbage_present

OCCLUSION_CELL = 2          # visible fractions are counted on a grid of this many pixels


@dataclass(frozen=True)
class GTObject:
    """One object in one frame: its box (x1, y1, x2, y2 in pixels, x2/y2 exclusive, clipped to the frame)
    and the fraction of its full box that is neither occluded by nearer objects nor outside the frame."""

    track_id: int
    cls: str
    box: tuple[int, int, int, int]
    visible_fraction: float


def frame_count(duration_s: float, fps: float) -> int:
    return max(1, int(round(duration_s * fps)))


def end_margin_s(fps: float) -> float:
    """Objects leave the frame this long before the end, so the last frame is empty."""
    return max(1.0, 1.5 / fps)


class Scene:
    """A scene prepared for one frame size: plan, static layers and the per-frame random stream."""

    def __init__(self, spec: SceneSpec, width: int, height: int, fps: float, sensor_noise: bool = True):
        if width < 16 or height < 16:
            raise ValueError(f"frame size {width}x{height} is too small (at least 16x16)")
        self.spec, self.W, self.H, self.fps = spec, width, height, fps
        # One seed, three independent streams: the plan does not depend on the frame size.
        plan_ss, tex_ss, frame_ss = np.random.SeedSequence(spec.seed).spawn(3)
        self.tracks: list[Track] = plan_tracks(spec, width / height, np.random.default_rng(plan_ss),
                                               end_margin_s(fps))
        tex = np.random.default_rng(tex_ss)
        self.background = draw_background(width, height, spec.night, spec.rain, tex)
        self.flood = FloodLayer(width, height, spec.night, tex) if spec.flood else None
        self.garbage = GarbageLayer(width, height, spec.night, tex) if spec.garbage else None
        self.rain = RainLayer(width, height, tex) if spec.rain else None
        noise = SensorNoise(width, height, 6.0 if spec.night else 2.5, tex)
        self.noise = noise if sensor_noise else None      # off only to inspect drawings exactly
        self.frame_rng = np.random.default_rng(frame_ss)

    def boxes_at(self, t: float) -> list[tuple[Track, tuple[float, float, float, float], float, float]]:
        """(track, unclipped float box, distance travelled in pixels, baseline) of every object in frame,
        in drawing order (far to near)."""
        out = []
        for tr in self.tracks:
            if t < tr.motion.spawn_t or t > tr.exit_t:
                continue
            cx, base, scale, dist = tr.motion.at(t)
            w = tr.length_h * scale * self.H
            h = tr.height_h * scale * self.H
            x1, x2 = cx * self.W - w / 2, cx * self.W + w / 2
            y2 = base * self.H
            box = (x1, y2 - h, x2, y2)
            if x2 <= 0 or x1 >= self.W:
                continue
            out.append((tr, box, dist * self.W, base))
        out.sort(key=lambda item: (item[3], item[0].track_id))
        return out

    def frame(self, index: int) -> tuple[np.ndarray, list[GTObject]]:
        t = index / self.fps
        spec = self.spec
        img = self.background.copy()
        if self.flood is not None:
            self.flood.apply(img, flood_level(spec.flood, t), t)
        if self.garbage is not None and garbage_present(spec.garbage, t):
            self.garbage.apply(img)
        items = self.boxes_at(t)
        shade = 0.45 if spec.night else 1.0
        for tr, box, dist, _ in items:
            self._shadow(img, box, shade)
            DRAW[tr.cls](Pen(img, box, tr.motion.direction, shade), tr.style, dist, spec.night)
        if self.rain is not None:
            self.rain.apply(img, t)
        if self.noise is not None:
            self.noise.apply(img, self.frame_rng)
        return img, self._ground_truth(items)

    def _shadow(self, img: np.ndarray, box, shade: float) -> None:
        x1, _, x2, y2 = box
        cx, w = int((x1 + x2) / 2), max(2, int((x2 - x1) * 0.47))
        h = max(1, int(self.H * 0.006))
        cv2.ellipse(img, (cx, int(y2) - h // 2), (w, h), 0, 0, 360, (40, 40, 42), -1, cv2.LINE_AA)

    def _ground_truth(self, items) -> list[GTObject]:
        if not items:
            return []
        c = OCCLUSION_CELL
        gh, gw = math.ceil(self.H / c), math.ceil(self.W / c)
        owner = np.zeros((gh, gw), np.int32)
        for k, (_, box, _, _) in enumerate(items, start=1):
            x1, y1, x2, y2 = (int(round(v / c)) for v in box)
            owner[max(0, y1):max(0, y2), max(0, x1):max(0, x2)] = k
        seen = np.bincount(owner.ravel(), minlength=len(items) + 1)
        objects = []
        for k, (tr, box, _, _) in enumerate(items, start=1):
            x1, y1, x2, y2 = box
            full = max(1, round((x2 - x1) / c) * round((y2 - y1) / c))
            cb = (max(0, math.floor(x1)), max(0, math.floor(y1)),
                  min(self.W, math.ceil(x2)), min(self.H, math.ceil(y2)))
            if cb[2] - cb[0] < 1 or cb[3] - cb[1] < 1:
                continue
            objects.append(GTObject(tr.track_id, tr.cls, cb, round(min(1.0, seen[k] / full), 3)))
        return objects


def render_frames(spec: SceneSpec, width: int, height: int, fps: float
                  ) -> Iterator[tuple[np.ndarray, list[GTObject]]]:
    """Draw the scene: yields (BGR frame, objects in it) for each of round(duration * fps) frames."""
    scene = Scene(spec, width, height, fps)
    for i in range(frame_count(spec.duration_s, fps)):
        yield scene.frame(i)
