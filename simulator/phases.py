"""Phasing the purchase for the scenario's growth (the scenario's ``growth:`` section).

A growth plan lists phases in order, each naming camera counts per class (classes it does not name keep
the scenario's count): e.g. 14,000 cameras today, the 20,293 RT cameras of the target, then the private
cameras joining. The first phase is sized on the whole catalogue (``simulator.sizing.size``); later phases
on the models it chose, so that they add units of the same servers and GPUs; what to buy in a phase is,
per BOM item and model, what the phase needs beyond what the earlier phases bought. When those models
cannot meet the SLOs any more, the phase is sized on the whole catalogue, the earlier units stay in
service and the phase buys its own count of the new model; the plan says so.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pydantic import Field, model_validator

from common.config import StrictModel
from common.errors import TilikError
from simulator.calibration import Calibration
from simulator.config import SimScenario
from simulator.hardware import Catalogue, load_catalogue
from simulator.sizing import SizingResult, size


class Phase(StrictModel):
    name: str = Field(..., min_length=1, description="what the phase is (today, target, private cameras join)")
    cameras: dict[str, int] = Field(default_factory=dict,
                                    description="camera class -> count in this phase (others: the scenario's)")

    @model_validator(mode="after")
    def _counts(self) -> Phase:
        bad = {k: v for k, v in self.cameras.items() if v < 0}
        if bad:
            raise ValueError(f"camera counts must be >= 0: {bad}")
        return self


class Growth(StrictModel):
    phases: list[Phase] = Field(..., min_length=1, description="the phases in order of purchase")


@dataclass
class PhasePlan:
    name: str
    cameras: int
    result: SizingResult
    buy: list[tuple[str, str, float, float]] = field(default_factory=list)   # item, model, quantity, unit price
    notes: list[str] = field(default_factory=list)

    @property
    def cost(self) -> float:
        return sum(q * p for _, _, q, p in self.buy)

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "cameras": self.cameras, "total_cost_usd": self.result.cost,
                "yearly_usd": self.result.yearly_usd,
                "buy": [{"item": i, "name": n, "quantity": q, "unit_price_usd": p} for i, n, q, p in self.buy],
                "phase_cost_usd": self.cost, "hardware": self.result.hardware.describe(), "notes": self.notes}


def scenario_at(scenario: SimScenario, phase: Phase, where: str) -> SimScenario:
    """The scenario with the phase's camera counts."""
    known = {c.name for c in scenario.cameras.classes}
    unknown = sorted(set(phase.cameras) - known)
    if unknown:
        from common.errors import InputError
        raise InputError(f"phase {phase.name!r} names camera classes the scenario does not declare: "
                         f"{', '.join(unknown)} (declared: {', '.join(sorted(known))})", where=where)
    classes = [c.model_copy(update={"count": phase.cameras.get(c.name, c.count)}) for c in scenario.cameras.classes
               if phase.cameras.get(c.name, c.count) > 0]
    kept = {c.name for c in classes}
    sim = scenario.simulation
    fps = {k: v for k, v in sim.analytic_fps.items() if k in kept}     # a class with no camera yet has no rate
    return scenario.model_copy(update={"cameras": scenario.cameras.model_copy(update={"classes": classes}),
                                       "simulation": sim.model_copy(update={"analytic_fps": fps})})


def same_models(cat: Catalogue, r: SizingResult) -> Catalogue:
    """The catalogue narrowed to the models an earlier phase bought, so that a later phase adds to them."""
    hw = r.hardware
    servers = {hw.ingest_server.name, hw.portal_server.name}
    return cat.model_copy(update={
        "cpu_servers": [s for s in cat.cpu_servers if s.name in servers or s.price_usd == 0],
        "gpus": [g for g in cat.gpus if hw.gpu is not None and g.name == hw.gpu.name]})


def plan(scenario: SimScenario, growth: Growth, cal: Calibration, cat: Catalogue | None = None) -> list[PhasePlan]:
    """Each phase sized on the models the first phase chose (the city keeps buying what it runs), or on
    the whole catalogue when those cannot meet the SLOs any more (the plan then says so)."""
    cat = cat or load_catalogue(scenario.simulation.catalogue)
    owned: dict[tuple[str, str], float] = {}
    out: list[PhasePlan] = []
    for i, phase in enumerate(growth.phases):
        sc = scenario_at(scenario, phase, f"growth.phases[{i}].cameras")
        notes = []
        if out:
            try:
                r = size(sc, cal, same_models(cat, out[0].result), day_check=False)
            except TilikError as e:
                notes.append(f"the first phase's models no longer meet the SLOs ({e.message}); sized anew")
                r = size(sc, cal, cat, day_check=False)
        else:
            r = size(sc, cal, cat, day_check=False)
        p = PhasePlan(phase.name, sum(c.count for c in sc.cameras.classes), r, notes=notes)
        for b in r.bom:
            if b.per_year:                # links paid by the year are not bought once: the result's yearly_usd
                continue
            key = (b.item.split(" (")[0], b.name)             # disks: "disk (N TB ...)" -> "disk"
            more = max(0.0, b.quantity - owned.get(key, 0.0))
            others = [n for (item, n) in owned if item == key[0] and n != b.name]
            if others and more:
                p.notes.append(f"{key[0]}: {b.name} now, earlier phases bought {', '.join(others)}")
            if more:
                p.buy.append((b.item, b.name, more, b.unit_price_usd))
            owned[key] = max(owned.get(key, 0.0), b.quantity)
        out.append(p)
    return out
