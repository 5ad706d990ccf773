"""Analytic rules as small plug-ins, built from the scenario's ``stack.classes[].rules`` (keyed by ``type``)."""
from __future__ import annotations

from analytics.geometry import rect_to_poly
from analytics.rules.base import FrameInfo, Rule, RuleEvent
from analytics.rules.counting import LineCount, ZonePeople
from analytics.rules.parking import IllegalParking
from analytics.rules.scene_state import FloodLevel, GarbagePresence, MaskCompliance
from common.errors import InputError

__all__ = ["FrameInfo", "Rule", "RuleEvent", "build_rules"]


def build_rules(configs, geometry: dict, where: str = "stack.classes[].rules") -> list[Rule]:
    """Rule objects of one camera; zones default to the scene geometry (normalised)."""
    rules: list[Rule] = []
    for i, c in enumerate(configs):
        here = f"{where}[{i}]"
        if c.type == "line_count":
            rules.append(LineCount(c.line or geometry["counting_line"], c.classes))
        elif c.type == "zone_people":
            rules.append(ZonePeople(c.zone or [(0, 0), (1, 0), (1, 1), (0, 1)], c.window_s, c.crowd_levels))
        elif c.type == "illegal_parking":
            rules.append(IllegalParking(c.zone or rect_to_poly(geometry["no_parking_zone"]),
                                        c.min_dwell_s, c.max_speed))
        elif c.type == "flood_level":
            rules.append(FloodLevel(c.region or rect_to_poly(geometry["flood_region"]), c.window_s))
        elif c.type == "garbage_presence":
            rules.append(GarbagePresence(c.region or rect_to_poly(geometry["garbage_region"]), c.window_s))
        elif c.type == "mask_compliance":
            if c.model is not None:
                raise InputError("no face-mask classifier backend exists in this version; leave 'model' out "
                                 "(the rule then reports 'disabled: needs a mask model')",
                                 where=f"{here}.model: {c.model}")
            rules.append(MaskCompliance())
        else:  # pragma: no cover - the config union forbids it
            raise InputError(f"unknown analytic type {c.type!r}", where=f"{here}.type")
    return rules
