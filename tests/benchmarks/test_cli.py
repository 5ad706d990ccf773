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


def test_version_names_the_package_version_and_the_commit():
    out = subprocess.run([sys.executable, "-m", "benchmarks.cli", "--version"], capture_output=True, text=True)
    head = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True).stdout.strip()
    assert out.returncode == 0
    assert out.stdout.startswith("tilikbench 0.") and f"commit {head[:12]}" in out.stdout


def test_every_command_exits_with_the_input_error_code_on_a_missing_argument():
    for cmd in (["simulate"], ["size"], ["validate"], ["report"]):
        out = subprocess.run([sys.executable, "-m", "benchmarks.cli", *cmd], capture_output=True, text=True)
        assert out.returncode == 2 and "required" in out.stderr, (cmd, out.stderr)
