"""The names the run and the simulator share: load axes, SLOs and their families, detector backends.

A run (``benchmarks``) measures and the simulator predicts; the model check compares the two, so both must
speak of the same axis, SLO and backend by the same name. Each name is defined here once; a name from an
older file (the simulator's ``analytic_fps`` axis, the calibration's ``torch`` and ``onnxruntime``
backends) is read as its current one with a warning saying what to write instead, and an unknown name is an
error that names it and lists the known ones.
"""
from __future__ import annotations

import enum
import functools
import logging
from typing import Annotated

from pydantic import BeforeValidator

log = logging.getLogger(__name__)


@functools.cache
def _warn_old(kind: str, old: str, new: str) -> None:
    """Once per process and old name: files keep loading, and the user learns the name to write."""
    log.warning("%s %r is the old name of %r; write %r (read as %r)", kind, old, new, new, new)


class _Vocabulary(enum.StrEnum):
    """A StrEnum whose ``parse`` upgrades old names and names the unknown one in its error."""

    @classmethod
    def _old_names(cls) -> dict[str, str]:
        return {}

    @classmethod
    def _kind(cls) -> str:
        return cls.__name__.lower()

    @classmethod
    def parse(cls, value: object):
        if isinstance(value, cls):
            return value
        if not isinstance(value, str):
            raise ValueError(f"{cls._kind()} must be a string, got {type(value).__name__}")
        try:
            return cls(value)
        except ValueError:
            pass
        new = cls._old_names().get(value)
        if new is not None:
            _warn_old(cls._kind(), value, new)
            return cls(new)
        raise ValueError(f"unknown {cls._kind()} {value!r}; known: {', '.join(m.value for m in cls)}")


class Axis(_Vocabulary):
    """An axis of load: what a run steps (``run.cameras``, ``run.sampling_fps``, ``run.viewers``) and what the
    simulator scales in its knee searches and sensitivity curves."""

    CAMERAS = "cameras"
    SAMPLING_FPS = "sampling_fps"        # analytic sampling fps per camera
    VIEWERS = "viewers"

    @classmethod
    def _old_names(cls) -> dict[str, str]:
        return {"analytic_fps": cls.SAMPLING_FPS.value}


class Family(enum.StrEnum):
    """The part of the system an SLO speaks for: the analytics pipeline (frames decoded, analysed, turned
    into events) or the portal (requests, viewers)."""

    ANALYTICS = "analytics"
    PORTAL = "portal"


class Slo(_Vocabulary):
    """Every SLO name. The run's (the scenario's ``slos:``, the knee's ``binding_slo``), the model check's
    ``overload`` (a station past saturation), and the simulator's own (``simulation.slos`` checked as
    ``SimResult.slo_breaches`` keys)."""

    # the run's
    MIN_ANALYSED_FPS = "min_analysed_fps"
    MIN_ANALYSED_SHARE = "min_analysed_share"
    ANALYTICS_LAG_P95_S = "analytics_lag_p95_s"
    STREAM_LOSS = "stream_loss"
    VIEWER_P95_MS = "viewer_p95_ms"
    VIEWER_TTFF_P95_MS = "viewer_ttff_p95_ms"
    PORTAL_ERROR_RATE = "portal_error_rate"
    # the model check's verdict on the simulated stations
    OVERLOAD = "overload"
    # the simulator's
    FRAME_TO_EVENT = "frame_to_event"
    FRAME_DROP = "frame_drop"
    API = "api"
    VIEWER_START = "viewer_start"
    VIEWERS_REFUSED = "viewers_refused"
    OVERLOADED = "overloaded"

    @property
    def family(self) -> Family | None:
        """The family; None for the two overload verdicts, whose family is that of the resources they name
        (``overload_family``)."""
        return SLO_FAMILY.get(self)

    @property
    def is_floor(self) -> bool:
        """True for a minimum (the value must stay at or above the limit), False for a maximum."""
        return self.value.startswith("min_")


RUN_SLOS = (Slo.MIN_ANALYSED_FPS, Slo.MIN_ANALYSED_SHARE, Slo.ANALYTICS_LAG_P95_S, Slo.STREAM_LOSS,
            Slo.VIEWER_P95_MS, Slo.VIEWER_TTFF_P95_MS, Slo.PORTAL_ERROR_RATE)
SIM_SLOS = (Slo.FRAME_TO_EVENT, Slo.FRAME_DROP, Slo.API, Slo.VIEWER_START, Slo.VIEWERS_REFUSED, Slo.OVERLOADED)

SLO_FAMILY: dict[Slo, Family] = {
    Slo.MIN_ANALYSED_FPS: Family.ANALYTICS, Slo.MIN_ANALYSED_SHARE: Family.ANALYTICS,
    Slo.ANALYTICS_LAG_P95_S: Family.ANALYTICS, Slo.STREAM_LOSS: Family.ANALYTICS,
    Slo.VIEWER_P95_MS: Family.PORTAL, Slo.VIEWER_TTFF_P95_MS: Family.PORTAL, Slo.PORTAL_ERROR_RATE: Family.PORTAL,
    Slo.FRAME_TO_EVENT: Family.ANALYTICS, Slo.FRAME_DROP: Family.ANALYTICS,
    Slo.API: Family.PORTAL, Slo.VIEWER_START: Family.PORTAL, Slo.VIEWERS_REFUSED: Family.PORTAL,
}

# The simulated stations by family: an overload verdict naming a portal resource speaks for the portal.
ANALYTICS_STATIONS = ("decode_cpu", "detector")
PORTAL_RESOURCES = ("portal_cpu", "egress_net")


def overload_family(resources: str | list[str] | tuple[str, ...]) -> Family:
    """The family of an overload verdict: the portal's when it names a portal resource."""
    named = [resources] if isinstance(resources, str) else list(resources)
    return Family.PORTAL if any(r in name for name in named for r in PORTAL_RESOURCES) else Family.ANALYTICS


def slo_family(name: str | None, overloaded: str = "") -> Family | None:
    """The family of an SLO by name (None: no name, or a name of no family); ``overloaded``: the resources an
    overload verdict names. An unknown name is an error naming it."""
    if not name:
        return None
    slo = Slo.parse(name)
    if slo in (Slo.OVERLOAD, Slo.OVERLOADED):
        return overload_family(overloaded)
    return slo.family


class Backend(_Vocabulary):
    """A detector backend, spelt as the stack's ``detector.type``: the scenario's stack section, the
    simulator's ``simulation.detector.backend`` and the calibration's ``detector_ms[].backend`` all use it."""

    ULTRALYTICS = "ultralytics"      # the PyTorch model through Ultralytics
    ONNX = "onnx"                    # an ONNX export on ONNX Runtime
    OPENVINO = "openvino"            # an OpenVINO export

    @classmethod
    def _old_names(cls) -> dict[str, str]:
        # the calibration's names before the stack and the simulator shared one spelling
        return {"torch": cls.ULTRALYTICS.value, "onnxruntime": cls.ONNX.value}


# Field types for pydantic models: a value is parsed by the enum's ``parse`` (old names upgraded).
AxisName = Annotated[Axis, BeforeValidator(Axis.parse)]
SloName = Annotated[Slo, BeforeValidator(Slo.parse)]
BackendName = Annotated[Backend, BeforeValidator(Backend.parse)]
