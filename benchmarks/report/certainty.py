"""The report's "how sure is this answer" section: the sizing interval, the cheapest CPU-only and GPU
alternatives, the out-of-sample model check across CPU budgets, the calibration's spread and outlier
trials, which inputs are assumptions, and the tornado chart of the total cost against each assumption.

Everything comes from the results (``simulation.sizing`` with ``interval``, ``alternatives`` and
``sensitivity``; ``out_of_sample``; ``measured_costs``); a part the run does not hold says why.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from benchmarks.report.plots import _png, plt

Tr = Callable[..., str]


def _n(x: float | None) -> str:
    return "-" if x is None else f"{x:,.0f}"


def tornado_plot(sens: dict[str, Any] | None, t: Tr) -> str | None:
    bars = [b for b in (sens or {}).get("bars", []) if b.get("low_cost") is not None]
    if not bars:
        return None
    base = sens["base_cost"]
    fig, ax = plt.subplots(figsize=(7.5, 0.45 * len(bars) + 1.2))
    for i, b in enumerate(reversed(bars)):
        lo, hi = b["low_cost"] - base, b["high_cost"] - base
        ax.barh(i, lo, color="#2a62c9", height=0.6)
        ax.barh(i, hi, color="#d9822b", height=0.6)
    ax.set_yticks(range(len(bars)), [f"{b['label']} ({b['source']})" for b in reversed(bars)], fontsize=8)
    ax.axvline(0, color="#333", lw=0.8)
    ax.set_xlabel(t("tornado_x", base=_n(base), swing=f"{sens['swing']:.0%}"))
    ax.legend([t("tornado_low", swing=f"{sens['swing']:.0%}"), t("tornado_high", swing=f"{sens['swing']:.0%}")],
              fontsize=8, loc="lower right")
    fig.tight_layout()
    return _png(fig)


def interval_lines(iv: dict[str, Any] | None, t: Tr) -> list[str]:
    if not iv or not iv.get("items"):
        return []
    lines = [t("interval_head", ok=iv["replications"] - len(iv.get("failed") or []),
               planned=iv.get("planned", iv["replications"]), window=f"{iv['window_s']:g}")]
    for it in iv["items"]:
        lines.append(t("interval_item", item=it["item"], name=it["name"], p95=_n(it["p95"]), median=_n(it["median"]),
                       low=_n(it["low"]), high=_n(it["high"]), min=_n(it["min"]), max=_n(it["max"]),
                       chosen=it["chosen"], of=it["of"]))
    c = iv.get("cost_usd") or {}
    if c:
        lines.append(t("interval_cost", p95=_n(c["p95"]), median=_n(c["median"]), low=_n(c["low"]),
                       high=_n(c["high"])))
    return lines


def certainty(data: dict[str, Any], sizing: dict[str, Any] | None, t: Tr) -> dict[str, Any]:
    """The template's ``certainty`` context."""
    sizing = sizing or {}
    sens = sizing.get("sensitivity")
    oos = data.get("out_of_sample") or {}
    costs = data.get("measured_costs") or {}
    fit = costs.get("fit") or {}
    spread = [t("spread_row", cost=k, median=f"{v['median']:.3g}", low=f"{v['low']:.3g}", high=f"{v['high']:.3g}",
                rel=f"{v['rel_sd']:.0%}", of=v.get("of", "")) for k, v in (costs.get("spread") or {}).items()]
    outliers = fit.get("outlier_trials") or []
    assumptions = [t("assumption_row", label=b["label"], source=b["source"]) for b in (sens or {}).get("bars", [])]
    return {
        "interval": interval_lines(sizing.get("interval"), t),
        "interval_absent": t("interval_absent"),
        "alternatives": [{"kind": a["kind"], "cost": _n(a.get("cost_usd")),
                          "per_camera": f"{a['cost_per_camera_usd']:,.2f}" if a.get("cost_per_camera_usd") else "-",
                          "hardware": a.get("hardware") or a.get("why", "")} for a in sizing.get("alternatives", [])],
        "oos_summary": oos.get("summary") or t("oos_absent"),
        "oos": [{"cal": f"{p['calibrated_on']:g}", "for": f"{p['predicted_for']:g}", "meas": _n_g(p["measured_knee"]),
                 "pred": _n_g(p["predicted_knee"]),
                 "slos": f"{p['measured_binding_slo']} / {p['predicted_binding_slo']}",
                 "status": t("oos_counts") if p["status"] == "counts" else t("oos_not_comparable"),
                 "error": f"{p['rel_error']:.0%}" if p.get("rel_error") is not None else "-",
                 "within": p.get("within_target"), "reason": p.get("reason", "")} for p in oos.get("pairings", [])],
        "calibration": ([t("cal_used", steps=len(fit.get("steps_used") or []), trials=fit.get("trials", 0),
                           outliers=len(outliers), method=fit.get("method", "reference"))] + spread
                        if fit else [t("cal_absent")]) + portal_cost_lines(costs, t),
        "outliers": [o["reason"] for o in outliers],
        "assumptions": assumptions,
        "tornado": tornado_plot(sens, t),
        "tornado_absent": t("tornado_absent"),
    }


def portal_cost_lines(costs: dict[str, Any], t: Tr) -> list[str]:
    """The portal's per-request cost: measured (with its spread) or the reference, and why."""
    pr = costs.get("portal_request") or {}
    if pr.get("provenance") == "measured":
        s = (costs.get("spread") or {}).get("portal_ms") or {}
        scale = pr.get("scale_vs_reference")
        return [t("portal_measured", ms=f"{pr['ms_per_request']:.3g}", low=f"{s.get('low', 0):.3g}",
                  high=f"{s.get('high', 0):.3g}", trials=pr.get("trials", 0), requests=f"{pr.get('requests', 0):,}",
                  scale=f"{scale:.2f}" if scale else "-")] + (
            [t("portal_split", server=f"{pr['server_ms_per_request']:.3g}", grab=f"{pr['grab_ms_per_snapshot']:.3g}")]
            if pr.get("grab_ms_per_snapshot") is not None and pr.get("server_ms_per_request") is not None else [])
    if pr.get("reason"):
        return [t("portal_reference", overhead=f"{pr.get('http_overhead_ms', 0.5):g}", reason=pr["reason"])]
    return []


def _n_g(x: float | None) -> str:
    return "-" if x is None else f"{x:g}"
