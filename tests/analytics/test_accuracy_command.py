"""`tilikbench accuracy`: one command for every accuracy figure of the README and docs/analytics.md."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

from benchmarks.commands.accuracy import DOCS_BEGIN, DOCS_END, README_LABEL, write_docs
from common.errors import InputError
from tests.analytics.helpers import REPO

RESULT = {
    "scenario": "scenarios/x.yaml",
    "rules": [{"rate": r, "tracker": t, "rule": "line_count", "tp": tp, "fp": 0, "fn": 4 - tp, "precision": 1.0,
               "recall": tp / 4, "f1": 2 * tp / (2 * tp + 4 - tp)}
              for r, tp in (("1", 2), ("2", 3)) for t in ("motion_field", "sv_bytetrack")],
    "tracking": [{"rate": r, "tracker": t, "mota": 0.5, "idf1": v, "hota": 0.4, "id_switches": 1, "frames": 9}
                 for r in ("1", "2") for t, v in (("motion_field", 0.9), ("sv_bytetrack", 0.6))],
}


def test_write_docs_rewrites_the_docs_block_and_the_readme_row_only(tmp_path):
    (tmp_path / "docs").mkdir()
    docs = tmp_path / "docs" / "analytics.md"
    docs.write_text(f"intro\n{DOCS_BEGIN}\nold table\n{DOCS_END}\noutro\n")
    readme = tmp_path / "README.md"
    readme.write_text(f"| what | figure | how |\n|---|---|---|\n{README_LABEL} old | 0 | x |\n| other | 1 | y |\n")
    write_docs(RESULT, tmp_path)
    text = docs.read_text()
    assert text.startswith("intro\n") and text.endswith("outro\n") and "old table" not in text
    assert "| `line_count` | 4 | 0.67 (1.00 / 0.50) | 0.86 (1.00 / 0.75) |" in text
    assert "| motion_field | 0.90 / 0.40 / 0.50, F1 0.67 | 0.90 / 0.40 / 0.50, F1 0.86 |" in text
    rows = readme.read_text().splitlines()
    assert rows[3] == "| other | 1 | y |" and "IDF1 0.90 / 0.90 vs 0.60 / 0.60" in rows[2]
    docs.write_text("no markers\n")
    with pytest.raises(InputError, match="block to rewrite"):
        write_docs(RESULT, tmp_path)


def test_the_committed_docs_and_readme_hold_the_commands_output():
    assert DOCS_BEGIN in (REPO / "docs" / "analytics.md").read_text()
    rows = [r for r in (REPO / "README.md").read_text().splitlines() if r.startswith(README_LABEL)]
    assert len(rows) == 1 and "tilikbench accuracy --write-docs" in rows[0]


@pytest.mark.bench
def test_accuracy_command_on_the_smoke_scenario(tmp_path):
    """The whole run at 2 fps: every tracker side by side on the same detections."""
    out = tmp_path / "acc.json"
    r = subprocess.run([sys.executable, "-m", "benchmarks.cli", "accuracy", "scenarios/smoke.yaml", "--fps", "2",
                        "--out", str(out)],
                       capture_output=True, text=True, timeout=1200, cwd=REPO)
    assert r.returncode == 0, r.stderr[-2000:]
    data = json.loads(out.read_text())
    assert data["kind"] == "accuracy" and data["commit_info"]
    assert {t["tracker"] for t in data["tracking"]} == {"motion_field", "ultralytics_bytetrack",
                                                        "ultralytics_botsort", "sv_bytetrack"}
    ours = {r["rule"]: r["f1"] for r in data["rules"] if r["tracker"] == "motion_field"}
    assert ours["line_count"] >= 0.9 and ours["illegal_parking"] >= 0.9, ours
