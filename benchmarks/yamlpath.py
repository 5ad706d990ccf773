"""Load YAML and turn pydantic validation errors into messages that name the YAML path and line."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from common.errors import InputError


def format_loc(loc: tuple) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out or "<root>"


def yaml_loc(data: Any, loc: tuple) -> tuple:
    """``loc`` without the union tags pydantic puts in it (``stack.external.health`` -> ``stack.health``):
    a name that is not a key of the mapping at that point, with more of the path after it."""
    out: list = []
    for i, part in enumerate(loc):
        if isinstance(data, dict) and isinstance(part, str) and part not in data and i + 1 < len(loc) \
                and loc[i + 1] != "[key]":
            continue
        out.append(part)
        if isinstance(data, dict):
            data = data.get(part)
        elif isinstance(data, list) and isinstance(part, int) and part < len(data):
            data = data[part]
        else:
            data = None
    return tuple(out)


def _line_of(node: yaml.Node | None, loc: tuple) -> int | None:
    """Follow ``loc`` through the composed YAML node tree; return the 1-based line of the deepest match."""
    line = None
    for part in loc:
        if node is None:
            break
        line = node.start_mark.line + 1
        if isinstance(node, yaml.MappingNode):
            node = next((v for k, v in node.value if k.value == part), None)
            if node is None:  # an unknown key: point at the key itself
                return line
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            node = node.value[part]
        else:
            # a discriminated-union tag or model name in loc; stay on this node
            continue
    if node is not None:
        line = node.start_mark.line + 1
    return line


def _duplicate_key(node: yaml.Node | None) -> tuple[str, int] | None:
    """The first key that a mapping repeats (YAML would keep only the last one silently), with its line."""
    stack = [node] if node is not None else []
    while stack:
        n = stack.pop()
        if isinstance(n, yaml.MappingNode):
            seen: set[str] = set()
            for k, v in n.value:
                if isinstance(k, yaml.ScalarNode):
                    if k.value in seen:
                        return k.value, k.start_mark.line + 1
                    seen.add(k.value)
                stack.append(v)
        elif isinstance(n, yaml.SequenceNode):
            stack.extend(n.value)
    return None


def load_yaml(path: Path) -> tuple[Any, yaml.Node | None]:
    path = Path(path)
    if not path.is_file():
        raise InputError("no such file", where=str(path))
    try:
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as e:
        raise InputError(f"not UTF-8 text (byte {e.start}): a scenario is a UTF-8 YAML file", where=str(path)) from None
    except OSError as e:
        raise InputError(f"cannot read: {e.strerror}", where=str(path)) from None
    try:
        data, node = yaml.safe_load(text), yaml.compose(text)
    except yaml.YAMLError as e:
        raise InputError(f"not valid YAML: {e}", where=str(path)) from None
    except RecursionError:
        raise InputError("not valid YAML: nested too deeply", where=str(path)) from None
    dup = _duplicate_key(node)
    if dup is not None:
        raise InputError(f"key {dup[0]!r} appears twice in one mapping (line {dup[1]})", where=str(path))
    return data, node


def validate_file(model: type[BaseModel], path: Path) -> BaseModel:
    data, node = load_yaml(path)
    if not isinstance(data, dict):
        raise InputError("expected a mapping at the top level", where=str(path))
    try:
        return model.model_validate(data)
    except ValidationError as e:
        lines = []
        for err in e.errors():
            loc = yaml_loc(data, tuple(err["loc"]))
            line = _line_of(node, loc)
            where = f"{format_loc(loc)}" + (f" (line {line})" if line else "")
            msg = err["msg"]
            if err["type"] == "extra_forbidden":
                msg = "unknown key (misspelt?)"
            lines.append(f"  {where}: {msg}")
        raise InputError(f"invalid scenario, {len(lines)} error(s):\n" + "\n".join(lines),
                         where=str(path)) from None
