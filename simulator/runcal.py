"""Calibration from a run's own measurements, in CPU terms.

Per trial a run records the stack's process CPU (``cpu_pct.stack``, by PID), the frames it decoded and
analysed per second (``decoded_fps_total``, ``analysed_fps_total``) and the CPU of the other parts on the
same machine (``cpu_pct.fleet``, ``cpu_pct.portal``, ``cpu_pct.load``). From these:

- the stack's CPU cost per decoded frame and per analysed frame: non-negative least squares of
  ``cpu_pct.stack / 100 = decode_s x decoded/s + analyse_s x analysed/s`` over every measured trial. The
  fit uses the measured rates and CPU only, never a trial's SLO verdict. When the trials cannot separate
  the two costs (one load mix only, or a degenerate fit), the stack's own CPU-time stats
  (``decode_cpu_ms`` per frame, ``detect_cpu_ms`` per analysed frame) are used, then the reference;
- the cores the stack had at each step: the machine's cores minus the measured CPU of everything else
  on it (the run's other parts by PID, and work not of this run).

``run_costs`` returns them in the ``measured_costs`` shape ``calibration_from_results`` reads
(schema version 1; the extra keys ``provenance``, ``fit``, ``stack_cores`` are additive).
"""
from __future__ import annotations

import statistics
from typing import Any, Iterable

import numpy as np

OTHER_PARTS = ("fleet", "portal", "load")
MIN_COND_SPREAD = 0.15      # the trials' analysed/decoded ratios must differ by this share to fit both costs


def _trials(results: dict[str, Any]) -> Iterable[tuple[dict, dict]]:
    for step in results.get("steps", []):
        for t in step.get("trials", []):
            if not t.get("partial"):
                yield step, t.get("metrics", {})


def _num(m: dict, k: str) -> float | None:
    v = m.get(k)
    return float(v) if isinstance(v, (int, float)) else None


def fit_costs(results: dict[str, Any]) -> dict[str, Any]:
    """Seconds of stack CPU per decoded and per analysed frame, with how they were obtained."""
    rows: list[tuple[float, float]] = []
    y: list[float] = []
    dec_stat: list[float] = []
    det_stat: list[float] = []
    for _, m in _trials(results):
        cpu, d, a = _num(m, "cpu_pct.stack"), _num(m, "decoded_fps_total"), _num(m, "analysed_fps_total")
        if cpu is not None and d is not None and a is not None and (d > 0 or a > 0):
            rows.append((d, a))
            y.append(cpu / 100.0)
        if (dec_ms := _num(m, "decode_cpu_ms")) is not None:
            dec_stat.append(dec_ms)
        if (det_ms := _num(m, "detect_cpu_ms")) is not None:
            det_stat.append(det_ms)
    out: dict[str, Any] = {"trials": len(rows)}
    if len(rows) >= 2:
        from scipy.optimize import nnls
        x, yv = np.array(rows, dtype=float), np.array(y, dtype=float)
        ratios = x[:, 1] / np.maximum(x[:, 0], 1e-9)
        spread = (ratios.max() - ratios.min()) / max(ratios.max(), 1e-9)
        coef, _ = nnls(x, yv)
        if spread >= MIN_COND_SPREAD and coef[0] > 0 and coef[1] > 0:
            pred = x @ coef
            out.update({"decode_s": float(coef[0]), "analyse_s": float(coef[1]), "method": "nnls",
                        "rms_cores": float(np.sqrt(np.mean((pred - yv) ** 2))),
                        "r2": float(1 - np.sum((pred - yv) ** 2) / max(np.sum((yv - yv.mean()) ** 2), 1e-12)),
                        "provenance": f"fitted on {len(rows)} trials: stack CPU vs decoded and analysed frames/s "
                                      "(non-negative least squares, no SLO verdicts used)"})
            return out
        out["why_not_fitted"] = (f"the trials' analysed/decoded ratios differ by {spread:.0%} only"
                                 if spread < MIN_COND_SPREAD else "the fit put a cost at zero")
    if dec_stat and det_stat:
        out.update({"decode_s": statistics.median(dec_stat) / 1000.0,
                    "analyse_s": statistics.median(det_stat) / 1000.0, "method": "stack_stats",
                    "provenance": f"the stack's CPU-time stats (decode_cpu_ms, detect_cpu_ms; median of "
                                  f"{len(dec_stat)} trials)"})
        return out
    if rows and dec_stat:       # decode from the stack's stats, the analysed cost from the CPU left over
        d_s = statistics.median(dec_stat) / 1000.0
        left = [(yy - d_s * r[0], r[1]) for yy, r in zip(y, rows) if r[1] > 0]
        if left:
            a_s = max(sum(c for c, _ in left) / sum(a for _, a in left), 0.0)
            if a_s > 0:
                out.update({"decode_s": d_s, "analyse_s": a_s, "method": "stack_stats+cpu",
                            "provenance": "decode from the stack's decode_cpu_ms; per analysed frame the "
                                          "stack's remaining CPU over the frames analysed"})
                return out
    out["method"] = "reference"
    out["provenance"] = "reference calibration (the run measured too little to fit: " + \
                        out.get("why_not_fitted", "no stack CPU with frame rates") + ")"
    return out


def stack_cores(results: dict[str, Any], machine_cores: int) -> list[dict[str, Any]]:
    """Per measured step, the cores the stack had: machine cores minus the CPU of everything else on the
    machine, medians over the step's trials: the run's other parts (``others_cores``: fleet, portal, load
    generator, by PID) and work not of this run (``external_cores``: the machine's CPU less the run's parts).
    """
    axis = results.get("axis", "cameras")
    out = []
    for step in results.get("steps", []):
        ms = [t.get("metrics", {}) for t in step.get("trials", []) if not t.get("partial")]
        others = [sum(_num(m, f"cpu_pct.{p}") or 0.0 for p in OTHER_PARTS) / 100.0 for m in ms]
        external = [max((_num(m, "cpu_pct.machine") or 0.0) - (_num(m, "cpu_pct.total") or 0.0), 0.0) / 100.0
                    for m in ms if _num(m, "cpu_pct.machine") is not None]
        if others:
            o = statistics.median(others)
            e = statistics.median(external) if external else 0.0
            out.append({"step": step["index"], "value": step["load"].get(axis), "others_cores": round(o, 3),
                        "external_cores": round(e, 3), "cores": round(max(machine_cores - o - e, 0.1), 3)})
    return out


def cores_at(table: list[dict[str, Any]], value: float, machine_cores: int) -> tuple[float, str]:
    """The stack's cores at an axis value: measured there, else the run's other parts' CPU extrapolated
    linearly along the axis and the external load at its median over the measured steps."""
    for r in table:
        if r["value"] == value:
            return r["cores"], "measured at this step"
    if not table:
        return float(machine_cores), "no measurement: all the machine's cores"
    xs = np.array([r["value"] for r in table], dtype=float)
    os_ = np.array([r["others_cores"] for r in table], dtype=float)
    ext = statistics.median([r.get("external_cores") or 0.0 for r in table])
    if len(set(xs.tolist())) >= 2:
        slope, icpt = np.polyfit(xs, os_, 1)
        o = max(float(slope * value + icpt), 0.0)
        how = "others' CPU extrapolated linearly from the measured steps, external load at its median"
    else:
        o, how = float(os_[-1]), "others' CPU and external load as at the last measured step"
    return max(machine_cores - o - ext, 0.1), how


def run_costs(results: dict[str, Any], *, machine_cores: int, ref_decode_ms_mix: float,
              ref_decode_rows: list[dict], detector_key: dict[str, Any],
              ref_detector_rows: list[dict] | None = None, seed: int = 0) -> dict[str, Any]:
    """``measured_costs`` for a run: decode rows (the reference's resolution curve scaled to the fitted
    cost of this run's camera mix), a detector row for the run's backend and input size (CPU per analysed
    frame: detection, tracking, rules; other backends and sizes kept from the reference), and the stack's
    cores per step. Sections the run could not measure are left out (-> reference).

    Only trials strictly below the knee calibrate, outlier trials left out, and the costs carry their
    bootstrap spread (``simulator.calspread``)."""
    from simulator.calspread import below_knee, bootstrap, outlier_trials, without
    below = below_knee(results)
    outliers = outlier_trials(below)
    used = without(below, outliers)
    fit = fit_costs(used)
    fit["steps_used"] = [st["index"] for st in used.get("steps", [])]
    fit["outlier_trials"] = outliers
    costs: dict[str, Any] = {"schema_version": 1, "fit": fit,
                             "stack_cores": stack_cores(used, machine_cores),
                             "machine_cores": machine_cores, "provenance": {}}
    if fit["method"] != "reference":
        k = fit["decode_s"] * 1000.0 / ref_decode_ms_mix
        costs["decode_ms"] = [{**r, "ms_per_frame": max(r["ms_per_frame"] * k, 1e-4)} for r in ref_decode_rows]
        costs["detector_ms"] = [{**detector_key, "batch": 1, "ms_per_batch": fit["analyse_s"] * 1000.0}] + [
            r for r in (ref_detector_rows or [])          # other backends and input sizes: the reference's
            if (r["backend"], r["input_size"]) != (detector_key["backend"], detector_key["input_size"])]
        fit["decode_scale_vs_reference"] = round(k, 3)
        spread = bootstrap(used, fit_costs, np.random.default_rng(seed))
        if spread:           # relative spread of this run's costs; applies to every row it scaled
            costs["spread"] = {key: {**v, "of": "ms per decoded frame of the run's mix" if key == "decode_ms"
                                     else "ms per analysed frame"} for key, v in spread.items()}
        costs["provenance"] = {
            "decode_ms": f"{fit['provenance']}; {fit['decode_s'] * 1000:.2f} ms per decoded frame of this run's "
                         f"mix (x{k:.2f} the reference curve)",
            "detector_ms": f"{fit['provenance']}; {fit['analyse_s'] * 1000:.1f} ms per analysed frame "
                           "(detection + tracking + rules)"}
        kept = f"; steps strictly below the knee only, {len(outliers)} outlier trial(s) left out"
        costs["provenance"] = {k2: v + kept for k2, v in costs["provenance"].items()}
    return costs


# ---- the portal's CPU per request (measured by the run's portal component) ----

MIN_PORTAL_REQUESTS = 200       # fewer requests in the calibrating trials: the reference is kept
MIN_TRIAL_REQUESTS = 20         # a trial with fewer measures mostly the portal's idle work
MIN_PORTAL_TRIALS = 2           # a spread needs more than one trial
PORTAL_ENDPOINTS = ("hls_playlist", "hls_segment", "camera_list", "events", "snapshot")
ROUTE_ENDPOINT = {"live_playlist": "hls_playlist", "live_segment": "hls_segment", "snapshot": "snapshot",
                  "events": "events", "event_counts": "events", "cameras": "camera_list", "camera": "camera_list",
                  "groups": "camera_list", "my_cameras": "camera_list", "operator_wall": "camera_list",
                  "operator_status": "camera_list"}
DEFAULT_ENDPOINT = "camera_list"   # login, leave, redirects, errors: small requests, counted as a list page


def portal_mix(trials: Iterable[dict[str, Any]]) -> dict[str, float]:
    """Share of each simulator endpoint in the requests the portal answered in the trials (their metrics'
    ``portal_requests.<route>``)."""
    counts = dict.fromkeys(PORTAL_ENDPOINTS, 0.0)
    for m in trials:
        for k, v in m.items():
            if k.startswith("portal_requests.") and isinstance(v, (int, float)):
                counts[ROUTE_ENDPOINT.get(k.split(".", 1)[1], DEFAULT_ENDPOINT)] += float(v)
    total = sum(counts.values())
    return {e: round(n / total, 4) for e, n in counts.items() if n > 0} if total else {}


def portal_costs(results: dict[str, Any], *, ref_portal_ms: dict[str, float], http_overhead_ms: float,
                 min_requests: int = MIN_PORTAL_REQUESTS, seed: int = 0) -> dict[str, Any]:
    """The portal's calibration from its measured CPU per request (``portal_cpu_ms_per_request`` per trial,
    ``benchmarks.runner.portal_cost``), in the ``measured_costs`` shape.

    Like the stack's costs, only trials strictly below the knee calibrate, outlier trials left out; of
    those, trials with at least ``MIN_TRIAL_REQUESTS`` requests. The cost is the median of their per-trial
    figures, its spread the bootstrap of that median over the trials. The figure is the server's whole CPU
    per request (HTTP included) for the run's request mix. For the rows it is split: the CPU of the
    children the workers reaped (``portal_child_cpu_s``: ffmpeg snapshot grabs) per snapshot request goes to
    the snapshot row alone; the processes' own CPU per request scales the reference's endpoint costs (in
    process, plus the assumed HTTP overhead) by measured / reference-cost-of-the-same-mix, so the endpoints
    keep their relative costs and the rows include HTTP (``portal_includes_http``).

    Returns ``portal_ms``, ``portal_includes_http``, ``portal_request`` (provenance ``measured``),
    ``spread.portal_ms`` and ``provenance.portal_ms``; or only ``portal_request`` with provenance
    ``reference`` and the reason."""
    from simulator.calspread import BOOTSTRAP, below_knee, outlier_trials, without
    below = below_knee(results)
    used = without(below, outlier_trials(below))
    figures, requests, kept, own, grab = [], 0, [], [], []
    for _, m in _trials(used):
        n, ms = _num(m, "portal_requests"), _num(m, "portal_cpu_ms_per_request")
        if n is not None and ms is not None and n >= MIN_TRIAL_REQUESTS and ms > 0:
            figures.append(ms)
            requests += int(n)
            kept.append(m)
            child, snaps = _num(m, "portal_child_cpu_s") or 0.0, _num(m, "portal_requests.snapshot") or 0.0
            if snaps > 0:        # the reaped children's CPU (ffmpeg grabs) goes to the snapshots alone
                own.append(ms - 1000.0 * child / n)
                grab.append(1000.0 * child / snaps)
            else:
                own.append(ms)
    record: dict[str, Any] = {"trials": len(figures), "requests": requests, "includes_http": True,
                              "http_overhead_ms": http_overhead_ms}
    why = None
    if not figures:
        why = ("the run measured no portal CPU per request below the knee (no portal in the run, or no trial "
               f"with {MIN_TRIAL_REQUESTS} or more requests)")
    elif requests < min_requests:
        why = f"{requests} requests measured below the knee, fewer than {min_requests}"
    elif len(figures) < MIN_PORTAL_TRIALS:
        why = f"{len(figures)} trial measured below the knee: no spread"
    if why is not None:
        return {"portal_request": {**record, "includes_http": False, "provenance": "reference", "reason": why}}
    v = np.array(figures, dtype=float)
    ms = float(np.median(v))
    rng = np.random.default_rng(seed)
    boot = np.median(v[rng.integers(0, len(v), (BOOTSTRAP, len(v)))], axis=1)
    mix = portal_mix(kept)
    own_ms = float(np.median(own))                       # the server's own CPU per request of the mix
    grab_ms = float(np.median(grab)) if grab else 0.0    # + the grabs' CPU per snapshot request
    ref_mix = sum(share * (ref_portal_ms[e] + http_overhead_ms) for e, share in mix.items()) if mix else None
    k = own_ms / ref_mix if ref_mix else None
    rows = [{"endpoint": e, "ms_per_request": round(max((c + http_overhead_ms) * k
                                                        + (grab_ms if e == "snapshot" else 0.0), 1e-4), 4),
             "note": "reference endpoint cost + HTTP overhead, scaled to the server's measured CPU per request"
                     + ("; + the measured ffmpeg grab CPU per snapshot" if e == "snapshot" and grab else "")}
            for e, c in ref_portal_ms.items()] if k else \
        [{"endpoint": e, "ms_per_request": round(ms, 4), "note": "the run's measured CPU per request (mix unknown)"}
         for e in ref_portal_ms]
    record.update({"provenance": "measured", "ms_per_request": round(ms, 4), "mix": mix,
                   "server_ms_per_request": round(own_ms, 4),
                   "grab_ms_per_snapshot": round(grab_ms, 4) if grab else None,
                   "scale_vs_reference": round(k, 3) if k else None})
    spread = {"median": round(float(np.median(boot)), 4), "low": round(float(np.percentile(boot, 2.5)), 4),
              "high": round(float(np.percentile(boot, 97.5)), 4),
              "rel_sd": round(float(boot.std(ddof=1) / boot.mean()), 4) if boot.mean() > 0 else 0.0,
              "resamples": BOOTSTRAP, "of": "ms of portal CPU per request of the run's mix, HTTP included"}
    scaled = f" (x{k:.2f} the reference's cost of the same mix)" if k else ""
    return {"portal_ms": rows, "portal_includes_http": True, "portal_request": record,
            "spread": {"portal_ms": spread},
            "provenance": {"portal_ms": f"measured on the running portal: median {ms:.3f} ms CPU per request "
                                        f"(HTTP included) over {len(figures)} trials, {requests} requests{scaled}; "
                                        "steps strictly below the knee only"}}


def merge_costs(costs: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    """``costs`` with ``extra``'s sections added; ``spread`` and ``provenance`` merged key by key."""
    out = {**costs, **{k: v for k, v in extra.items() if k not in ("spread", "provenance")}}
    for key in ("spread", "provenance"):
        if extra.get(key):
            out[key] = {**(costs.get(key) or {}), **extra[key]}
    return out
