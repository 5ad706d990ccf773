"""`make demo` on a bad scenario: one clear line naming the file and line, and nothing written."""
import subprocess
import sys


def test_demo_refuses_a_misspelt_scenario_before_writing_anything(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\ncameras: {classes: []}\nbogus: 1\n")
    out = tmp_path / "results"
    p = subprocess.run([sys.executable, "-m", "benchmarks.demo", "--scenario", str(bad), "--out", str(out)],
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 2
    assert f"{bad}: invalid scenario" in p.stderr and "bogus (line 3): unknown key" in p.stderr
    assert not out.exists()


def test_demo_names_a_missing_scenario(tmp_path):
    p = subprocess.run([sys.executable, "-m", "benchmarks.demo", "--scenario", str(tmp_path / "nope.yaml"),
                        "--out", str(tmp_path / "r")], capture_output=True, text=True, timeout=120)
    assert p.returncode == 2 and "nope.yaml: no such file" in p.stderr
