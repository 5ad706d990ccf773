"""Test-wide settings: Ultralytics offline with a private config dir; results of tests under a temp dir."""
from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
os.environ.setdefault("YOLO_OFFLINE", "1")
os.environ.setdefault("YOLO_CONFIG_DIR", str(REPO / "cache" / "ultralytics-config"))


@pytest.fixture
def tilikbench_cli():
    """Run the CLI in-process: returns (exit_code, stdout, stderr)."""
    from benchmarks.cli import main

    def run(*argv: str, capsys=None):
        return main(list(argv))
    return run


@pytest.fixture(scope="session")
def venv_bin() -> Path:
    return Path(sys.executable).parent
