"""Reading an external system's health: Prometheus text endpoints and HTTP JSON APIs -> one snapshot.

Each scrape reads every declared source and maps what the scenario names to the run's quantities
(``config.CAMERA_QUANTITIES`` per camera, ``config.SYSTEM_QUANTITIES`` for the system). Prometheus text
is parsed with ``prometheus_client``'s parser. A per-camera sample belongs to the camera whose id (or
RTSP URL) its camera label holds; several samples of one camera and quantity are summed (``lag_s``:
the largest), system quantities are summed over the matching samples. A histogram mapped to ``lag_s``
is kept as its cumulative buckets, so a trial's p95 comes from the buckets' growth over the trial.

Errors say what to fix: an endpoint that does not answer names its URL and YAML path; a mapped metric
or field the endpoint does not serve names the closest ones it does.
"""
from __future__ import annotations

import difflib
import json
import logging
import time
import urllib.error
import urllib.request
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from prometheus_client.parser import text_string_to_metric_families

from benchmarks.external.config import (
    CAMERA_QUANTITIES,
    HealthConfig,
    JsonSource,
    PrometheusSource,
    PromMetric,
)
from common.errors import InputError, ResourceError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class HealthSnapshot:
    """What the system reported at one moment (``t``: monotonic seconds)."""

    t: float
    cameras: dict[str, dict[str, float]] = field(default_factory=dict)
    system: dict[str, float] = field(default_factory=dict)
    lag_buckets: tuple[tuple[float, float], ...] = ()      # (upper bound s, cumulative count), all cameras


class EndpointError(ResourceError):
    """A health endpoint that did not answer, or answered with something unreadable."""


def fetch(url: str, timeout: float, where: str) -> str:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            return r.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as e:
        raise EndpointError(f"{url} answered HTTP {e.code} {e.reason}", where=where) from None
    except (urllib.error.URLError, OSError) as e:
        reason = getattr(e, "reason", e)
        raise EndpointError(f"cannot reach {url} ({reason}); is the system running and is the URL right?",
                            where=where) from None


def _dig(doc: Any, path: str) -> Any:
    for part in [p for p in path.split(".") if p]:
        if isinstance(doc, dict):
            doc = doc.get(part)
        elif isinstance(doc, list) and part.isdigit() and int(part) < len(doc):
            doc = doc[int(part)]
        else:
            return None
    return doc


def _number(v: Any) -> float | None:
    if isinstance(v, bool):
        return 1.0 if v else 0.0
    if isinstance(v, (int, float)):
        return float(v)
    return None


def _closest(name: str, names: Iterable[str]) -> str:
    near = difflib.get_close_matches(name, sorted(set(names)), n=3, cutoff=0.5)
    return f"; closest: {', '.join(near)}" if near else ""


class HealthReader:
    """Scrapes the declared sources. ``urls`` are the sources' rendered URLs by YAML path; ``aliases`` maps
    every name a system may give a camera (its id, its RTSP URL) to the camera id."""

    def __init__(self, config: HealthConfig, urls: dict[str, str], aliases: dict[str, str],
                 clock=time.monotonic) -> None:
        self.config = config
        self.urls = urls
        self.aliases = aliases
        self.clock = clock

    @staticmethod
    def prometheus_where(i: int) -> str:
        return f"stack.health.prometheus[{i}]"

    @staticmethod
    def json_where(i: int) -> str:
        return f"stack.health.json_api[{i}]"

    def camera_of(self, name: str | None) -> str | None:
        if name is None:
            return None
        return self.aliases.get(name) or self.aliases.get(name.rstrip("/").rsplit("/", 1)[-1])

    # -------------------------------------------------------------- reading
    def scrape(self) -> HealthSnapshot:
        cameras: dict[str, dict[str, float]] = {}
        system: dict[str, float] = {}
        buckets: dict[float, float] = {}
        for i, src in enumerate(self.config.prometheus):
            where = self.prometheus_where(i)
            families = self._families(src, where)
            self._read_prometheus(src, families, cameras, system, buckets)
        for i, jsrc in enumerate(self.config.json_api):
            where = self.json_where(i)
            self._read_json(jsrc, self._document(jsrc, where), cameras, system)
        return HealthSnapshot(self.clock(), cameras, system, tuple(sorted(buckets.items())))

    def _families(self, src: PrometheusSource, where: str) -> list:
        url = self.urls[f"{where}.url"]
        text = fetch(url, self.config.timeout_s, f"{where}.url")
        try:
            return list(text_string_to_metric_families(text))
        except ValueError as e:
            raise EndpointError(f"{url} does not serve Prometheus text ({e})", where=f"{where}.url") from None

    def _document(self, src: JsonSource, where: str) -> Any:
        url = self.urls[f"{where}.url"]
        text = fetch(url, self.config.timeout_s, f"{where}.url")
        try:
            return json.loads(text)
        except ValueError as e:
            raise EndpointError(f"{url} does not serve JSON ({e})", where=f"{where}.url") from None

    @staticmethod
    def _samples(families: list, m: PromMetric, histogram: bool) -> Iterable:
        names = {m.name, f"{m.name}_total"}
        for fam in families:
            if histogram and fam.type == "histogram" and fam.name == m.name:
                yield from (s for s in fam.samples if s.name == f"{m.name}_bucket")
                continue
            for s in fam.samples:
                if s.name in names and all(
                        s.labels.get(k) in ([v] if isinstance(v, str) else v) for k, v in m.labels.items()):
                    yield s

    @staticmethod
    def _is_histogram(families: list, name: str) -> bool:
        return any(f.type == "histogram" and f.name == name for f in families)

    def _read_prometheus(self, src: PrometheusSource, families: list, cameras: dict, system: dict,
                         buckets: dict[float, float]) -> None:
        for quantity in src.metrics:
            m = src.metric(quantity)
            hist = quantity == "lag_s" and self._is_histogram(families, m.name)
            for s in self._samples(families, m, hist):
                v = float(s.value)
                if hist:
                    le = float(s.labels.get("le", "inf"))
                    key = le * m.scale if le != float("inf") else le
                    buckets[key] = buckets.get(key, 0.0) + v
                elif quantity in CAMERA_QUANTITIES:
                    cam = self.camera_of(s.labels.get(src.camera_label))
                    if cam is not None:
                        _add(cameras.setdefault(cam, {}), quantity, v * m.scale)
                else:
                    system[quantity] = system.get(quantity, 0.0) + v * m.scale

    def _items(self, src: JsonSource, doc: Any) -> list[tuple[str | None, Any]]:
        items = _dig(doc, src.items)
        if isinstance(items, dict):
            return [(str(k), v) for k, v in items.items()]
        if isinstance(items, list):
            return [(str(it.get(src.camera_key)) if isinstance(it, dict) else None, it) for it in items]
        return []

    def _read_json(self, src: JsonSource, doc: Any, cameras: dict, system: dict) -> None:
        for name, item in self._items(src, doc):
            cam = self.camera_of(name)
            if cam is None:
                continue
            for quantity in src.cameras:
                f = src.field(quantity)
                v = _number(_dig(item, f.path))
                if v is not None:
                    _add(cameras.setdefault(cam, {}), quantity, v * f.scale)
        for sq in src.system:
            f = src.field(sq)
            v = _number(_dig(doc, f.path))
            if v is not None:
                system[sq] = system.get(sq, 0.0) + v * f.scale

    # -------------------------------------------------------------- checking the mapping
    def check_mapped(self) -> None:
        """Every mapped metric or field exists where the scenario says (an InputError naming it if not)."""
        for i, src in enumerate(self.config.prometheus):
            where = self.prometheus_where(i)
            families = self._families(src, where)
            served = {s.name for f in families for s in f.samples} | {f.name for f in families} | \
                     {f"{f.name}_total" for f in families if f.type == "counter"}
            for quantity in src.metrics:
                m = src.metric(quantity)
                if m.name not in served and f"{m.name}_total" not in served:
                    raise InputError(f"metric {m.name!r} (mapped to {quantity}) is not served by "
                                     f"{self.urls[where + '.url']} ({len(families)} metric families there"
                                     f"{_closest(m.name, served)})", where=f"{where}.metrics.{quantity}")
        for i, jsrc in enumerate(self.config.json_api):
            where = self.json_where(i)
            doc = self._document(jsrc, where)
            items = self._items(jsrc, doc)
            if jsrc.cameras and _dig(doc, jsrc.items) is None:
                raise InputError(f"no {jsrc.items!r} in the document {self.urls[where + '.url']} serves",
                                 where=f"{where}.items")
            for quantity in jsrc.cameras:
                path = jsrc.field(quantity).path
                if items and all(_dig(it, path) is None for _, it in items):
                    keys = sorted({k for _, it in items if isinstance(it, dict) for k in it})
                    raise InputError(f"no camera item of {self.urls[where + '.url']} has {path!r} (mapped to "
                                     f"{quantity}); item keys: {', '.join(keys)}", where=f"{where}.cameras.{quantity}")
            for quantity in jsrc.system:
                path = jsrc.field(quantity).path
                if _number(_dig(doc, path)) is None:
                    raise InputError(f"{self.urls[where + '.url']} has no number at {path!r} (mapped to "
                                     f"{quantity})", where=f"{where}.system.{quantity}")


def _add(values: dict[str, float], quantity: str, v: float) -> None:
    if quantity in ("lag_s", "online"):
        values[quantity] = max(values.get(quantity, v), v)
    else:
        values[quantity] = values.get(quantity, 0.0) + v
