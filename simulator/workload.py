"""What the city asks of the system at a given hour: cameras online per class, analytic rates, viewers.

Reads the scenario's ``cameras:`` section (as plain data: classes, counts, profiles) and its
``simulation:`` section; profiles by name come from ``common.profiles.PROFILES`` (pure data). ``Workload`` is
the flat, frozen input of
both models; ``scaled`` multiplies one axis (cameras, analytic fps, viewers) for knee searches.
"""
from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
from pydantic import ValidationError

from common.errors import InputError
from common.profiles import UnknownProfileError, get_profile
from common.vocabulary import Axis
from simulator.config import SimCameras, SimulationConfig

AXES = tuple(Axis)          # the run's axes; the simulator's old name ``analytic_fps`` is read as ``sampling_fps``


@dataclass(frozen=True)
class CameraLoad:
    name: str
    group: str
    online: int                 # cameras online in the simulated hour
    recorded: int               # cameras recorded all day: count x online_share
    width: int
    height: int
    fps: float
    bitrate_kbps: float
    gop: int
    codec: str
    sample_every: int           # analytics take every Nth decoded frame (0: no analytics)
    mean_kbps: float | None = None   # bitrate averaged over the day (night hours at the night bitrate)
    retention_days: float | None = None   # days this class's recordings are kept (None: the scenario's)

    @property
    def day_mean_kbps(self) -> float:
        return self.mean_kbps if self.mean_kbps is not None else self.bitrate_kbps

    @property
    def analytic_fps(self) -> float:
        return self.fps / self.sample_every if self.sample_every else 0.0


@dataclass(frozen=True)
class Workload:
    classes: tuple[CameraLoad, ...]
    hour: int
    duration_s: float
    viewers: np.ndarray         # concurrent viewers per minute of the simulated window
    watched_kbps: float
    config: SimulationConfig

    @property
    def cameras_online(self) -> int:
        return sum(c.online for c in self.classes)

    @property
    def ingest_bps(self) -> float:
        return sum(c.online * c.bitrate_kbps * 1000.0 for c in self.classes)

    def window(self, seconds: float) -> "Workload":
        """The same hour, simulated for at most ``seconds`` (for searches that probe many loads)."""
        minutes = max(1, int(math.ceil(min(seconds, self.duration_s) / 60.0)))
        return replace(self, duration_s=min(seconds, self.duration_s), viewers=self.viewers[:minutes])

    def scaled(self, axis: Axis | str, factor: float) -> "Workload":
        axis = parse_axis(axis)
        if axis == Axis.CAMERAS:
            return replace(self, classes=tuple(replace(c, online=int(round(c.online * factor)),
                                                       recorded=int(round(c.recorded * factor)))
                                               for c in self.classes))
        if axis == Axis.SAMPLING_FPS:
            out = []
            for c in self.classes:
                if not c.sample_every:
                    out.append(c)
                    continue
                fa = c.analytic_fps * factor
                out.append(replace(c, sample_every=max(1, int(round(c.fps / fa))) if fa > 0 else 0))
            return replace(self, classes=tuple(out))
        return replace(self, viewers=self.viewers * factor)


def parse_axis(axis: Axis | str) -> Axis:
    """An axis by name (old names upgraded); an unknown one is an ``InputError`` naming it."""
    try:
        return Axis.parse(axis)
    except ValueError as e:
        raise InputError(str(e), where="knee axis") from None


def _profile(raw: Any, where: str) -> dict[str, Any]:
    if hasattr(raw, "model_dump"):
        return raw.model_dump()
    if isinstance(raw, dict):
        return raw
    try:
        return get_profile(raw).model_dump()
    except UnknownProfileError as exc:
        raise InputError(str(exc), where=where) from None


def named_profile(name: str) -> dict[str, Any]:
    """A camera profile's fields by name (width, height, fps, bitrate_kbps, gop, codec)."""
    return _profile(name, where="camera profile")


def camera_classes(cameras: SimCameras | Mapping[str, Any] | None) -> list[dict[str, Any]]:
    """The ``cameras.classes`` of a scenario as plain dicts (a mapping is validated first)."""
    if not cameras or (isinstance(cameras, Mapping) and not cameras.get("classes")):
        raise InputError("the scenario has no camera classes", where="cameras.classes")
    if isinstance(cameras, Mapping):
        try:
            cameras = SimCameras.model_validate(dict(cameras))
        except ValidationError as e:
            first = e.errors()[0]
            raise InputError(first["msg"], where="cameras." + ".".join(str(p) for p in first["loc"])) from None
    return cameras.model_dump()["classes"]


def sample_every(fps: float, analytic_fps: float) -> int:
    """Analytics take every Nth frame; N rounds fps / analytic_fps (0 when analytics are off)."""
    if analytic_fps <= 0:
        return 0
    return max(1, int(round(fps / analytic_fps)))


def peak_hour(cfg: SimulationConfig) -> int:
    return int(np.argmax(cfg.viewers.hourly_share))


def is_night(hour: int, start: float, end: float) -> bool:
    """Whether the hour [hour, hour+1) starts in the night from ``start`` to ``end`` (wrapping midnight)."""
    return (hour >= start or hour < end) if start > end else (start <= hour < end)


def night_bitrate(cfg: SimulationConfig, hour: int) -> tuple[float, float]:
    """(bitrate factor of this hour, mean factor over the day) from the catalogue's night inputs."""
    from simulator.hardware import cached_catalogue
    cat = cached_catalogue(cfg.catalogue)
    f = cat.input("night_bitrate_factor", cfg.model_inputs)
    start, end = (cat.input(k, cfg.model_inputs) for k in ("night_start_hour", "night_end_hour"))
    night = [is_night(h, start, end) for h in range(24)]
    return (f if night[hour] else 1.0), (f * sum(night) + (24 - sum(night))) / 24.0


def build_workload(cameras: SimCameras | Mapping[str, Any], cfg: SimulationConfig,
                   hour: int | None = None) -> Workload:
    hour = cfg.hour if hour is None else hour
    hour = peak_hour(cfg) if hour is None else hour
    avail = cfg.availability_by_hour[hour] if cfg.availability_by_hour else 1.0
    factor, mean_factor = night_bitrate(cfg, hour)
    loads = []
    for i, cls in enumerate(camera_classes(cameras)):
        where = f"cameras.classes[{i}].profile"
        p = _profile(cls["profile"], where)
        fa = cfg.analytic_fps.get(cls["name"], cfg.default_analytic_fps)
        online = int(math.floor(cls["count"] * cls.get("online_share", 1.0) * avail + 0.5))
        recorded = int(math.floor(cls["count"] * cls.get("online_share", 1.0) + 0.5))
        kbps = float(p["bitrate_kbps"])
        loads.append(CameraLoad(cls["name"], cls.get("group", ""), online, recorded, p["width"], p["height"],
                                float(p["fps"]), kbps * factor, int(p["gop"]), p.get("codec", "h264"),
                                sample_every(float(p["fps"]), fa), kbps * mean_factor,
                                cfg.storage.retention_days_by_class.get(cls["name"])))
    names = {c.name for c in loads}
    for where, named in (("simulation.analytic_fps", cfg.analytic_fps),
                         ("simulation.storage.retention_days_by_class", cfg.storage.retention_days_by_class),
                         ("simulation.decode_placement", cfg.decode_placement),
                         ("simulation.network.sites", cfg.network.sites)):
        unknown = set(named) - names
        if unknown:
            raise InputError(f"names classes that do not exist: {', '.join(sorted(unknown))} "
                             f"(classes: {', '.join(sorted(names))})", where=where)
    minutes = max(1, int(math.ceil(cfg.duration_s / 60.0)))
    share = cfg.viewers.hourly_share[hour]
    viewers = np.full(minutes, cfg.viewers.peak_concurrent * share, dtype=float)
    t_min = hour * 60.0 + np.arange(minutes)
    for spike in cfg.spikes:
        start = spike.start_hour * 60.0
        inside = (t_min >= start) & (t_min < start + spike.duration_min)
        viewers[inside] *= spike.viewer_multiplier
    online = sum(c.online for c in loads)
    watched = cfg.viewers.watched_bitrate_kbps or (
        sum(c.online * c.bitrate_kbps for c in loads) / online if online else 0.0)
    return Workload(tuple(loads), hour, cfg.duration_s, viewers, watched, cfg)


def spike_hour(cfg: SimulationConfig) -> int | None:
    """The hour whose viewers (with spikes) are highest, if a spike lifts it above the plain peak."""
    best, best_v = None, cfg.viewers.peak_concurrent * max(cfg.viewers.hourly_share)
    for s in cfg.spikes:
        h = int(s.start_hour)
        v = cfg.viewers.peak_concurrent * cfg.viewers.hourly_share[h] * s.viewer_multiplier
        if v > best_v:
            best, best_v = h, v
    return best
