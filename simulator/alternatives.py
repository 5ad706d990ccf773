"""The cheapest CPU-only and the cheapest GPU hardware side by side, with the cost per camera.

``simulator.sizing.size`` returns the cheapest set whatever its detection runs on. The two alternatives
are that same search restricted: **CPU only** searches a catalogue without GPUs; **GPU** searches with
CPU detection priced out (the calibration's CPU detector cost for the scenario's backend made larger than
any SLO allows, so every CPU-detection option fails the search's own unloaded-latency check, while GPU
options use the catalogue's GPU throughput and are untouched). An alternative that cannot meet the SLOs
says why instead of a price.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from common.errors import TilikError
from simulator.calibration import Calibration
from simulator.config import SimScenario
from simulator.hardware import Catalogue, load_catalogue
from simulator.sizing import SizingResult, size

PRICED_OUT_MS = 1e9


@dataclass
class Alternative:
    kind: str                       # "CPU only" | "GPU"
    result: SizingResult | None
    why: str = ""
    cameras: int = 0

    @property
    def cost_per_camera(self) -> float | None:
        return self.result.cost / self.cameras if self.result is not None and self.cameras else None

    def to_dict(self) -> dict[str, Any]:
        if self.result is None:
            return {"kind": self.kind, "why": self.why}
        r = self.result
        return {"kind": self.kind, "cost_usd": r.cost, "cost_per_camera_usd": round(self.cost_per_camera or 0, 2),
                "cameras": self.cameras, "hardware": r.hardware.describe(), "binding_resource": r.binding_resource,
                "bom": [{"item": b.item, "name": b.name, "quantity": b.quantity} for b in r.bom]}


def cpu_detection_priced_out(cal: Calibration, backend: str) -> Calibration:
    rows = [r.model_copy(update={"ms_per_batch": PRICED_OUT_MS}) if r.backend == backend else r
            for r in cal.detector_ms]
    return cal.model_copy(update={"detector_ms": rows})


def alternatives(scenario: SimScenario, cal: Calibration, cat: Catalogue | None = None) -> list[Alternative]:
    sim = scenario.simulation
    cat = cat or load_catalogue(sim.catalogue if sim is not None else None)
    cameras = sum(c.count for c in scenario.cameras.classes)
    out = []
    for kind, c, k in (("CPU only", cal, cat.model_copy(update={"gpus": []})),
                       ("GPU", cpu_detection_priced_out(cal, sim.detector.backend), cat)):
        if kind == "GPU" and not cat.gpus:
            out.append(Alternative(kind, None, "the catalogue lists no GPU", cameras))
            continue
        try:
            out.append(Alternative(kind, size(scenario, c, k, day_check=False), cameras=cameras))
        except TilikError as e:
            out.append(Alternative(kind, None, e.message, cameras))
    return out
