"""How sure a run's calibration is: which trials to leave out, and the spread of the fitted costs.

**Which trials calibrate.** Only trials of steps strictly below the knee (``below_knee``): at and past the
knee the stack is saturated, frames queue and drop, and its CPU per frame no longer measures a cost (the
knee is also what the calibration is later asked to predict). Among those, a trial is an **outlier** when
the machine was busy with work not of this run: its CPU outside the run's processes
(``cpu_pct.machine - cpu_pct.total``) is more than ``max(3 x 1.4826 x MAD, 0.25 cores)`` above the median
over the trials. A neighbour's burst slows the stack's processes down (shared caches and cores) and would
be fitted into the cost; such trials are recorded with the reason and left out.

**Spread.** The costs are refitted on ``B`` bootstrap resamples of the calibrating trials (drawn with
replacement, same size); the spread is the 2.5th-97.5th percentile range and the relative standard
deviation of the refitted costs. The sizing interval (``simulator.uncertainty``) draws costs with it.
"""
from __future__ import annotations

import statistics
from collections.abc import Callable
from typing import Any

import numpy as np

MAD_TO_SD = 1.4826
OUTLIER_MIN_CORES = 0.25
BOOTSTRAP = 200


def below_knee(results: dict[str, Any]) -> dict[str, Any]:
    """The results with only the steps strictly below the knee on the stepped axis (all when no knee)."""
    knee = results.get("knee")
    if not knee or knee.get("value") is None:
        return results
    axis = results.get("axis", "cameras")
    steps = [s for s in results.get("steps", []) if s["load"].get(axis, 0) < knee["value"]]
    return {**results, "steps": steps}


def _external_cores(m: dict[str, Any]) -> float | None:
    machine, ours = m.get("cpu_pct.machine"), m.get("cpu_pct.total")
    if not isinstance(machine, (int, float)) or not isinstance(ours, (int, float)):
        return None
    return max(machine - ours, 0.0) / 100.0


def outlier_trials(results: dict[str, Any]) -> list[dict[str, Any]]:
    """The trials measured while the machine was busy with other work: ``{step, trial, external_cores,
    limit, reason}`` each."""
    seen = []
    for step in results.get("steps", []):
        for t in step.get("trials", []):
            e = _external_cores(t.get("metrics", {}))
            if e is not None and not t.get("partial"):
                seen.append((step["index"], t.get("trial", 0), e))
    if len(seen) < 3:
        return []
    ext = [e for *_, e in seen]
    med = statistics.median(ext)
    mad = statistics.median(abs(e - med) for e in ext)
    limit = med + max(3 * MAD_TO_SD * mad, OUTLIER_MIN_CORES)
    return [{"step": s, "trial": k, "external_cores": round(e, 3), "limit": round(limit, 3),
             "reason": f"machine CPU not of this run {e:.2f} cores, over {limit:.2f} (median {med:.2f})"}
            for s, k, e in seen if e > limit]


def without(results: dict[str, Any], trials: list[dict[str, Any]]) -> dict[str, Any]:
    """The results without the given trials (matched by step index and trial number)."""
    drop = {(t["step"], t["trial"]) for t in trials}
    steps = [{**s, "trials": [t for t in s.get("trials", []) if (s["index"], t.get("trial", 0)) not in drop]}
             for s in results.get("steps", [])]
    return {**results, "steps": steps}


def bootstrap(results: dict[str, Any], fit: Callable[[dict[str, Any]], dict[str, Any]],
              rng: np.random.Generator, n: int = BOOTSTRAP) -> dict[str, dict[str, float]]:
    """Refit ``fit`` (results -> {decode_s, analyse_s, method}) on ``n`` resamples of the trials; per cost
    (``decode_ms``, ``detector_ms``) the median, 2.5-97.5% range, relative sd and resamples that fitted."""
    pool = [(s, t) for s in results.get("steps", []) for t in s.get("trials", []) if not t.get("partial")]
    if len(pool) < 2:
        return {}
    draws: dict[str, list[float]] = {"decode_ms": [], "detector_ms": []}
    for _ in range(n):
        picked = rng.integers(0, len(pool), len(pool))
        steps: dict[int, dict[str, Any]] = {}
        for k, i in enumerate(picked):
            s, t = pool[int(i)]
            rec = steps.setdefault(s["index"], {**s, "trials": []})
            rec["trials"].append({**t, "trial": k})
        f = fit({**results, "steps": list(steps.values())})
        if f.get("method") in (None, "reference"):
            continue
        draws["decode_ms"].append(f["decode_s"] * 1000.0)
        draws["detector_ms"].append(f["analyse_s"] * 1000.0)
    out = {}
    for key, values in draws.items():
        if len(values) >= max(10, n // 4):
            v = np.array(values)
            out[key] = {"median": round(float(np.median(v)), 4), "low": round(float(np.percentile(v, 2.5)), 4),
                        "high": round(float(np.percentile(v, 97.5)), 4),
                        "rel_sd": round(float(v.std(ddof=1) / v.mean()), 4) if v.mean() > 0 else 0.0,
                        "resamples": len(values)}
    return out
