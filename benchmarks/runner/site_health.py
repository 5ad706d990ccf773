"""Per-site health of NVR sites in a run, and whether a site's uplink is the binding resource.

Each trial, for every site with cameras online in the step: how many of its cameras are ready and read,
its fault state, and, for a site in its own namespace, what its uplink carried (bytes counted on this
host's end of the site's veth) against its shaped rate (``sites``, from the fleet); and the worst decoded
and analysed frame rates of its cameras in the stack (``sites_stack``). A site whose uplink ran at ``BINDING_UTIL`` of
its rate or more while its cameras were being read is an uplink that binds: the report names it.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from benchmarks.records import Step

BINDING_UTIL = 0.85       # a shaped link this full over a trial is the bottleneck: tbf holds it at its rate,
                          # and TCP's sawtooth under a tbf queue keeps a full link's average a little below


def _readers(item: dict) -> int:
    r = item.get("readers")
    return len(r) if isinstance(r, list) else int(r or 0)


def camera_streams(cameras) -> dict[str, tuple[float, float]]:
    """Camera id -> (kbit/s of its main stream, frames per second): the clip it serves (its size over one
    loop), so that the uplink check uses what the camera really sends, not the profile's nominal rate."""
    out = {}
    for c in cameras:
        fps = float(c.profile.fps)
        kbps = float(c.profile.bitrate_kbps)
        if c.clip is not None and c.clip_frames and Path(c.clip).is_file():
            kbps = Path(c.clip).stat().st_size * 8 / (c.clip_frames / fps) / 1000.0
        out[c.id] = (round(kbps, 1), fps)
    return out


def site_health(sites, status: dict[str, dict], online: list[str], bytes0: dict[str, int],
                duration_s: float, streams: dict[str, tuple[float, float]] | None = None
                ) -> dict[str, dict[str, Any]]:
    """``sites``: the fleet's ``SiteServing``; ``status``: camera id -> path item; ``bytes0``: the sites'
    uplink byte counters at the start of the trial; ``streams``: camera id -> (kbit/s, fps), which adds
    what the site's read cameras ask of its uplink (``demand_kbps``) and their frame rate."""
    on = set(online)
    now = sites.bytes_up()
    faults = {d["site"]: d["fault"] for d in sites.describe()}
    out: dict[str, dict[str, Any]] = {}
    for site in sites.sites:
        cams = [c for c in site.camera_ids() if c in on]
        if not cams:
            continue
        rec: dict[str, Any] = {
            "uplink": site.uplink.name, "up_mbit": site.uplink.up_mbit, "cameras": len(cams),
            "ready": sum(bool(status.get(c, {}).get("ready")) for c in cams),
            "read": sum(_readers(status.get(c, {})) > 0 for c in cams), "fault": faults.get(site.id, "online"),
            "up_mbps": None, "utilisation": None}
        if streams:
            read = [c for c in cams if _readers(status.get(c, {})) > 0 and c in streams]
            rec["demand_kbps"] = round(sum(streams[c][0] for c in read), 1)
            rec["camera_fps"] = max((streams[c][1] for c in read), default=None)
        if site.id in now and site.id in bytes0:
            mbps = 8 * max(now[site.id] - bytes0[site.id], 0) / max(duration_s, 1e-6) / 1e6
            rec["up_mbps"] = round(mbps, 3)
            rec["utilisation"] = round(mbps / site.uplink.up_mbit, 3)
        out[site.id] = rec
    return out


def stack_site_health(per_cam: dict[str, tuple[float, float]], site_of: dict[str, str]
                      ) -> dict[str, dict[str, Any]]:
    """Per site, the worst of its cameras as the stack saw them: frames decoded and analysed per second
    (``per_cam``: camera -> (decoded fps, analysed fps), for the step's online cameras)."""
    by_site: dict[str, list[tuple[float, float]]] = {}
    for cid, v in per_cam.items():
        if cid in site_of:
            by_site.setdefault(site_of[cid], []).append(v)
    return {sid: {"cameras": len(v), "decoded_fps_min": round(min(d for d, _ in v), 3),
                  "decoded_fps_mean": round(sum(d for d, _ in v) / len(v), 3),
                  "analysed_fps_min": round(min(a for _, a in v), 3)} for sid, v in sorted(by_site.items())}


def binding_uplink(health: dict[str, dict[str, Any]]) -> dict[str, Any] | None:
    """The fullest site uplink when it ran at ``BINDING_UTIL`` of its rate or more with cameras read."""
    full = [(h["utilisation"], sid) for sid, h in health.items()
            if h.get("utilisation") is not None and h["utilisation"] >= BINDING_UTIL and h["read"] > 0]
    if not full:
        return None
    util, sid = max(full)
    h = health[sid]
    return {"site": sid, "uplink": h["uplink"], "up_mbit": h["up_mbit"], "utilisation": util,
            "saturated_sites": len(full)}


def knee_binding_uplink(step: Step | dict[str, Any]) -> dict[str, Any] | None:
    """The site uplink that bound in most of a step's trials (None when none did in at least half)."""
    found = [t.metrics.get("site_uplink_binding") for t in Step.from_dict(step).trials]
    bound = [b for b in found if b]
    if not found or len(bound) * 2 < len(found):
        return None
    sites = [b["site"] for b in bound]
    site = max(sorted(set(sites)), key=sites.count)
    return max((b for b in bound if b["site"] == site), key=lambda b: b["utilisation"])


CARRIED_TOLERANCE = 0.3   # |predicted - measured| / measured Mbit/s a site's uplink carried over a trial: a few
                          # seconds of a looping clip send its bitrate give or take its GOP's big frames
SHARE_TOLERANCE = 0.2     # |predicted - measured| share of frames decoded (the stack's mean over the site)
AGREE_SHARE = 0.8         # the model agrees with the run when this share of the comparisons is within


def uplink_model_check(results: dict[str, Any], rates: dict[str, float] | None = None,
                       fill: float | None = None) -> dict[str, Any] | None:
    """The simulator's site-uplink model (``simulator.network.uplink_delivery``) against what the run's
    shaped uplinks did: per trial and namespaced site, from the uplink's rate and what its read cameras
    send, the Mbit/s the link carries and the share of frames that arrive, beside the measured ones.
    ``rates`` (site -> Mbit/s) gives the model other rates than the run shaped: a check that agrees
    whatever the rate would check nothing. None when the run measured no site uplinks."""
    from simulator.network import UPLINK_FILL, uplink_delivery
    fill = UPLINK_FILL if fill is None else fill
    sites: dict[str, dict[str, Any]] = {}
    compared = within = bound = 0
    skipped: dict[str, str] = {}
    for step in results.get("steps", []):
        for trial in step.get("trials", []):
            m = trial.get("metrics") or {}
            stack = m.get("sites_stack") or {}
            for sid, h in sorted((m.get("sites") or {}).items()):
                if h.get("up_mbps") is None or not h.get("demand_kbps"):
                    skipped[sid] = "not measured (outside a namespace, or no camera read)"
                    continue
                if h.get("fault", "online") != "online":
                    skipped[sid] = f"in a fault ({h['fault']})"
                    continue
                rate = float((rates or {}).get(sid, h["up_mbit"]))
                carried, share = uplink_delivery(h["demand_kbps"] * 1e3, rate * 1e6, fill)
                rec: dict[str, Any] = {
                    "step": step.get("index"), "uplink": h["uplink"], "model_up_mbit": rate,
                    "demand_mbps": round(h["demand_kbps"] / 1e3, 3), "predicted_mbps": round(carried / 1e6, 3),
                    "measured_mbps": h["up_mbps"], "predicted_frame_share": round(share, 3),
                    "measured_frame_share": None}
                err = abs(carried / 1e6 - h["up_mbps"]) / h["up_mbps"] if h["up_mbps"] > 0 else float("inf")
                ok = err <= CARRIED_TOLERANCE
                seen = stack.get(sid)
                if seen and h.get("camera_fps"):
                    got = seen.get("decoded_fps_mean", seen.get("decoded_fps_min", 0.0)) / h["camera_fps"]
                    rec["measured_frame_share"] = round(min(got, 1.0), 3)
                    ok = ok and abs(share - min(got, 1.0)) <= SHARE_TOLERANCE
                rec["carried_rel_error"] = round(err, 3) if err != float("inf") else None
                rec["within"] = ok
                prev = sites.get(sid, {"trials": 0, "trials_within": 0})
                rec["trials"], rec["trials_within"] = prev["trials"] + 1, prev["trials_within"] + ok
                sites[sid] = rec
                compared += 1
                within += ok
                bound += share < 1.0
    if not compared and not skipped:
        return None
    agree = within / compared if compared else None
    return {"model": "simulator.network.uplink_delivery", "fill": fill,
            "tolerance": {"carried_rel": CARRIED_TOLERANCE, "frame_share_abs": SHARE_TOLERANCE,
                          "agree_share": AGREE_SHARE},
            "rates": "as shaped" if not rates else "given", "compared": compared, "within": within,
            "bound_compared": bound, "within_share": round(agree, 3) if agree is not None else None,
            "ok": (agree >= AGREE_SHARE) if agree is not None else None,
            "sites": sites, "skipped": {k: v for k, v in skipped.items() if k not in sites}}
