"""Base for every part's config model: unknown keys are errors (a typo in YAML must not pass), and a
number field given ``true``/``false`` is an error too (pydantic would read it as 1 or 0)."""
from __future__ import annotations

import types
import typing

from pydantic import BaseModel, ConfigDict, model_validator


def _numeric(annotation) -> bool:
    """True for int or float, alone or in an Optional/Union (not for bool, dicts or lists)."""
    if annotation in (int, float):
        return True
    return (typing.get_origin(annotation) in (typing.Union, types.UnionType)
            and any(a in (int, float) for a in typing.get_args(annotation)))


class StrictModel(BaseModel):
    model_config = ConfigDict(extra="forbid")

    @model_validator(mode="before")
    @classmethod
    def _no_bool_numbers(cls, data):
        if isinstance(data, dict):
            for name, field in cls.model_fields.items():
                value = data.get(field.alias or name)
                if isinstance(value, bool) and _numeric(field.annotation):
                    raise ValueError(f"{name}: expected a number, got {str(value).lower()}")
        return data
