"""Config models of the camera farm (the scenario's ``cameras:`` section). PLACEHOLDER: issue 2 fills this in."""
from __future__ import annotations

from common.config import StrictModel


class FleetConfig(StrictModel):
    pass
