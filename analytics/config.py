"""Config models of the stack under test (the scenario's ``stack:`` section). PLACEHOLDER: issue 3 fills this in."""
from __future__ import annotations

from common.config import StrictModel


class StackConfig(StrictModel):
    pass
