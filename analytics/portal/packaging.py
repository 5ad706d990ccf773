"""Packaging policies of the live view: which cameras the portal keeps packaged as HLS, and when.

On demand (the default), a camera's first viewer starts its packager and waits for the first playlist
(a cold start: about 4 s on a 2-core host, most of it waiting for a keyframe and a first segment);
the packager stops ``hls_idle_timeout_s`` after its last viewer. A portal can do better for the
cameras people are likely to open:

- **always-on**: a named list (``always_on``) and/or the ``always_on_top_k`` most popular cameras are
  kept packaged whether anybody watches or not. Popularity is measured, not declared: the cameras
  with the most view starts since the portal started (counted in the shared state, all workers).
  A camera that falls out of the top K keeps its packager until the usual idle timeout.
- **pre-warm**: opening a camera's card in the catalogue (``POST /live/{id}/warm``, sent by the
  player page before the citizen presses play) starts the packager; it stops after the idle timeout
  unless a viewer arrives.

Mechanism: the policy holds a lease like a viewer does (``leases/~policy``, ``leases/~card``; the
``~`` cannot occur in a viewer's sid, so no client can forge or end them), so the one reaper that
stops idle packagers serves every policy. A view start is recorded as one byte appended to
``starts-cold`` or ``starts-warm`` in the camera's folder (``O_APPEND`` writes are atomic across
workers); the file sizes are the counts, which give the popularity ranking and the cold-start share.
"""
from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path

from pydantic import Field, model_validator

from analytics.portal.hls import HlsBusy
from common.config import StrictModel

log = logging.getLogger(__name__)

POLICY_LEASE = "~policy"
CARD_LEASE = "~card"


class PackagingConfig(StrictModel):
    """The scenario's ``portal.packaging``: which cameras stay packaged. All off: on demand."""

    always_on: list[str] = Field(default_factory=list,
                                 description="camera ids kept packaged at all times (e.g. Simpang Lima)")
    always_on_top_k: int = Field(0, ge=0, le=10_000,
                                 description="also keep the K cameras with the most view starts packaged")
    prewarm_on_card: bool = Field(False, description="opening a camera's card starts its packager "
                                                     "(stopped after hls_idle_timeout_s without a viewer)")

    @model_validator(mode="after")
    def _unique(self) -> PackagingConfig:
        dup = sorted({c for c in self.always_on if self.always_on.count(c) > 1})
        if dup:
            raise ValueError(f"always_on lists {', '.join(dup)} more than once")
        return self

    @property
    def name(self) -> str:
        """Short name of the policy, as results and the report show it."""
        parts = []
        if self.always_on or self.always_on_top_k:
            parts.append("always-on")
        if self.prewarm_on_card:
            parts.append("pre-warm")
        return " + ".join(parts) or "on-demand"


@dataclass(frozen=True)
class ViewStarts:
    cold: int
    warm: int

    @property
    def total(self) -> int:
        return self.cold + self.warm

    @property
    def cold_share(self) -> float | None:
        return self.cold / self.total if self.total else None


def record_view_start(cam_dir: Path, cold: bool) -> None:
    """Count one view start of the camera (a viewer's first playlist request)."""
    cam_dir.mkdir(parents=True, exist_ok=True)
    fd = os.open(cam_dir / ("starts-cold" if cold else "starts-warm"), os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    try:
        os.write(fd, b".")
    finally:
        os.close(fd)


def _size(p: Path) -> int:
    try:
        return p.stat().st_size
    except FileNotFoundError:
        return 0


def view_starts(hls_root: Path) -> dict[str, ViewStarts]:
    """View starts per camera since the portal started (cameras never opened are absent)."""
    out = {}
    for d in Path(hls_root).iterdir() if Path(hls_root).exists() else ():
        if d.is_dir():
            vs = ViewStarts(_size(d / "starts-cold"), _size(d / "starts-warm"))
            if vs.total:
                out[d.name] = vs
    return out


def total_view_starts(hls_root: Path) -> ViewStarts:
    per = view_starts(hls_root).values()
    return ViewStarts(sum(v.cold for v in per), sum(v.warm for v in per))


def kept_warm(cfg: PackagingConfig, hls_root: Path, known: set[str]) -> list[str]:
    """The cameras the policy keeps packaged now: the named list, then the top K by view starts
    (ties broken by camera id, so every worker picks the same ones)."""
    keep = [c for c in cfg.always_on if c in known]
    if cfg.always_on_top_k:
        ranked = sorted(view_starts(hls_root).items(), key=lambda kv: (-kv[1].total, kv[0]))
        keep += [c for c, _ in ranked if c in known and c not in keep][:cfg.always_on_top_k]
    return keep


class PolicyKeeper:
    """Holds the policy's leases and starts the packagers it keeps warm; ``tick`` runs every second in
    each worker's reaper. A camera whose packager fails to start is retried at most every
    ``retry_s`` (an offline camera must not cost an ffmpeg per second)."""

    def __init__(self, cfg: PackagingConfig, hls, urls: dict[str, str], retry_s: float = 15.0):
        self.cfg = cfg
        self.hls = hls
        self.urls = urls
        self.retry_s = retry_s
        self._tried: dict[str, float] = {}
        unknown = sorted(set(cfg.always_on) - set(urls))
        if unknown:
            log.warning("portal.packaging.always_on: no such camera(s) %s; ignored", ", ".join(unknown))

    def tick(self, now: float) -> list[str]:
        """Renew the policy's leases; start what is not running. Returns the cameras started."""
        started = []
        for cam in kept_warm(self.cfg, self.hls.root, set(self.urls)):
            try:
                self.hls.touch_lease(cam, POLICY_LEASE)
                if self.hls.running(cam) or now - self._tried.get(cam, -1e9) < self.retry_s:
                    continue
                self._tried[cam] = now
                if self.hls.ensure_started(cam, self.urls[cam]):
                    log.info("packaging policy keeps %s warm", cam)
                    started.append(cam)
            except (ValueError, HlsBusy) as e:     # a refused source or live view at capacity: next tick
                log.warning("packaging policy cannot keep %s warm: %s", cam, e)
        return started

    def card_opened(self, cam: str) -> bool:
        """Pre-warm on a card being opened. True if the policy pre-warms (the packager runs or starts)."""
        if not self.cfg.prewarm_on_card or cam not in self.urls:
            return False
        try:
            self.hls.touch_lease(cam, CARD_LEASE)
            self.hls.ensure_started(cam, self.urls[cam])
        except (ValueError, HlsBusy) as e:
            log.warning("cannot pre-warm %s: %s", cam, e)
            return False
        return True
