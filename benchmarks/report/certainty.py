"""The report's "how sure is this answer" section: the sizing interval, the cheapest CPU-only and GPU
alternatives, the out-of-sample model check across CPU budgets, the calibration's spread and outlier
trials, which inputs are assumptions, and the tornado chart of the total cost against each assumption.

Everything comes from the run's typed records (``Sizing`` with its ``interval``, ``alternatives`` and
``sensitivity``; ``OutOfSample``; the ``Calibration`` of ``measured_costs``); a part the run does not hold
says why.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from benchmarks.records import Calibration, CostSource, Pairing, RunRecord, Sensitivity, Sizing, SizingInterval
from benchmarks.report.plots import _png, plt

Tr = Callable[..., str]


def _n(x: float | None) -> str:
    return "-" if x is None else f"{x:,.0f}"


def tornado_plot(sens: Sensitivity | None, t: Tr) -> str | None:
    bars = [b for b in (sens.bars if sens else ()) if b.low_cost is not None]
    if not bars or sens is None or sens.base_cost is None:
        return None
    base = sens.base_cost
    fig, ax = plt.subplots(figsize=(7.5, 0.45 * len(bars) + 1.2))
    for i, b in enumerate(reversed(bars)):
        ax.barh(i, b.low_cost - base, color="#2a62c9", height=0.6)
        ax.barh(i, (b.high_cost or base) - base, color="#d9822b", height=0.6)
    ax.set_yticks(range(len(bars)), [f"{b.label} ({b.source})" for b in reversed(bars)], fontsize=8)
    ax.axvline(0, color="#333", lw=0.8)
    swing = f"{sens.swing:.0%}"
    ax.set_xlabel(t("tornado_x", base=_n(base), swing=swing))
    ax.legend([t("tornado_low", swing=swing), t("tornado_high", swing=swing)], fontsize=8, loc="lower right")
    fig.tight_layout()
    return _png(fig)


def interval_lines(iv: SizingInterval | None, t: Tr) -> list[str]:
    if iv is None or not iv.items:
        return []
    lines = [t("interval_head", ok=iv.replications - len(iv.failed),
               planned=iv.planned if iv.planned is not None else iv.replications, window=f"{iv.window_s:g}")]
    for it in iv.items:
        lines.append(t("interval_item", item=it.item, name=it.name, p95=_n(it.p95), median=_n(it.median),
                       low=_n(it.low), high=_n(it.high), min=_n(it.min), max=_n(it.max), chosen=it.chosen, of=it.of))
    c = iv.cost_usd
    if c is not None:
        lines.append(t("interval_cost", p95=_n(c.p95), median=_n(c.median), low=_n(c.low), high=_n(c.high)))
    return lines


def _pairing_row(p: Pairing, t: Tr) -> dict[str, Any]:
    return {"cal": f"{p.calibrated_on:g}", "for": f"{p.predicted_for:g}", "meas": _n_g(p.measured_knee),
            "pred": _n_g(p.predicted_knee), "slos": f"{p.measured_binding_slo} / {p.predicted_binding_slo}",
            "status": t("oos_counts") if p.counts else t("oos_not_comparable"),
            "error": f"{p.rel_error:.0%}" if p.rel_error is not None else "-",
            "within": p.within_target, "reason": p.reason}


def calibration_lines(costs: Calibration | None, t: Tr) -> list[str]:
    """How the run's costs were fitted, then each measured cost's spread."""
    fit = costs.fit if costs is not None else None
    if fit is None:
        return [t("cal_absent")]
    lines = [t("cal_used", steps=len(fit.steps_used), trials=fit.trials, outliers=len(fit.outlier_trials),
               method=fit.method or "reference")]
    for c in costs.costs():
        if c.spread is not None:
            v = c.spread
            lines.append(t("spread_row", cost=c.section, median=f"{v.median:.3g}", low=f"{v.low:.3g}",
                           high=f"{v.high:.3g}", rel=f"{v.rel_sd:.0%}", of=v.of))
    return lines


def certainty(run: RunRecord, sizing: Sizing | None, t: Tr) -> dict[str, Any]:
    """The template's ``certainty`` context."""
    sens = sizing.sensitivity if sizing is not None else None
    oos = run.out_of_sample
    costs = run.measured_costs
    return {
        "interval": interval_lines(sizing.interval if sizing is not None else None, t),
        "interval_absent": t("interval_absent"),
        "alternatives": [{"kind": a.kind, "cost": _n(a.cost_usd),
                          "per_camera": f"{a.cost_per_camera_usd:,.2f}" if a.cost_per_camera_usd else "-",
                          "hardware": a.hardware or a.why or ""}
                         for a in (sizing.alternatives if sizing is not None else ())],
        "oos_summary": (oos.summary if oos is not None else "") or t("oos_absent"),
        "oos": [_pairing_row(p, t) for p in (oos.pairings if oos is not None else ())],
        "calibration": calibration_lines(costs, t) + portal_cost_lines(costs, t),
        "outliers": [o.reason for o in (costs.fit.outlier_trials if costs is not None and costs.fit else ())],
        "assumptions": [t("assumption_row", label=b.label, source=b.source) for b in (sens.bars if sens else ())],
        "tornado": tornado_plot(sens, t),
        "tornado_absent": t("tornado_absent"),
    }


def portal_cost_lines(costs: Calibration | None, t: Tr) -> list[str]:
    """The portal's per-request cost: measured (with its spread) or the reference, and why."""
    pr = costs.portal_request if costs is not None else None
    if pr is None:
        return []
    if pr.provenance is CostSource.MEASURED and pr.ms_per_request is not None:
        s = (costs.spread or {}).get("portal_ms") if costs is not None else None
        scale = pr.scale_vs_reference
        lines = [t("portal_measured", ms=f"{pr.ms_per_request:.3g}", low=f"{s.low if s else 0:.3g}",
                   high=f"{s.high if s else 0:.3g}", trials=pr.trials, requests=f"{pr.requests:,}",
                   scale=f"{scale:.2f}" if scale else "-")]
        if pr.grab_ms_per_snapshot is not None and pr.server_ms_per_request is not None:
            lines.append(t("portal_split", server=f"{pr.server_ms_per_request:.3g}",
                           grab=f"{pr.grab_ms_per_snapshot:.3g}"))
        return lines
    if pr.reason:
        overhead = pr.http_overhead_ms if pr.http_overhead_ms is not None else 0.5
        return [t("portal_reference", overhead=f"{overhead:g}", reason=pr.reason)]
    return []


def _n_g(x: float | None) -> str:
    return "-" if x is None else f"{x:g}"
