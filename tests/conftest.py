"""Test-wide settings (Ultralytics offline with a private config dir) and fixtures shared by several folders."""
from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
os.environ.setdefault("YOLO_OFFLINE", "1")
os.environ.setdefault("YOLO_CONFIG_DIR", str(REPO / "cache" / "ultralytics-config"))


@pytest.fixture
def tilikbench_cli():
    """Run the CLI in-process; returns its exit code (read its output with capsys)."""
    from benchmarks.cli import main

    def run(*argv: str) -> int:
        return main(list(argv))
    return run


@pytest.fixture(scope="session")
def venv_bin() -> Path:
    return Path(sys.executable).parent


def _portal_stack_module():
    """tests/portal/stack.py, loaded under a unique name (the portal and load tests share it)."""
    name = "tilikbench_test_stack"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, REPO / "tests" / "portal" / "stack.py")
        mod = importlib.util.module_from_spec(spec)
        sys.modules[name] = mod
        spec.loader.exec_module(mod)
    return sys.modules[name]


@pytest.fixture(scope="session")
def stack_mod():
    return _portal_stack_module()


@pytest.fixture(scope="session")
def stack(tmp_path_factory, stack_mod):
    """The shared running stack of the portal and load tests: cameras, events, portal."""
    s = stack_mod.get_stack(tmp_path_factory.mktemp("stack"))
    yield s
    stack_mod.stop_stack()
