"""The static layer of a scene (sky, shop-houses, pavements, road markings), drawn once per frame size."""
from __future__ import annotations

import cv2
import numpy as np

from . import geometry as g

AA = cv2.LINE_AA


def _noise(rng: np.random.Generator, h: int, w: int, sigma: float, blur: int) -> np.ndarray:
    n = rng.normal(0.0, sigma, size=(h, w)).astype(np.float32)
    if blur > 1:
        n = cv2.GaussianBlur(n, (0, 0), blur / 2)
        n *= sigma / max(1e-3, float(n.std()))
    return n


def draw_background(width: int, height: int, night: bool, rain: bool, rng: np.random.Generator) -> np.ndarray:
    """A BGR background of the street; ``rng`` decides buildings, colours and textures."""
    W, H = width, height
    img = np.zeros((H, W, 3), np.float32)
    ys = np.arange(H, dtype=np.float32)[:, None] / H

    def band(y1: float, y2: float) -> slice:
        return slice(int(round(y1 * H)), int(round(y2 * H)))

    # sky: a vertical gradient
    sky_top, sky_bot = np.array([215, 175, 120], np.float32), np.array([235, 215, 190], np.float32)
    if rain:
        sky_top, sky_bot = np.array([150, 145, 140], np.float32), np.array([175, 172, 168], np.float32)
    k = np.clip(ys / g.FAR_PAVEMENT_TOP, 0, 1)[..., None]
    img[:] = sky_top * (1 - k) + sky_bot * k

    # shop-houses (ruko): blocks of varied height and colour with windows, shutters and signs
    x = 0
    lit = []
    walls = [(200, 215, 225), (170, 190, 205), (150, 170, 150), (210, 200, 180), (120, 150, 190), (200, 190, 200)]
    while x < W:
        bw = int(W * rng.uniform(0.08, 0.16))
        top = int(H * rng.uniform(0.04, 0.16))
        bot = int(g.FAR_PAVEMENT_TOP * H)
        wall = np.array(walls[int(rng.integers(len(walls)))], np.float32) * rng.uniform(0.85, 1.05)
        img[top:bot, x:x + bw] = wall
        img[top:top + max(1, H // 90), x:x + bw] *= 0.7                       # roof edge
        rows = max(1, int((bot - top) / (H * 0.07)))
        for r in range(rows - 1):
            wy = top + int((r + 0.3) * (bot - top) / rows)
            for c in range(3):
                wx = x + int(bw * (0.12 + c * 0.3))
                wwin, hwin = max(2, int(bw * 0.18)), max(2, int(H * 0.028))
                img[wy:wy + hwin, wx:wx + wwin] = (70, 60, 55)
                if rng.random() < 0.45:
                    lit.append((wy, wx, hwin, wwin))
        # ground floor: a shutter or an open shop and a sign board
        sy = bot - int(H * 0.07)
        img[sy:bot, x + bw // 10:x + bw - bw // 10] = (110, 110, 115) if rng.random() < 0.5 else (60, 75, 90)
        sign = np.array([(40, 40, 200), (200, 120, 30), (30, 160, 220), (60, 150, 60)][int(rng.integers(4))],
                        np.float32)
        img[sy - int(H * 0.03):sy - int(H * 0.008), x + bw // 8:x + bw - bw // 8] = sign
        img[top:bot, x + bw - 1:x + bw] *= 0.6
        x += bw

    # far pavement, road, shoulder, kerb and near pavement
    img[band(g.FAR_PAVEMENT_TOP, g.ROAD_TOP)] = (150, 155, 160)
    img[band(g.ROAD_TOP - 0.006, g.ROAD_TOP)] = (185, 190, 195)            # kerb
    road = band(g.ROAD_TOP, g.ROAD_BOTTOM)
    img[road] = (92, 94, 96)
    k = ((ys[road] - g.ROAD_TOP) / (g.ROAD_BOTTOM - g.ROAD_TOP))[..., None]
    img[road] *= (1.08 - 0.12 * k)
    img[band(g.ROAD_BOTTOM, g.ROAD_BOTTOM + 0.008)] = (190, 195, 200)      # kerb
    pave = band(g.ROAD_BOTTOM + 0.008, 1.0)
    img[pave] = (160, 170, 175)
    tile = max(4, H // 18)
    img[pave][:, ::tile] *= 0.8
    pave_rows = np.arange(pave.start, pave.stop)
    img[pave_rows[(pave_rows - pave.start) % max(3, tile // 2) == 0]] *= 0.85

    # texture: blotchy asphalt and grain everywhere
    img += _noise(rng, H, W, 6.0, max(2, H // 150))[..., None]
    img += _noise(rng, H, W, 4.0, 1)[..., None]

    # each camera sees the street a little differently: exposure and white balance
    img *= rng.uniform(0.88, 1.1) * rng.uniform(0.95, 1.05, size=3).astype(np.float32)
    out = np.clip(img, 0, 255).astype(np.uint8)
    _markings(out, W, H, night)
    # lamp posts on the far pavement
    for lx in np.linspace(0.12, 0.92, 4):
        px = int(lx * W)
        base = int(g.ROAD_TOP * H)
        top = int(0.12 * H)
        cv2.line(out, (px, base), (px, top), (70, 70, 75), max(1, W // 400), AA)
        cv2.line(out, (px, top), (px + W // 40, top), (70, 70, 75), max(1, W // 400), AA)

    if night:
        out = _to_night(out, W, H, lit)
    if rain:
        out = cv2.addWeighted(out, 0.82, np.full_like(out, 150), 0.18, 0)
    return out


def _markings(img: np.ndarray, W: int, H: int, night: bool) -> None:
    white = (225, 228, 230)
    thick = max(1, H // 160)
    centre = (g.LANES[1].baseline + g.LANES[2].baseline) / 2 + 0.005
    cv2.line(img, (0, int(centre * H)), (W, int(centre * H)), white, thick * 2, AA)
    for a, b in ((g.LANES[0], g.LANES[1]), (g.LANES[2], g.LANES[3])):
        y = int(((a.baseline + b.baseline) / 2 + 0.005) * H)
        dash = max(4, W // 24)
        for x in range(0, W, dash * 2):
            cv2.line(img, (x, y), (x + dash, y), white, thick, AA)
    edge = int((g.LANES[3].baseline + 0.014) * H)
    cv2.line(img, (0, edge), (W, edge), white, thick, AA)
    # the no-parking zone: yellow box with hatching
    x1, y1, x2, y2 = g.NO_PARKING_ZONE
    p1, p2 = (int(x1 * W), int(y1 * H)), (int(x2 * W), int(y2 * H) - 1)
    yellow = (20, 200, 235)
    zone = img[p1[1]:p2[1], p1[0]:p2[0]]
    hatch = np.zeros_like(zone)
    step = max(6, W // 60)
    for x in range(-zone.shape[0], zone.shape[1], step):
        cv2.line(hatch, (x, zone.shape[0]), (x + zone.shape[0], 0), yellow, thick, AA)
    mask = hatch.any(axis=2)
    zone[mask] = hatch[mask]
    cv2.rectangle(img, p1, p2, yellow, thick, AA)


def _to_night(img: np.ndarray, W: int, H: int, lit: list) -> np.ndarray:
    f = img.astype(np.float32) * np.array([0.30, 0.22, 0.20], np.float32)
    yy, xx = np.mgrid[0:H, 0:W].astype(np.float32)
    glow = np.zeros((H, W), np.float32)
    for lx in np.linspace(0.12, 0.92, 4):
        cx, cy = lx * W, 0.55 * H
        glow += np.exp(-(((xx - cx) / (0.12 * W)) ** 2 + ((yy - cy) / (0.30 * H)) ** 2))
    f += glow[..., None] * np.array([40, 90, 120], np.float32)
    for wy, wx, hh, ww in lit:
        f[wy:wy + hh, wx:wx + ww] = (90, 190, 230)
    for lx in np.linspace(0.12, 0.92, 4):
        cv2.circle(f, (int(lx * W + W // 40), int(0.12 * H)), max(2, H // 100), (200, 240, 255), -1, AA)
    return np.clip(f, 0, 255).astype(np.uint8)
