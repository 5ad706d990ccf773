"""Secrets out of what tilikbench writes for others to read (results, reports).

A scenario may carry demo passwords (``portal.users[].password``, ``load.operator.password``);
results record the scenario they ran, so the copy in a results file has them replaced.
"""
from __future__ import annotations

from typing import Any

SECRET_KEYS = frozenset({"password", "password_hash"})
REDACTED = "<redacted>"


def redact_secrets(data: Any) -> Any:
    """A copy of ``data`` (JSON-like) with the value of every secret key replaced (None stays None)."""
    if isinstance(data, dict):
        return {k: (REDACTED if k in SECRET_KEYS and v is not None else redact_secrets(v)) for k, v in data.items()}
    if isinstance(data, list):
        return [redact_secrets(v) for v in data]
    return data
