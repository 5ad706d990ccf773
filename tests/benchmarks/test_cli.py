import subprocess
import sys


def test_help_lists_subcommands():
    out = subprocess.run([sys.executable, "-m", "benchmarks.cli", "--help"], capture_output=True, text=True)
    assert out.returncode == 0
    assert "validate" in out.stdout


def test_validate_names_yaml_path_and_line_of_unknown_key(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\ncameras: {}\nslos: {}\nsimulaton: {}\n")
    out = subprocess.run([sys.executable, "-m", "benchmarks.cli", "validate", str(bad)],
                         capture_output=True, text=True)
    assert out.returncode == 2
    assert "simulaton (line 4): unknown key" in out.stderr


def test_validate_missing_file_is_a_clear_error(tmp_path):
    out = subprocess.run([sys.executable, "-m", "benchmarks.cli", "validate", str(tmp_path / "nope.yaml")],
                         capture_output=True, text=True)
    assert out.returncode == 2
    assert "nope.yaml: no such file" in out.stderr
