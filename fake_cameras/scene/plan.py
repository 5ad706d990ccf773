"""Traffic plan: every object's path as a function of time, decided once from the seed.

A plan is continuous in time and independent of frame size and frame rate (only the frame's aspect
ratio matters), so a scene sampled at 10 fps and at 25 fps shows the same traffic. All objects start
and end outside the frame: the first and last frames of a clip are empty (a looping server never counts
an object twice).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from . import geometry as g
from .spec import SceneSpec

LANE_GAP_H = 0.06          # minimum bumper gap in frame heights
ENTER_AFTER_S = 0.3        # nothing is in frame before this time
LANE_CHANGE_S = 1.0        # parking: from the lane to the shoulder
BRAKE_S = 2.0
PULL_AWAY_S = 2.0

CAR_COLOURS = [  # BGR, weighted towards the white/silver/black of Indonesian traffic
    ((235, 235, 235), 5), ((190, 192, 195), 4), ((30, 30, 32), 4), ((120, 122, 125), 3),
    ((40, 40, 170), 1.5), ((150, 80, 30), 1.2), ((60, 110, 60), 0.6), ((60, 160, 210), 0.6),
    ((40, 70, 120), 0.6), ((110, 40, 40), 0.6),
]
SHIRT_COLOURS = [(200, 200, 200), (40, 40, 40), (170, 90, 40), (60, 60, 170), (50, 140, 60), (30, 140, 200),
                 (140, 60, 140), (90, 90, 90), (200, 160, 120), (40, 90, 200)]
SKIN_COLOURS = [(110, 150, 195), (90, 125, 170), (70, 100, 140), (125, 165, 210)]


@dataclass(frozen=True)
class Motion:
    """Where a track's box centre is at time t (x normalised), on which baseline and at what scale."""

    spawn_t: float
    speed: float              # normalised x per second, > 0 (direction is separate)
    direction: int
    start_x: float            # centre x at spawn_t
    baseline: float
    scale: float
    # parking: lane change at t_lc, stopped from t_stop to t_go, on the shoulder afterwards
    t_lc: float = math.inf
    t_stop: float = math.inf
    t_go: float = math.inf
    to_baseline: float = 0.0
    to_scale: float = 0.0

    def at(self, t: float) -> tuple[float, float, float, float]:
        """(centre x, baseline y, scale, distance travelled) at time t."""
        v, d = self.speed, self.direction
        if t < self.t_lc + LANE_CHANGE_S:
            dist = v * (t - self.spawn_t)
        else:
            tb = self.t_lc + LANE_CHANGE_S
            dist_b = v * (tb - self.spawn_t)
            if t < self.t_stop:
                tau = t - tb
                dist = dist_b + v * (tau - tau * tau / (2 * BRAKE_S))
            elif t < self.t_go:
                dist = dist_b + v * BRAKE_S / 2
            else:
                tau = t - self.t_go
                stop = dist_b + v * BRAKE_S / 2
                dist = stop + (v * tau * tau / (2 * PULL_AWAY_S) if tau < PULL_AWAY_S
                               else v * PULL_AWAY_S / 2 + v * (tau - PULL_AWAY_S))
        base, scale = self.baseline, self.scale
        if t > self.t_lc:
            k = min(1.0, (t - self.t_lc) / LANE_CHANGE_S)
            k = k * k * (3 - 2 * k)
            base = base + (self.to_baseline - base) * k
            scale = scale + (self.to_scale - scale) * k
        return self.start_x + d * dist, base, scale, dist


@dataclass(frozen=True)
class Track:
    track_id: int
    cls: str
    lane: str
    length_h: float            # box width in frame heights at scale 1
    height_h: float            # box height in frame heights at scale 1
    motion: Motion
    exit_t: float              # the box has left the frame by then
    style: dict = field(default_factory=dict, hash=False, compare=False)
    parked: tuple[float, float] | None = None   # (stop time, go time) for the parking vehicle


def _colour(rng: np.random.Generator, table) -> tuple[int, int, int]:
    cols, weights = zip(*table)
    w = np.asarray(weights, float)
    c = cols[int(rng.choice(len(cols), p=w / w.sum()))]
    jitter = rng.integers(-12, 13, size=3)
    return tuple(int(np.clip(a + b, 0, 255)) for a, b in zip(c, jitter))


def _pick(rng: np.random.Generator, seq):
    return seq[int(rng.integers(len(seq)))]


def make_style(cls: str, rng: np.random.Generator) -> tuple[float, float, dict]:
    """Size factors and look of one object: (length factor, height factor, style)."""
    if cls == "car":
        variant = _pick(rng, ("sedan", "hatch", "mpv", "mpv", "suv", "pickup", "angkot"))
        lf = {"sedan": 1.05, "hatch": 0.85, "mpv": 1.0, "suv": 1.0, "pickup": 1.1, "angkot": 0.95}[variant]
        hf = {"sedan": 0.9, "hatch": 0.95, "mpv": 1.12, "suv": 1.15, "pickup": 1.05, "angkot": 1.18}[variant]
        body = _colour(rng, CAR_COLOURS)
        if variant == "angkot":            # city minibus (angkot) in its route colour
            body = _pick(rng, ((30, 150, 235), (40, 180, 230), (170, 110, 30), (50, 60, 190)))
        return lf * rng.uniform(0.93, 1.07), hf * rng.uniform(0.95, 1.05), {
            "variant": variant, "body": body, "tint": int(rng.integers(25, 70)), "route": int(rng.integers(1, 20))}
    if cls == "motorcycle":
        courier = rng.random() < 0.15      # ride-hailing courier: green jacket and helmet, a delivery box
        green = (40, 150, 20)
        return rng.uniform(0.9, 1.1), rng.uniform(0.95, 1.05), {
            "body": _colour(rng, CAR_COLOURS), "shirt": green if courier else _pick(rng, SHIRT_COLOURS),
            "helmet": green if courier else _colour(rng, CAR_COLOURS), "skin": _pick(rng, SKIN_COLOURS),
            "pillion": bool(not courier and rng.random() < 0.25), "shirt2": _pick(rng, SHIRT_COLOURS),
            "box": courier}
    if cls == "bus":
        body = _pick(rng, ((180, 110, 20), (30, 120, 230), (40, 40, 190), (230, 230, 230), (60, 150, 60)))
        return rng.uniform(0.85, 1.1), rng.uniform(0.95, 1.05), {
            "body": body, "stripe": _pick(rng, SHIRT_COLOURS), "windows": int(rng.integers(6, 10))}
    if cls == "truck":
        return rng.uniform(0.85, 1.15), rng.uniform(0.9, 1.1), {
            "cab": _pick(rng, ((30, 140, 230), (200, 200, 200), (40, 40, 180), (170, 100, 40), (40, 160, 230))),
            "cargo": _pick(rng, ((190, 190, 185), (60, 90, 120), (40, 110, 60), (150, 150, 150), (70, 60, 160))),
            "box": bool(rng.random() < 0.7)}
    child = rng.random() < 0.12
    return rng.uniform(0.9, 1.1) * (0.8 if child else 1.0), rng.uniform(0.9, 1.08) * (0.7 if child else 1.0), {
        "shirt": _pick(rng, SHIRT_COLOURS), "trousers": _pick(rng, ((60, 50, 40), (120, 80, 40), (40, 40, 40),
                                                                      (150, 150, 150), (90, 60, 110))),
        "skin": _pick(rng, SKIN_COLOURS), "hair": (20, 20, 25) if rng.random() < 0.8 else (200, 200, 200),
        "hijab": bool(rng.random() < 0.3), "scarf": _pick(rng, SHIRT_COLOURS),
        "phase": float(rng.uniform(0, 2 * math.pi))}


class _LaneBook:
    """Which spawn times keep same-speed vehicles in a lane apart."""

    def __init__(self) -> None:
        self.entries: dict[str, list[tuple[float, float]]] = {}

    def free(self, lane: str, t: float, width: float, speed: float, gap: float) -> bool:
        for t0, w0 in self.entries.get(lane, []):
            if t >= t0 and t < t0 + (w0 + gap) / speed:
                return False
            if t < t0 and t0 < t + (width + gap) / speed:
                return False
        return True

    def add(self, lane: str, t: float, width: float) -> None:
        self.entries.setdefault(lane, []).append((t, width))


def plan_tracks(spec: SceneSpec, aspect: float, rng: np.random.Generator, end_margin_s: float = 1.0) -> list[Track]:
    """All tracks of a scene. ``aspect`` is width / height of the frame."""
    latest = spec.duration_s - end_margin_s
    tracks: list[Track] = []
    book = _LaneBook()
    gap = LANE_GAP_H / aspect

    def lane_motion(lane: g.Lane, t: float, w: float) -> Motion:
        speed = lane.speed_h * lane.scale / aspect
        start = -w / 2 if lane.direction > 0 else 1 + w / 2
        return Motion(t, speed, lane.direction, start, lane.baseline, lane.scale)

    if spec.parking is not None:
        tracks.append(_plan_parking(spec, aspect, rng, book, latest))

    # vehicles: Poisson arrivals, a class from the mix, the first lane with room
    classes = list(spec.class_mix)
    probs = np.array([spec.class_mix[c] for c in classes])
    t = ENTER_AFTER_S
    rate = spec.vehicles_per_min / 60.0
    while rate > 0:
        t += rng.exponential(1.0 / rate)
        if t >= latest:
            break
        cls = classes[int(rng.choice(len(classes), p=probs))]
        lf, hf, style = make_style(cls, rng)
        order = rng.permutation(len(g.LANES))
        for i in order:
            lane = g.LANES[int(i)]
            length, height = g.SIZES[cls][0] * lf, g.SIZES[cls][1] * hf
            w = length * lane.scale / aspect
            m = lane_motion(lane, t, w)
            exit_t = t + (1 + w) / m.speed
            if exit_t <= latest and book.free(lane.name, t, w, m.speed, gap):
                book.add(lane.name, t, w)
                tracks.append(Track(0, cls, lane.name, length, height, m, exit_t, style))
                break

    # pedestrians on both pavements, walking either way at their own pace
    t = ENTER_AFTER_S
    rate = spec.pedestrians_per_min / 60.0
    while rate > 0:
        t += rng.exponential(1.0 / rate)
        if t >= latest:
            break
        lf, hf, style = make_style("person", rng)
        lane = g.NEAR_PAVEMENT if rng.random() < 0.6 else g.FAR_PAVEMENT
        direction = 1 if rng.random() < 0.5 else -1
        length, height = g.SIZES["person"][0] * lf, g.SIZES["person"][1] * hf
        w = length * lane.scale / aspect
        speed = rng.uniform(0.15, 0.2) * lane.scale / aspect
        start = -w / 2 if direction > 0 else 1 + w / 2
        exit_t = t + (1 + w) / speed
        if exit_t <= latest:
            m = Motion(t, speed, direction, start, lane.baseline + rng.uniform(-0.008, 0.008), lane.scale)
            tracks.append(Track(0, "person", lane.name, length, height, m, exit_t, style))

    tracks.sort(key=lambda tr: (tr.motion.spawn_t, tr.lane))
    return [Track(i + 1, tr.cls, tr.lane, tr.length_h, tr.height_h, tr.motion, tr.exit_t, tr.style, tr.parked)
            for i, tr in enumerate(tracks)]


def _plan_parking(spec: SceneSpec, aspect: float, rng: np.random.Generator, book: _LaneBook,
                  latest: float) -> Track:
    p = spec.parking
    assert p is not None
    lane, shoulder = g.LANES[-1], g.SHOULDER
    lf, hf, style = make_style(p.cls, rng)
    length, height = g.SIZES[p.cls][0] * lf, g.SIZES[p.cls][1] * hf
    w = length * lane.scale / aspect
    speed = lane.speed_h * lane.scale / aspect
    zx1, _, zx2, _ = g.NO_PARKING_ZONE
    stop_x = (zx1 + zx2) / 2
    # distance from spawn (centre at -w/2) to the stop: constant speed, lane change, then braking
    run_in = stop_x + w / 2 - speed * BRAKE_S / 2
    t_in = run_in / speed + BRAKE_S                       # spawn -> stopped
    run_out = 1 + w / 2 - stop_x - speed * PULL_AWAY_S / 2
    t_out = PULL_AWAY_S + run_out / speed                 # go -> out of frame
    total = t_in + p.dwell_s + t_out
    lo, hi = ENTER_AFTER_S, latest - total
    if hi < lo:
        raise ValueError(f"parking: dwell_s={p.dwell_s} does not fit a {spec.duration_s:g} s clip "
                         f"(drive in, stop and drive out take {total + ENTER_AFTER_S + 1:.1f} s)")
    if p.arrive_s is None:
        spawn = float(rng.uniform(lo, lo + 0.3 * (hi - lo)))
    elif lo <= p.arrive_s <= hi:
        spawn = p.arrive_s
    else:
        raise ValueError(f"parking.arrive_s={p.arrive_s} must lie in [{lo:.1f}, {hi:.1f}] for this clip")
    t_lc = spawn + run_in / speed - LANE_CHANGE_S
    t_stop = spawn + t_in
    t_go = t_stop + p.dwell_s
    m = Motion(spawn, speed, 1, -w / 2, lane.baseline, lane.scale, t_lc, t_stop, t_go,
               shoulder.baseline, shoulder.scale)
    book.add(lane.name, spawn, w)
    return Track(0, p.cls, "shoulder", length, height, m, t_go + t_out, style, parked=(t_stop, t_go))
