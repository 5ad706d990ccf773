"""Config of the portal (the scenario's ``portal:`` section). PLACEHOLDER: issue 4 fills this in."""
from __future__ import annotations

from common.config import StrictModel


class PortalConfig(StrictModel):
    pass
