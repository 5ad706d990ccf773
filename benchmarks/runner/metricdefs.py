"""What each measured metric is: its unit, which direction is better, and the SLO it serves.

Metrics are flat ``name -> number`` records per trial; components add their own names
(``cpu_pct.<component>``, ``rss_mb.<component>``) through the prefixes below.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class MetricDef:
    name: str
    unit: str
    lower_is_better: bool


METRICS: dict[str, MetricDef] = {m.name: m for m in [
    MetricDef("analysed_fps_min", "fps", False),
    MetricDef("analysed_fps_mean", "fps", False),
    MetricDef("analysed_share_min", "share", False),
    MetricDef("analytics_lag_p95_s", "s", True),
    MetricDef("dropped_share", "share", True),
    MetricDef("event_f1", "share", False),
    MetricDef("event_precision", "share", False),
    MetricDef("event_recall", "share", False),
    MetricDef("event_timing_abs_median_s", "s", True),
    MetricDef("event_cameras", "cameras", False),
    MetricDef("event_cameras_silent", "cameras", True),
    MetricDef("viewer_p50_ms", "ms", True),
    MetricDef("viewer_p95_ms", "ms", True),
    MetricDef("viewer_rps", "req/s", False),
    MetricDef("portal_error_rate", "share", True),
    MetricDef("viewer_ttff_p50_ms", "ms", True),
    MetricDef("viewer_ttff_p95_ms", "ms", True),
    MetricDef("viewer_stall_ratio", "share", True),
    MetricDef("cold_start_share", "share", True),
    MetricDef("view_starts", "views", False),
    MetricDef("browser_viewers", "players", False),
    MetricDef("browser_no_frame", "players", True),
    MetricDef("stream_loss", "share", True),
    MetricDef("cameras_ready", "cameras", False),
    MetricDef("fleet_mbps", "Mbit/s", False),
    MetricDef("stream_errors", "errors", True),                   # an external system's (docs/external.md)
    MetricDef("stack_reported_cpu_pct", "% of one core", True),
    MetricDef("stack_host_cpu_pct", "% of one core", True),
    MetricDef("stack_rx_mbps", "Mbit/s", False),
    MetricDef("stack_tx_mbps", "Mbit/s", False),
    MetricDef("health_unreachable", "trials", True),
    MetricDef("cpu_pct.total", "% of one core", True),
    MetricDef("rss_mb.total", "MB", True),
    MetricDef("portal_cpu_ms_per_request", "ms", True),          # portal_cost.py: CPU per answered request
    MetricDef("portal_cpu_s", "s", True),
    MetricDef("portal_requests", "requests", False),
]}

PREFIXES = {"cpu_pct.": MetricDef("cpu_pct", "% of one core", True),
            "event_f1.": MetricDef("event_f1", "share", False),
            "event_tp.": MetricDef("event_tp", "events", False),
            "event_fp.": MetricDef("event_fp", "events", True),
            "event_fn.": MetricDef("event_fn", "events", True),
            "rss_mb.": MetricDef("rss_mb", "MB", True),
            "portal_requests.": MetricDef("portal_requests", "requests", False)}

# SLO name -> (metric, "max" | "min")
SLO_METRICS: dict[str, tuple[str, str]] = {
    "min_analysed_fps": ("analysed_fps_min", "min"),
    "min_analysed_share": ("analysed_share_min", "min"),
    "analytics_lag_p95_s": ("analytics_lag_p95_s", "max"),
    "viewer_p95_ms": ("viewer_p95_ms", "max"),
    "viewer_ttff_p95_ms": ("viewer_ttff_p95_ms", "max"),
    "portal_error_rate": ("portal_error_rate", "max"),
    "stream_loss": ("stream_loss", "max"),
}


def metric_def(name: str) -> MetricDef:
    if name in METRICS:
        return METRICS[name]
    for prefix, d in PREFIXES.items():
        if name.startswith(prefix):
            return MetricDef(name, d.unit, d.lower_is_better)
    return MetricDef(name, "", True)
