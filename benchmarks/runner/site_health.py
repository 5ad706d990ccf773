"""Per-site health of NVR sites in a run, and whether a site's uplink is the binding resource.

Each trial, for every site with cameras online in the step: how many of its cameras are ready and read,
its fault state, and, for a site in its own namespace, what its uplink carried (bytes counted on this
host's end of the site's veth) against its shaped rate (``sites``, from the fleet); and the worst decoded
and analysed frame rates of its cameras in the stack (``sites_stack``). A site whose uplink ran at ``BINDING_UTIL`` of
its rate or more while its cameras were being read is an uplink that binds: the report names it.
"""
from __future__ import annotations

from typing import Any

from benchmarks.records import Step

BINDING_UTIL = 0.85       # a shaped link this full over a trial is the bottleneck: tbf holds it at its rate,
                          # and TCP's sawtooth under a tbf queue keeps a full link's average a little below


def _readers(item: dict) -> int:
    r = item.get("readers")
    return len(r) if isinstance(r, list) else int(r or 0)


def site_health(sites, status: dict[str, dict], online: list[str], bytes0: dict[str, int],
                duration_s: float) -> dict[str, dict[str, Any]]:
    """``sites``: the fleet's ``SiteServing``; ``status``: camera id -> path item; ``bytes0``: the sites'
    uplink byte counters at the start of the trial."""
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
