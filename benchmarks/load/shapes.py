"""Load curves: ``tick(t) -> (users, spawn_rate) | None`` as pure functions of the run time (the
locustfile wraps the chosen one in a Locust ``LoadTestShape``; this module does not import Locust, so
importing it never monkey-patches the caller with gevent).

- step: a staircase of users, to find the knee;
- diurnal: a Semarang day compressed in time, low at night, a morning bump and the evening peak;
- spike: base load, then many citizens at once (a demonstration on Jalan Pahlawan, a flood), then base.
"""
from __future__ import annotations

import math

from benchmarks.load.config import DiurnalShapeConfig, SpikeShapeConfig, StepShapeConfig

Tick = tuple[int, float] | None


def step_tick(c: StepShapeConfig, t: float) -> Tick:
    k = int(t // c.step_s)
    if k >= c.steps:
        return None
    return c.start_users + k * c.step_users, float(max(c.step_users, c.start_users))


def diurnal_level(hour: float, peak_hour: float = 19.5, night_share: float = 0.05) -> float:
    """Share of the peak at a local hour: night trough at 03:00, a morning bump at 08:00,
    a broad day, and the evening peak (when people are home and watch traffic, rain and floods)."""
    def bump(centre: float, width: float) -> float:
        d = min(abs(hour - centre), 24 - abs(hour - centre))
        return math.exp(-0.5 * (d / width) ** 2)
    day = 0.45 * bump(13.0, 4.0) + 0.35 * bump(8.0, 1.2) + 1.0 * bump(peak_hour, 1.8)
    return min(1.0, night_share + (1 - night_share) * min(day, 1.0))


def diurnal_tick(c: DiurnalShapeConfig, t: float) -> Tick:
    if t >= c.day_s:
        return None
    hour = 24.0 * t / c.day_s
    users = max(1, round(c.peak_users * diurnal_level(hour, c.peak_hour, c.night_share)))
    return users, max(1.0, c.peak_users / (c.day_s / 24.0))   # reach the peak within one compressed hour


def spike_tick(c: SpikeShapeConfig, t: float) -> Tick:
    end = c.spike_at_s + c.spike_s
    if t >= end + c.after_s:
        return None
    if c.spike_at_s <= t < end:
        return c.spike_users, c.spawn_rate
    return c.base_users, c.spawn_rate


def shape_duration(name: str, cfg) -> float:
    if name == "step":
        return cfg.step.step_s * cfg.step.steps
    if name == "diurnal":
        return cfg.diurnal.day_s
    if name == "spike":
        return cfg.spike.spike_at_s + cfg.spike.spike_s + cfg.spike.after_s
    return cfg.run_time_s


TICKS = {"step": lambda cfg, t: step_tick(cfg.step, t),
         "diurnal": lambda cfg, t: diurnal_tick(cfg.diurnal, t),
         "spike": lambda cfg, t: spike_tick(cfg.spike, t)}
