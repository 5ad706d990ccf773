"""Fixtures of the load tests: the shared running stack (cameras, events, portal)."""
from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest


def _stack_module():
    name = "tilikbench_test_stack"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, Path(__file__).resolve().parents[1] / "portal" / "stack.py")
        mod = importlib.util.module_from_spec(spec)
        sys.modules[name] = mod
        spec.loader.exec_module(mod)
    return sys.modules[name]


@pytest.fixture(scope="session")
def stack_mod():
    return _stack_module()


@pytest.fixture(scope="session")
def stack(tmp_path_factory, stack_mod):
    s = stack_mod.get_stack(tmp_path_factory.mktemp("stack"))
    yield s
    stack_mod.stop_stack()
