"""Base for every part's config model: unknown keys are errors (a typo in YAML must not pass)."""
from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class StrictModel(BaseModel):
    model_config = ConfigDict(extra="forbid")
