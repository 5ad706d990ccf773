"""The report's figures, drawn with matplotlib (Agg) and returned as base64 PNG for inline <img> tags.

Every function takes the run as a typed ``RunRecord`` (a results dict is read into one first) and
returns None when the run did not measure what the figure shows; the report then says so in words
instead of drawing an empty plot.
"""
from __future__ import annotations

import base64
import io
import statistics
from typing import Any, Callable

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from benchmarks.records import Curve, RunRecord  # noqa: E402
from benchmarks.runner.metricdefs import SLO_METRICS  # noqa: E402

Tr = Callable[..., str]


def _png(fig) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90, bbox_inches="tight")
    plt.close(fig)
    return base64.b64encode(buf.getvalue()).decode("ascii")


def _axis(run: RunRecord) -> str:
    return run.axis or "cameras"


def series(run: RunRecord, metric: str) -> tuple[list[float], list[float], list[float], list[float]]:
    """(load values, medians, mins, maxs) of a metric over each step's complete trials."""
    axis = _axis(run)
    xs, med, lo, hi = [], [], [], []
    for s in run.steps:
        vals = [v for t in s.counted() if (v := t.number(metric)) is not None]
        if not vals:
            continue
        xs.append(s.value(axis))
        med.append(statistics.median(vals))
        lo.append(min(vals))
        hi.append(max(vals))
    return xs, med, lo, hi


def _knee_line(ax, run: RunRecord, t: Tr) -> None:
    k = run.knee
    if k is not None and k.at(_axis(run)) is not None:
        ax.axvline(k.at(_axis(run)), color="crimson", linestyle="--", linewidth=1.2, label=t("knee_label"))


def _errorbar(ax, xs, med, lo, hi, label, **kw):
    ax.errorbar(xs, med, yerr=[[m - a for m, a in zip(med, lo)], [b - m for m, b in zip(med, hi)]],
                marker="o", capsize=3, label=label, **kw)


def slo_margin_plot(data: RunRecord | dict[str, Any], t: Tr) -> str | None:
    """Every measured SLO metric as a share of its limit against load (1 = the limit), with the knee."""
    run = RunRecord.from_dict(data)
    slos = run.slos or {}
    fig, ax = plt.subplots(figsize=(7, 3.4))
    drawn = 0
    for name, limit in slos.items():
        metric, kind = SLO_METRICS[name]
        xs, med, lo, hi = series(run, metric)
        if not xs:
            continue
        if kind == "min":     # a floor: show limit / value, so that > 1 is a failure as for the ceilings
            def f(v, lim=limit):
                return lim / v if v > 0 else 10.0
            med, lo, hi = [f(v) for v in med], [f(v) for v in hi], [f(v) for v in lo]
        else:
            scale = limit if limit > 0 else 1.0
            med, lo, hi = [v / scale for v in med], [v / scale for v in lo], [v / scale for v in hi]
        _errorbar(ax, xs, med, lo, hi, t(f"slo_{name}"))
        drawn += 1
    if not drawn:
        plt.close(fig)
        return None
    ax.axhline(1.0, color="grey", linewidth=1, label="SLO")
    _knee_line(ax, run, t)
    ax.set_xlabel(t("axis_load", axis=_axis(run)))
    ax.set_ylabel("value / SLO limit")
    ax.legend(fontsize=7, loc="upper left")
    ax.grid(alpha=0.3)
    return _png(fig)


def latency_plot(data: RunRecord | dict[str, Any], t: Tr) -> str | None:
    run = RunRecord.from_dict(data)
    slos = run.slos or {}
    lag = series(run, "analytics_lag_p95_s")
    view = series(run, "viewer_p95_ms")
    ttff = series(run, "viewer_ttff_p95_ms")
    if not lag[0] and not view[0] and not ttff[0]:
        return None
    fig, ax = plt.subplots(figsize=(7, 3.4))
    handles = []
    if view[0]:
        _errorbar(ax, *view, "viewer p95 (ms)", color="tab:blue")
        if "viewer_p95_ms" in slos:
            ax.axhline(slos["viewer_p95_ms"], color="tab:blue", linestyle=":", linewidth=1,
                       label=t("slo_label", name="viewer p95"))
        ax.set_ylabel("ms")
    if ttff[0]:
        _errorbar(ax, *ttff, "browser time to first frame p95 (ms)", color="tab:green")
        if "viewer_ttff_p95_ms" in slos:
            ax.axhline(slos["viewer_ttff_p95_ms"], color="tab:green", linestyle=":", linewidth=1,
                       label=t("slo_label", name="first frame p95"))
        ax.set_ylabel("ms")
    if lag[0]:
        ax2 = ax.twinx() if view[0] or ttff[0] else ax
        _errorbar(ax2, *lag, "analytics lag p95 (s)", color="tab:orange")
        if "analytics_lag_p95_s" in slos:
            ax2.axhline(slos["analytics_lag_p95_s"], color="tab:orange", linestyle=":", linewidth=1,
                        label=t("slo_label", name="lag p95"))
        ax2.set_ylabel("s")
        if ax2 is not ax:
            handles = ax2.get_legend_handles_labels()
    _knee_line(ax, run, t)
    h, lab = ax.get_legend_handles_labels()
    if handles:
        h, lab = h + handles[0], lab + handles[1]
    ax.legend(h, lab, fontsize=7, loc="upper left")
    ax.set_xlabel(t("axis_load", axis=_axis(run)))
    ax.grid(alpha=0.3)
    return _png(fig)


def utilisation_plot(data: RunRecord | dict[str, Any], t: Tr) -> str | None:
    run = RunRecord.from_dict(data)
    names = sorted({k for s in run.steps for tr in s.trials for k in tr.metrics if k.startswith("cpu_pct.")})
    if not names:
        return None
    fig, (ax, bx) = plt.subplots(1, 2, figsize=(8, 3.2))
    for n in names:
        xs, *rest = series(run, n)
        if xs:
            _errorbar(ax, xs, *rest, n.split(".", 1)[1])
        xs, *rest = series(run, "rss_mb." + n.split(".", 1)[1])
        if xs:
            _errorbar(bx, xs, *rest, n.split(".", 1)[1])
    for a, ylab in ((ax, "CPU, % of one core"), (bx, "RSS, MB")):
        _knee_line(a, run, t)
        a.set_xlabel(t("axis_load", axis=_axis(run)))
        a.set_ylabel(ylab)
        a.grid(alpha=0.3)
        a.legend(fontsize=7)
    return _png(fig)


def accuracy_plot(data: RunRecord | dict[str, Any], t: Tr) -> str | None:
    """Event-level F1 per rule against load (each rule pooled over a step's trials), each trial's F1
    over all rules, the share of sampled frames dropped, and the knee; None when no trial had a
    ground-truth event to find."""
    from benchmarks.runner.event_accuracy import step_f1
    run = RunRecord.from_dict(data)
    axis = _axis(run)
    steps = [(s.value(axis), [tr.metrics for tr in s.counted() if tr.metrics]) for s in run.steps]
    rules = sorted({k.split(".", 1)[1] for _, trials in steps for m in trials for k in m if k.startswith("event_tp.")})
    fig, ax = plt.subplots(figsize=(7, 3.2))
    drawn = 0
    for rule in rules:
        pts = [(x, f) for x, trials in steps if (f := step_f1(trials, rule)) is not None]
        if pts:
            ax.plot([p[0] for p in pts], [p[1] for p in pts], marker="o", label=t("acc_step", rule=rule))
            drawn += 1
    tx = [(s.value(axis), f1) for s in run.steps for tr in s.counted() if (f1 := tr.number("event_f1")) is not None]
    if not drawn:
        plt.close(fig)
        return None
    if tx:
        ax.scatter([p[0] for p in tx], [p[1] for p in tx], marker="x", color="grey", alpha=0.7, label=t("acc_trial"))
    drop = series(run, "dropped_share")
    if drop[0]:
        _errorbar(ax, *drop, t("acc_dropped"))
    _knee_line(ax, run, t)
    ax.set_ylim(-0.05, 1.05)
    ax.set_xlabel(t("axis_load", axis=axis))
    ax.set_ylabel(t("acc_ylabel"))
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7)
    return _png(fig)


def city_plot(curves: tuple[Curve, ...], t: Tr) -> str | None:
    """Simulated curves with their 95% bands; the dashed vertical line marks the target (1.0x)."""
    if not curves:
        return None
    cols = min(2, len(curves))
    rows = (len(curves) + cols - 1) // cols
    fig, axes = plt.subplots(rows, cols, figsize=(4.2 * cols, 3.0 * rows), squeeze=False)
    for ax in axes.flat[len(curves):]:
        ax.set_visible(False)
    for ax, c in zip(axes.flat, curves):
        # results written before curves carried a key hold English labels only
        label = t(f"curve_{c.key}") if c.key else c.label
        ax.plot(c.x, c.mean, marker="o", label=label)
        ax.fill_between(c.x, c.low, c.high, alpha=0.25, label=t("curve_band"))
        if c.limit is not None:
            ax.axhline(c.limit, color="grey", linestyle=":", linewidth=1, label=t("curve_limit"))
        ax.axvline(1.0, color="black", linestyle="--", linewidth=0.8, alpha=0.5)
        ax.set_xlabel(t(f"curve_x_{c.axis}") if c.axis else c.x_label)
        ax.set_ylabel(t(f"curve_unit_{c.key}") if c.key else c.y_label)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
    fig.tight_layout()
    return _png(fig)
