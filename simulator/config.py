"""Config of the simulation (the scenario's ``simulation:`` section). PLACEHOLDER: issue 5 fills this in."""
from __future__ import annotations

from common.config import StrictModel


class SimulationConfig(StrictModel):
    pass
