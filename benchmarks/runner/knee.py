"""SLO checks per trial, a verdict per step, and the knee: the first step where an SLO fails in more
than the set share of its trials. The SLO that fails most often there is the binding one."""
from __future__ import annotations

from typing import Any

from benchmarks.records import Knee, SloCheck, Verdict
from benchmarks.runner.metricdefs import SLO_METRICS


def check_slos(slos: dict[str, float], metrics: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Each declared SLO against one trial's metrics: ``{name: {metric, value, limit, ok}}``.

    ``ok`` is None when the metric was not measured (its component is not part of the run).
    """
    out = {}
    for name, limit in slos.items():
        metric, kind = SLO_METRICS[name]
        value = metrics.get(metric)
        if not isinstance(value, (int, float)):
            ok = None
        else:
            ok = value >= limit if kind == "min" else value <= limit
        out[name] = SloCheck(metric=metric, value=value, limit=limit, ok=ok).to_dict()
    return out


def step_verdict(trials: list[dict[str, Any]], fail_fraction: float) -> dict[str, Any]:
    """Share of trials each SLO failed in; the step fails if any share exceeds ``fail_fraction``."""
    shares: dict[str, float] = {}
    unmeasured = set()
    for name in {n for t in trials for n in t.get("slo", {})}:
        checked = [t["slo"][name]["ok"] for t in trials if t["slo"].get(name, {}).get("ok") is not None]
        if not checked:
            unmeasured.add(name)
            continue
        shares[name] = sum(not ok for ok in checked) / len(checked)
    failed = {n: s for n, s in shares.items() if s > fail_fraction}
    return Verdict(ok=not failed, failed=failed, fail_shares=shares, unmeasured=tuple(sorted(unmeasured)),
                   severity={n: _severity(trials, n) for n in failed}, trials=len(trials)).to_dict()


def _severity(trials: list[dict[str, Any]], name: str) -> float:
    """Median of how far past its limit an SLO was (value / limit; limit / value for a floor)."""
    metric, kind = SLO_METRICS[name]
    ratios = []
    for t in trials:
        c = t["slo"].get(name, {})
        v, lim = c.get("value"), c.get("limit")
        if not isinstance(v, (int, float)) or not lim:
            continue
        ratios.append((lim / v if v > 0 else float("inf")) if kind == "min" else v / lim)
    ratios.sort()
    return ratios[len(ratios) // 2] if ratios else 0.0


def binding_slo(verdict: dict[str, Any]) -> str | None:
    """The SLO failing in most trials; among equals, the one furthest past its limit."""
    failed = verdict.get("failed", {})
    if not failed:
        return None
    sev = verdict.get("severity", {})
    return max(sorted(failed), key=lambda n: (failed[n], sev.get(n, 0.0)))


def knee_record(step: dict[str, Any], axis: str) -> dict[str, Any]:
    v = step["verdict"]
    b = binding_slo(v)
    return Knee(step=step["index"], load=step["load"], axis=axis, value=step["load"].get(axis), binding_slo=b,
                fail_share=v["failed"].get(b), failed=v["failed"]).to_dict()


def measured_knee(steps: list[dict[str, Any]], axis: str) -> dict[str, Any] | None:
    """The first failing step's knee record, or None if every step passed."""
    for s in steps:
        if s.get("verdict", {}).get("ok") is False:
            return knee_record(s, axis)
    return None


def refined_knee(steps: list[dict[str, Any]], axis: str, last_pass: float, fail_index: int) -> dict[str, Any]:
    """The knee after refinement: the failing step ``fail_index`` with the last passing value below it
    and the resolution ``(knee - last_pass) / knee``."""
    step = next(s for s in steps if s["index"] == fail_index)
    rec = knee_record(step, axis)
    rec["last_passing_value"] = last_pass
    rec["resolution"] = round((rec["value"] - last_pass) / rec["value"], 4) if rec["value"] else None
    rec["refinement_steps"] = sum(1 for s in steps if s.get("refinement"))
    return rec
