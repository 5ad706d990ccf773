"""Config of a scenario run: SLOs and the load steps (``slos:`` and ``run:``). PLACEHOLDER: issue 6 fills this in."""
from __future__ import annotations

from common.config import StrictModel


class SLOConfig(StrictModel):
    pass


class RunConfig(StrictModel):
    pass
