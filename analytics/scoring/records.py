"""What event-level scoring compares: ground-truth events and the stack's events, both placed on the
camera's stream timeline (seconds since the stream's first frame).

Both sides are reduced to the same record, ``Placed``: the camera, the rule, an ``attrs`` tuple that
must be equal for two events to match (class and direction of a line crossing, class of a parked
vehicle, level of a crowd window; empty for flood and garbage onsets), and a time ``t`` on the stream.
A ground-truth event at clip time ``c`` in loop ``L`` of a clip of ``d`` seconds sits at ``L * d + c``.

A stored event is placed by the clip position its own frame was decided at (``loop`` and ``clip_frame``
in its payload, written by ``analytics.pipeline`` from the frame's stream timestamp), so scoring needs
no wall-clock offset and nothing estimated from the events being scored. Which time a rule's event
stands for (``observed_time``):

| rule | truth time | stored event used, its time |
|---|---|---|
| ``line_count`` | first frame past the line | ``line_count`` at its deciding frame |
| ``illegal_parking`` | start of the dwell | ``illegal_parking`` (the decision), the settled stop's ``start_clip_s`` |
| ``zone_people`` | the window's last frame | the window's event, at its deciding frame |
| ``flood_level`` | onset (level over ``FLOOD_ONSET``) | the loop's first window over it, at its deciding frame |
| ``garbage_presence`` | onset (garbage appears) | the loop's first window with garbage present, at its deciding frame |
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

from analytics.store import Event

RULES = ("line_count", "illegal_parking", "zone_people", "flood_level", "garbage_presence")
FLOOD_ONSET = 0.1        # a flood starts when this share of the region's rows is under water


@dataclass(frozen=True)
class Placed:
    """One event on a camera's stream timeline (truth or stored)."""

    camera_id: str
    rule: str
    attrs: tuple[str, ...]
    t: float
    loop: int

    @property
    def label(self) -> str:
        """The class (or level) the event is reported under; '-' for onsets."""
        return self.attrs[0] if self.attrs else "-"


def line_direction_names(line) -> dict[str, str]:
    """The line rule's side sign ('+'/'-' of the side reached) as ground-truth direction names.

    The generated ground truth names a crossing by its horizontal motion; the rule names the side
    of its line the track reached. The side to the right of the line's midpoint decides which is which.
    """
    (x1, y1), (x2, y2) = line
    mx, my = (x1 + x2) / 2, (y1 + y2) / 2
    right = (x2 - x1) * (my - y1) - (y2 - y1) * (mx + 0.1 - x1)
    return ({"+": "left_to_right", "-": "right_to_left"} if right > 0 else
            {"+": "right_to_left", "-": "left_to_right"})


def _position(e: Event, fps: float) -> tuple[int, float] | None:
    """(loop, clip seconds) of the frame the event was decided at, from its payload."""
    p = e.payload
    loop = p.get("loop")
    if not isinstance(loop, int):
        return None
    if isinstance(p.get("clip_frame"), int):
        return loop, p["clip_frame"] / fps
    if isinstance(p.get("t_clip"), (int, float)):
        return loop, float(p["t_clip"])
    return None


def observed_events(events: Iterable[Event], fps: float, clip_frames: int, directions: dict[str, str],
                    flood_onset: float = FLOOD_ONSET) -> list[Placed]:
    """The stack's events as ``Placed`` records. An event without a clip position (written before events
    carried one) cannot be placed and is left out; flood and garbage windows become one onset per loop."""
    duration = clip_frames / fps
    out: list[Placed] = []
    onsets: dict[tuple[str, str, int], Placed] = {}
    for e in events:
        pos = _position(e, fps)
        if pos is None:
            continue
        loop, clip_t = pos
        p = e.payload
        t = loop * duration + clip_t
        if e.type == "line_count":
            out.append(Placed(e.camera_id, "line_count",
                              (str(p.get("cls")), directions.get(str(p.get("direction")), "?")), t, loop))
        elif e.type == "illegal_parking" and isinstance(p.get("start_clip_s"), (int, float)):
            out.append(Placed(e.camera_id, "illegal_parking", (str(p.get("cls")),),
                              loop * duration + float(p["start_clip_s"]), loop))
        elif e.type == "zone_people":
            out.append(Placed(e.camera_id, "zone_people", (str(p.get("level")),), t, loop))
        elif e.type in ("flood_level", "garbage_presence"):
            on = (p.get("level") is not None and p["level"] >= flood_onset) if e.type == "flood_level" \
                else bool(p.get("present"))
            key = (e.camera_id, e.type, loop)
            if on and (key not in onsets or t < onsets[key].t):
                onsets[key] = Placed(e.camera_id, e.type, (), t, loop)
    return out + list(onsets.values())
