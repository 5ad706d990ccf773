"""Each layer owns its contract: the stack and the simulator never reach into the camera farm."""
from __future__ import annotations

import ast
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def _imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found


def test_analytics_and_simulator_do_not_import_the_camera_farm():
    offenders = {str(p.relative_to(REPO)): sorted(_imports(p) & {"fake_cameras", "benchmarks"})
                 for folder in ("analytics", "simulator") for p in (REPO / folder).rglob("*.py")}
    assert {k: v for k, v in offenders.items() if v} == {}


def test_the_simulator_does_not_import_the_stack_and_common_imports_no_part():
    sim = {str(p.relative_to(REPO)): sorted(_imports(p) & {"analytics"}) for p in (REPO / "simulator").rglob("*.py")}
    assert {k: v for k, v in sim.items() if v} == {}
    parts = {"fake_cameras", "analytics", "simulator", "benchmarks"}
    common = {str(p.relative_to(REPO)): sorted(_imports(p) & parts) for p in (REPO / "common").rglob("*.py")}
    assert {k: v for k, v in common.items() if v} == {}


def test_collecting_the_suite_imports_no_locust():
    """Locust monkey-patches threading and socket with gevent when it is imported: a test process that
    imported it while collecting would run every later test's threads as greenlets, and one blocking
    PyAV read would stall the rest (camera impairments then arrive late). Tests reach Locust only in
    the load generator's own processes."""
    assert "locust" not in sys.modules and "gevent" not in sys.modules
