"""`make test` runs the linters: ruff (E, F, W; lines <= 120) over the repository and mypy over common/ and
simulator/, with the settings in pyproject.toml. They run through this interpreter (`-m ruff`, `-m mypy`),
so the versions are the ones requirements.txt pins. The scratch-file tests show that each check reports
a planted finding with these settings, so a passing repository check means something."""
from __future__ import annotations

import re
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CONFIG = REPO / "pyproject.toml"


def _run(*args: str, cwd: Path = REPO) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", *args], cwd=cwd, capture_output=True, text=True, timeout=300)


def test_ruff_finds_nothing_in_the_repository():
    r = _run("ruff", "check", "--no-fix", "--output-format", "concise")
    assert r.returncode == 0, f"ruff findings (fix them, `ruff check --fix` for the safe ones):\n{r.stdout}{r.stderr}"


def test_mypy_finds_nothing_in_common_and_simulator():
    r = _run("mypy")
    assert r.returncode == 0, f"mypy errors:\n{r.stdout}{r.stderr}"
    assert "no issues found" in r.stdout


def test_ruff_reports_a_planted_unused_import_and_long_line(tmp_path):
    bad = tmp_path / "planted.py"
    bad.write_text("import os\n\nVALUE = '" + "x" * 130 + "'\n")
    r = _run("ruff", "check", "--no-fix", "--no-cache", "--output-format", "concise", "--config", str(CONFIG),
             str(bad), cwd=tmp_path)
    assert r.returncode == 1, r.stdout + r.stderr
    assert re.search(r"planted\.py:1:8: F401", r.stdout), r.stdout
    assert re.search(r"planted\.py:3:121: E501", r.stdout), r.stdout     # the limit is 120 columns


def test_mypy_reports_a_planted_type_error(tmp_path):
    bad = tmp_path / "planted.py"
    bad.write_text("def half(n: int) -> int:\n    return n / 2\n")
    r = _run("mypy", "--config-file", str(CONFIG), "--cache-dir", str(tmp_path / "cache"), str(bad), cwd=tmp_path)
    assert r.returncode == 1, r.stdout + r.stderr
    assert re.search(r"planted\.py:2: error: .*\[return-value\]", r.stdout), r.stdout


def test_the_linters_are_the_pinned_versions():
    """`make setup` installs requirements.txt; a linter of another version may report other findings."""
    pins = dict(line.split("==", 1) for line in (REPO / "requirements.txt").read_text().split()
                if "==" in line and not line.startswith("#"))
    for name in ("ruff", "mypy", "types-PyYAML", "types-psutil"):
        assert name in pins, f"{name} is not pinned in requirements.txt"
        assert version(name) == pins[name], f"{name} {version(name)} installed, {pins[name]} pinned"
