"""Config of viewer load (the scenario's ``load:`` section). PLACEHOLDER: issue 4 fills this in."""
from __future__ import annotations

from common.config import StrictModel


class LoadConfig(StrictModel):
    pass
