"""What the report takes from the simulator: sizing for the Semarang target (BOM, cost, headroom,
binding resource) and city-scale curves with confidence bands.

The simulator's entry points are looked up when the report is built; when they are missing or fail,
the report states why and shows no number (nothing simulated is invented here).
"""
from __future__ import annotations

import logging
from typing import Any

log = logging.getLogger(__name__)



def simulated(results: dict[str, Any]) -> dict[str, Any]:
    """``{"sizing": dict|None, "sizing_why": str, "curves": list, "curves_why": str, "limits": list}``."""
    out: dict[str, Any] = {"sizing": None, "sizing_why": "", "curves": [], "curves_why": "", "limits": []}
    stored = results.get("simulation")
    if isinstance(stored, dict):
        out["sizing"] = stored.get("sizing")
        out["curves"] = stored.get("curves") or []
        out["limits"] = stored.get("limits") or []
    if out["sizing"] is None:
        out["sizing_why"] = (stored or {}).get("sizing_why") or \
            "the run holds no simulator sizing (the simulator's sizing was not wired into this run)"
    if not out["curves"]:
        out["curves_why"] = (stored or {}).get("curves_why") or \
            "the run holds no simulated city-scale curves"
    return out
