"""A trial's metrics from two health snapshots of an external system, in the run's own vocabulary.

The same names as the built-in stack (``benchmarks.runner.stack_component``), so the SLO check, the
knee search, the model check and the report read an external run unchanged:

- ``analysed_fps_min`` / ``analysed_fps_mean``: per online camera, analysed frames per second over the
  trial (the ``analysed_frames`` counter's growth; else its ``fps`` gauge at the end; else its decoded
  frames); ``analysed_share_min``: the worst camera's as a share of the rate it should be analysed at;
- ``decoded_fps_total`` / ``analysed_fps_total``: summed over the online cameras (the calibration's rates);
- ``dropped_share``: dropped / (analysed + dropped) frames; ``stream_errors``: errors counted in the trial;
- ``stream_loss``: share of online cameras that the system does not report, reports offline, or that
  gained no frame in the trial;
- ``analytics_lag_p95_s``: the p95 of a lag histogram's growth over the trial (``analytics_lag_source``
  1), else the worst camera's lag gauge at the end (0);
- from system quantities: ``cpu_pct.stack`` and ``rss_mb.stack`` (when the PID tree is not measured),
  ``stack_host_cpu_pct`` (the whole host), ``stack_rx_mbps`` / ``stack_tx_mbps``.
"""
from __future__ import annotations

import math
import statistics
from typing import Any

from benchmarks.external.health import HealthSnapshot
from benchmarks.runconfig import AXES, StepLoad


def _delta(v0: float | None, v1: float | None) -> float | None:
    """A counter's growth; a counter that went down was reset (the system restarted) and counts from 0."""
    if v1 is None:
        return None
    if v0 is None or v1 < v0:
        return v1
    return v1 - v0


def histogram_p95(b0: tuple[tuple[float, float], ...], b1: tuple[tuple[float, float], ...],
                  q: float = 0.95) -> float | None:
    """Quantile of the observations added between two cumulative histograms (linear within a bucket, as
    Prometheus' histogram_quantile); None when nothing was observed."""
    before = dict(b0)
    grown = [(le, max(c - before.get(le, 0.0), 0.0)) for le, c in b1]
    if not grown or grown[-1][1] <= 0:
        return None
    total = grown[-1][1]
    rank, lo, below = q * total, 0.0, 0.0
    for le, cum in grown:
        if cum >= rank:
            if math.isinf(le):
                return lo
            return lo + (le - lo) * ((rank - below) / (cum - below) if cum > below else 1.0)
        lo, below = le, cum
    return lo


def trial_metrics(s0: HealthSnapshot, s1: HealthSnapshot, online: list[str], expected_fps: dict[str, float],
                  *, measured_by_pid: bool) -> dict[str, Any]:
    dt = max(s1.t - s0.t, 1e-6)
    fps, decoded, analysed_total = [], 0.0, 0.0
    has_decoded = dropped = errors = frames_for_drops = 0.0
    lost, lags = 0, []
    for cam in online:
        a, b = s1.cameras.get(cam), s0.cameras.get(cam, {})
        if a is None:
            lost += 1
            fps.append(0.0)
            continue
        d_dec = _delta(b.get("decoded_frames"), a.get("decoded_frames"))
        d_an = _delta(b.get("analysed_frames"), a.get("analysed_frames"))
        if d_an is not None:
            f = d_an / dt
        elif "fps" in a:
            f = a["fps"]
        else:
            f = (d_dec or 0.0) / dt
        fps.append(f)
        analysed_total += f
        if d_dec is not None:
            decoded += d_dec / dt
            has_decoded = 1
        progressed = (d_dec or 0.0) > 0 or (d_an or 0.0) > 0 or (d_dec is None and d_an is None and f > 0)
        if a.get("online", 1.0) <= 0 or not progressed:
            lost += 1
        dr = _delta(b.get("dropped_frames"), a.get("dropped_frames"))
        if dr is not None:
            dropped += dr
            frames_for_drops += dr + (d_an if d_an is not None else f * dt)
        errors += _delta(b.get("errors"), a.get("errors")) or 0.0
        if "lag_s" in a:
            lags.append(a["lag_s"])
    n = max(len(online), 1)
    worst = min(fps) if fps else 0.0
    shares = [f / expected_fps[c] for f, c in zip(fps, online) if expected_fps.get(c)]
    out: dict[str, Any] = {
        "analysed_fps_min": round(worst, 3),
        "analysed_fps_mean": round(sum(fps) / len(fps), 3) if fps else 0.0,
        "analysed_share_min": round(min(shares), 3) if shares else 0.0,
        "analysed_fps_total": round(analysed_total, 3),
        "stream_loss": round(lost / n, 4) if online else 0.0,
        "stream_errors": round(errors, 1),
    }
    if has_decoded:
        out["decoded_fps_total"] = round(decoded, 3)
    if frames_for_drops > 0:
        out["dropped_share"] = round(dropped / frames_for_drops, 4)
    p95 = histogram_p95(s0.lag_buckets, s1.lag_buckets)
    if p95 is not None:
        out["analytics_lag_p95_s"], out["analytics_lag_source"] = round(p95, 3), 1.0
    elif lags:
        out["analytics_lag_p95_s"], out["analytics_lag_source"] = round(max(lags), 3), 0.0
    out.update(system_metrics(s0, s1, measured_by_pid=measured_by_pid))
    return out


def system_metrics(s0: HealthSnapshot, s1: HealthSnapshot, *, measured_by_pid: bool) -> dict[str, Any]:
    dt = max(s1.t - s0.t, 1e-6)
    out: dict[str, Any] = {}

    def rate(q: str) -> float | None:
        d = _delta(s0.system.get(q), s1.system.get(q))
        return None if d is None or q not in s0.system else d / dt

    cpu = rate("cpu_seconds")
    if cpu is not None:     # the system's own report; by PID it is measured independently (kept beside)
        out["cpu_pct.stack" if not measured_by_pid else "stack_reported_cpu_pct"] = round(100.0 * cpu, 2)
    if "memory_bytes" in s1.system and not measured_by_pid:
        out["rss_mb.stack"] = round(s1.system["memory_bytes"] / 2**20, 1)
    host = rate("host_cpu_seconds")
    if host is not None:
        out["stack_host_cpu_pct"] = round(100.0 * host, 2)
    for q, name in (("rx_bytes", "stack_rx_mbps"), ("tx_bytes", "stack_tx_mbps")):
        r = rate(q)
        if r is not None:
            out[name] = round(8 * r / 1e6, 3)
    return out


def unreachable_metrics(online: list[str]) -> dict[str, Any]:
    """A trial whose health could not be read: every online camera counts as lost (an overloaded system
    that stops answering must not pass its SLOs by saying nothing)."""
    return {"analysed_fps_min": 0.0, "analysed_fps_mean": 0.0, "analysed_share_min": 0.0,
            "analysed_fps_total": 0.0, "stream_loss": 1.0 if online else 0.0, "health_unreachable": 1.0}


def host_stack_cores(history: list[tuple[StepLoad, dict[str, Any]]], host_cores: int) -> list[dict[str, Any]]:
    """The cores a system on another host had at each measured step (the model check's ``stack_cores``):
    the host's cores less its other work, the median over the step's trials of the host's CPU
    (``stack_host_cpu_pct``) minus the system's own (``cpu_pct.stack``)."""
    loads = [ld for ld, _ in history]
    axis = next((a for a in AXES if len({getattr(ld, a) for ld in loads}) > 1), "cameras")
    rows = []
    for index in sorted({ld.index for ld in loads}):
        ms = [m for ld, m in history if ld.index == index]
        others = [max(m["stack_host_cpu_pct"] - m.get("cpu_pct.stack", 0.0), 0.0) / 100.0
                  for m in ms if "stack_host_cpu_pct" in m]
        o = statistics.median(others) if others else 0.0
        value = getattr(next(ld for ld in loads if ld.index == index), axis)
        rows.append({"step": index, "value": value, "others_cores": round(o, 3), "external_cores": 0.0,
                     "cores": round(max(host_cores - o, 0.1), 3)})
    return rows
