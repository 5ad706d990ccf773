"""Offline validation of generated Kubernetes objects against the API's published JSON schemas.

``kubernetes-validate`` ships the schemas of every Kubernetes minor release it supports inside its
package, so this runs with no cluster and no network. ``strict`` schemas reject unknown fields, which
catches a misspelt key the API server would otherwise drop silently.
"""
from __future__ import annotations

from typing import Any

import kubernetes_validate

from common.errors import InputError

KUBERNETES_VERSION = "1.33"


def validation_errors(objects: dict[str, list[dict[str, Any]]], version: str = KUBERNETES_VERSION) -> list[str]:
    """One line per object that does not validate: file, kind/name, the failing field and why."""
    errors = []
    for fname, docs in objects.items():
        for i, obj in enumerate(docs):
            where = f"{fname}[{i}] {obj.get('kind')}/{obj.get('metadata', {}).get('name')}"
            try:
                kubernetes_validate.validate(obj, version, strict=True)
            except kubernetes_validate.ValidationError as e:
                path = ".".join(str(p) for p in e.absolute_path) or "<root>"
                errors.append(f"{where}: {path}: {e.message}")
            except kubernetes_validate.SchemaNotFoundError as e:
                errors.append(f"{where}: no schema ({e})")
    return errors


def check_objects(objects: dict[str, list[dict[str, Any]]], version: str = KUBERNETES_VERSION) -> None:
    errors = validation_errors(objects, version)
    if errors:
        raise InputError(f"{len(errors)} generated object(s) do not validate against Kubernetes {version}:\n  "
                         + "\n  ".join(errors), where="deploy kubernetes")
