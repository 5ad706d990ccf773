"""Side views of vehicles and people drawn with OpenCV primitives inside a given box.

Every drawing stays inside its box (x1, y1, x2, y2 in pixels), so the box is the object's ground truth.
Shapes are defined on a unit square (u: rear 0 .. front 1, v: top 0 .. bottom 1) and mirrored for
objects facing left. ``shade`` dims colours (night); ``lights`` draws head- and tail-lights.
"""
from __future__ import annotations

import math

import cv2
import numpy as np

AA = cv2.LINE_AA
TYRE = (28, 28, 30)
HUB = (150, 150, 155)
GLASS = (70, 55, 40)


class Pen:
    """Maps unit-square coordinates of one object to pixels and draws with a shade factor."""

    def __init__(self, img: np.ndarray, box: tuple[float, float, float, float], facing: int, shade: float):
        self.img = img
        self.x1, self.y1, self.x2, self.y2 = box
        self.w = self.x2 - self.x1
        self.h = self.y2 - self.y1
        self.facing = facing
        self.shade = shade

    def pt(self, u: float, v: float) -> tuple[int, int]:
        if self.facing < 0:
            u = 1.0 - u
        return int(round(self.x1 + u * (self.w - 1))), int(round(self.y1 + v * (self.h - 1)))

    def col(self, c, bright: bool = False) -> tuple[int, int, int]:
        k = 1.0 if bright else self.shade
        return tuple(int(min(255, x * k)) for x in c)

    def poly(self, pts, colour, bright: bool = False) -> None:
        arr = np.array([self.pt(u, v) for u, v in pts], np.int32)
        cv2.fillPoly(self.img, [arr], self.col(colour, bright), AA)

    def rect(self, u1, v1, u2, v2, colour, bright: bool = False) -> None:
        self.poly([(u1, v1), (u2, v1), (u2, v2), (u1, v2)], colour, bright)

    def line(self, u1, v1, u2, v2, colour, thick_frac: float = 0.02) -> None:
        t = max(1, int(round(thick_frac * self.h)))
        cv2.line(self.img, self.pt(u1, v1), self.pt(u2, v2), self.col(colour), t, AA)

    def circle(self, u, v, r_frac_h: float, colour, bright: bool = False) -> None:
        r = max(1, int(round(r_frac_h * self.h)))
        cv2.circle(self.img, self.pt(u, v), r, self.col(colour, bright), -1, AA)

    def wheel(self, u: float, r_frac_h: float, angle: float) -> None:
        """A wheel touching the bottom of the box; ``angle`` turns its spokes."""
        r = max(2.0, r_frac_h * self.h)
        cx, _ = self.pt(u, 0)
        cy = int(round(self.y2 - 1 - r))
        ri = int(round(r))
        cv2.circle(self.img, (cx, cy), ri, self.col(TYRE), -1, AA)
        cv2.circle(self.img, (cx, cy), max(1, int(r * 0.55)), self.col(HUB), -1, AA)
        if r >= 5:
            for k in range(3):
                a = angle + k * 2 * math.pi / 3
                cv2.line(self.img, (cx, cy), (int(cx + r * 0.5 * math.cos(a)), int(cy + r * 0.5 * math.sin(a))),
                         self.col((70, 70, 75)), 1, AA)


def _lighter(c, k: float = 1.25):
    return tuple(int(min(255, x * k + 12)) for x in c)


def _darker(c, k: float = 0.6):
    return tuple(int(x * k) for x in c)


CAR_CABINS = {  # (rear bottom u, rear top u, front top u, front bottom u, cabin top v) of the glasshouse
    "sedan": (0.22, 0.32, 0.62, 0.74, 0.0),
    "hatch": (0.06, 0.10, 0.62, 0.76, 0.0),
    "mpv": (0.04, 0.06, 0.70, 0.80, 0.0),
    "suv": (0.04, 0.05, 0.72, 0.80, 0.0),
    "pickup": (0.40, 0.42, 0.70, 0.80, 0.0),
    "angkot": (0.02, 0.02, 0.76, 0.84, 0.0),
}


def draw_car(pen: Pen, style: dict, dist_px: float, lights: bool) -> None:
    body = style["body"]
    rb, rt, ft, fb, _ = CAR_CABINS[style["variant"]]
    belt = 0.45                                   # where glass meets the body
    wr = 0.21                                     # wheel radius in box heights
    # body: a rounded slab from the belt line to just above the road
    pen.poly([(0.0, belt + 0.05), (0.03, belt - 0.02), (rb, belt - 0.02), (fb, belt - 0.02),
              (0.97, belt + 0.06), (1.0, belt + 0.14), (1.0, 0.80), (0.97, 0.86), (0.03, 0.86), (0.0, 0.80)], body)
    if style["variant"] == "pickup":
        pen.rect(0.02, belt - 0.02, rb, belt + 0.06, _darker(body, 0.75))
    # glasshouse: roof in body colour, tinted windows inside, one pillar
    pen.poly([(rb, belt), (rt, 0.0), (ft, 0.0), (fb, belt)], body)
    pen.line(rt, 0.01, ft, 0.01, _darker(body, 0.55), 0.03)                # roof gutter
    g = tuple(int(x * (1 - style["tint"] / 100) + 25) for x in GLASS)
    pen.poly([(rb + 0.03, belt - 0.02), (rt + 0.03, 0.09), (ft - 0.02, 0.09), (fb - 0.04, belt - 0.02)], g)
    mid = (rt + ft) / 2
    pen.line(mid, 0.07, mid - 0.02, belt, body, 0.06)
    pen.line(rt + 0.06, 0.12, rt + 0.14, 0.3, _lighter(g, 1.6), 0.03)      # reflection
    # shading and details
    pen.line(0.02, belt + 0.08, 0.98, belt + 0.08, _lighter(body), 0.04)
    pen.rect(0.04, 0.74, 0.96, 0.84, _darker(body))
    pen.line(mid - 0.02, belt + 0.02, mid - 0.03, 0.74, _darker(body, 0.5), 0.02)
    pen.line(mid + 0.12, belt + 0.22, mid + 0.18, belt + 0.22, _darker(body, 0.4), 0.03)  # handle
    pen.rect(0.955, belt + 0.12, 1.0, belt + 0.24, (210, 235, 250) if lights else (200, 210, 215), lights)
    pen.rect(0.0, belt + 0.10, 0.03, belt + 0.24, (40, 40, 230) if lights else (40, 40, 160), lights)
    if style["variant"] == "angkot":                                       # open side door, route number
        pen.rect(0.20, 0.12, 0.36, 0.74, (35, 35, 35))
        pen.line(0.0, belt + 0.05, 1.0, belt + 0.05, (235, 235, 235), 0.05)
        if pen.h >= 24:
            org = pen.pt(0.45 if pen.facing > 0 else 0.62, belt + 0.34)
            cv2.putText(pen.img, str(style["route"]), org, cv2.FONT_HERSHEY_SIMPLEX, pen.h / 110,
                        pen.col((250, 250, 250)), max(1, int(pen.h / 40)), AA)
    for u in (0.18, 0.80):
        pen.circle(u, 1 - wr, wr * 1.15, _darker(body, 0.3))            # wheel arch
        pen.wheel(u, wr, dist_px / max(1.0, wr * pen.h))


def draw_motorcycle(pen: Pen, style: dict, dist_px: float, lights: bool) -> None:
    wr = 0.17
    ang = dist_px / max(1.0, wr * pen.h)
    pen.wheel(0.17, wr, ang)
    pen.wheel(0.83, wr, ang)
    body = style["body"]
    pen.line(0.17, 1 - wr, 0.48, 0.66, (60, 60, 65), 0.05)               # swing arm
    pen.line(0.83, 1 - wr, 0.74, 0.50, (150, 150, 155), 0.04)            # fork
    pen.poly([(0.30, 0.62), (0.72, 0.58), (0.78, 0.68), (0.55, 0.80), (0.32, 0.76)], body)   # body panel
    pen.poly([(0.22, 0.56), (0.52, 0.54), (0.52, 0.60), (0.24, 0.62)], (35, 35, 35))        # seat
    pen.rect(0.30, 0.78, 0.56, 0.83, (90, 90, 95))                          # engine/footboard
    pen.line(0.70, 0.44, 0.80, 0.40, (40, 40, 40), 0.04)                    # handlebar
    pen.rect(0.86, 0.54, 0.93, 0.60, (210, 235, 250) if lights else (190, 200, 205), lights)
    pen.rect(0.10, 0.56, 0.16, 0.61, (40, 40, 230) if lights else (40, 40, 150), lights)

    def rider(u0: float, shirt, helmet) -> None:
        pen.poly([(u0 - 0.02, 0.56), (u0 + 0.20, 0.58), (u0 + 0.22, 0.78), (u0 + 0.16, 0.80), (u0 + 0.10, 0.62)],
                 (55, 50, 45))                                              # thigh and shin
        pen.poly([(u0 - 0.04, 0.56), (u0 + 0.02, 0.22), (u0 + 0.18, 0.22), (u0 + 0.14, 0.56)], shirt)
        pen.line(u0 + 0.12, 0.28, u0 + 0.34, 0.42, _darker(shirt, 0.8), 0.07)   # arm
        pen.circle(u0 + 0.11, 0.12, 0.11, helmet)
        r = max(1, int(round(0.11 * pen.h)))
        cv2.circle(pen.img, pen.pt(u0 + 0.11, 0.12), r, pen.col(_darker(helmet, 0.45)), 1, AA)
        pen.rect(u0 + 0.14, 0.09, u0 + 0.21, 0.16, (60, 50, 45))          # visor

    if style["pillion"]:
        rider(0.18, style["shirt2"], style["body"])
    if style["box"]:                                                        # delivery box behind the rider
        pen.rect(0.02, 0.20, 0.30, 0.54, (40, 140, 25))
        pen.line(0.04, 0.30, 0.28, 0.30, (230, 230, 230), 0.03)
    rider(0.38, style["shirt"], style["helmet"])


def draw_bus(pen: Pen, style: dict, dist_px: float, lights: bool) -> None:
    body = style["body"]
    pen.poly([(0.0, 0.04), (0.01, 0.0), (0.99, 0.0), (1.0, 0.05), (1.0, 0.86), (0.0, 0.86)], body)
    pen.rect(0.0, 0.58, 1.0, 0.66, style["stripe"])
    n = style["windows"]
    span = 0.82 / n
    for i in range(n):
        u = 0.04 + i * span
        pen.rect(u, 0.14, u + span * 0.86, 0.46, _lighter(GLASS, 1.1))
        pen.line(u + span * 0.1, 0.18, u + span * 0.3, 0.40, (120, 110, 100), 0.015)
    pen.rect(0.90, 0.08, 0.995, 0.55, (80, 70, 60))                        # windscreen
    pen.rect(0.905, 0.02, 0.99, 0.07, (40, 140, 230), lights)               # route sign
    pen.rect(0.80, 0.50, 0.87, 0.84, _darker(body, 0.55))                   # door
    pen.rect(0.0, 0.80, 1.0, 0.86, _darker(body, 0.5))
    pen.rect(0.975, 0.66, 1.0, 0.74, (210, 235, 250) if lights else (200, 210, 215), lights)
    pen.rect(0.0, 0.62, 0.015, 0.74, (40, 40, 230) if lights else (40, 40, 160), lights)
    ang = dist_px / max(1.0, 0.14 * pen.h)
    for u in (0.13, 0.24, 0.83):
        pen.wheel(u, 0.14, ang)


def draw_truck(pen: Pen, style: dict, dist_px: float, lights: bool) -> None:
    cab, cargo = style["cab"], style["cargo"]
    pen.rect(0.0, 0.74, 1.0, 0.82, (45, 45, 48))                            # chassis
    if style["box"]:
        pen.rect(0.0, 0.0, 0.72, 0.76, cargo)
        pen.line(0.0, 0.015, 0.72, 0.015, _darker(cargo, 0.5), 0.03)
        pen.line(0.0, 0.06, 0.72, 0.06, _lighter(cargo), 0.02)
        for u in (0.18, 0.36, 0.54):
            pen.line(u, 0.05, u, 0.72, _darker(cargo, 0.8), 0.015)
    else:                                                                   # open bed with a load
        pen.rect(0.0, 0.45, 0.72, 0.76, cargo)
        pen.poly([(0.04, 0.45), (0.15, 0.28), (0.55, 0.26), (0.68, 0.45)], (60, 110, 150))
        pen.line(0.0, 0.55, 0.72, 0.55, _darker(cargo, 0.7), 0.02)
    top = 0.0 if not style["box"] else 0.10
    pen.poly([(0.74, 0.82), (0.74, top), (0.90, top), (0.98, 0.36), (1.0, 0.40), (1.0, 0.82)], cab)
    pen.line(0.74, top + 0.01, 0.90, top + 0.01, _darker(cab, 0.5), 0.03)
    pen.poly([(0.77, top + 0.06), (0.89, top + 0.06), (0.955, 0.38), (0.77, 0.38)], GLASS)
    pen.rect(0.975, 0.56, 1.0, 0.64, (210, 235, 250) if lights else (190, 200, 205), lights)
    pen.rect(0.0, 0.66, 0.015, 0.74, (40, 40, 230) if lights else (40, 40, 160), lights)
    ang = dist_px / max(1.0, 0.17 * pen.h)
    for u in (0.12, 0.24, 0.86):
        pen.wheel(u, 0.17, ang)


def draw_person(pen: Pen, style: dict, dist_px: float, lights: bool) -> None:
    step = math.sin(style["phase"] + dist_px / max(1.0, 0.18 * pen.h))
    sw = 0.30 * step
    trousers, shirt = style["trousers"], style["shirt"]
    # legs swing from the hip; the box is the stride's extent
    pen.line(0.5, 0.55, 0.5 + sw, 0.97, trousers, 0.07)
    pen.line(0.5, 0.55, 0.5 - sw, 0.97, _darker(trousers, 0.8), 0.07)
    pen.line(0.5 + sw, 0.97, 0.5 + sw + 0.12, 0.99, (30, 30, 30), 0.03)     # shoes
    pen.line(0.5 - sw, 0.97, 0.5 - sw + 0.12, 0.99, (30, 30, 30), 0.03)
    pen.poly([(0.0, 0.22), (1.0, 0.22), (0.88, 0.58), (0.12, 0.58)], shirt)  # shoulders to waist
    pen.line(0.5, 0.26, 0.5 - sw * 0.8, 0.52, _darker(shirt, 0.8), 0.06)    # arm
    pen.circle(0.5, 0.10, 0.09, style["skin"])
    if style["hijab"]:
        pen.poly([(0.18, 0.02), (0.82, 0.02), (0.95, 0.26), (0.05, 0.26)], style["scarf"])
        pen.rect(0.42, 0.07, 0.68, 0.15, style["skin"])
    else:
        pen.rect(0.28, 0.0, 0.72, 0.05, style["hair"])


DRAW = {"car": draw_car, "motorcycle": draw_motorcycle, "bus": draw_bus, "truck": draw_truck,
        "person": draw_person}
