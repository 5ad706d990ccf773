"""Bad input on the command line: one clear line naming the problem and the place, exit code 2,
nothing sent, nothing written. Each case is a probe from a security review that used to pass."""
from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

from benchmarks.cli import main

REPO = Path(__file__).resolve().parents[2]
SMOKE = yaml.safe_load((REPO / "scenarios" / "smoke.yaml").read_text())


def cli(capsys, *argv: str) -> tuple[int, str]:
    code = main(list(argv))
    return code, capsys.readouterr().err


def scenario_with(tmp_path: Path, edit) -> Path:
    sc = copy.deepcopy(SMOKE)
    edit(sc)
    path = tmp_path / "scenario.yaml"
    path.write_text(yaml.safe_dump(sc))
    return path


def test_non_utf8_scenario_is_an_input_error(tmp_path, capsys):
    path = tmp_path / "latin1.yaml"
    path.write_bytes("name: c\xe1mara\n".encode("latin-1"))
    code, err = cli(capsys, "validate", str(path))
    assert code == 2 and "not UTF-8" in err and "Traceback" not in err


def test_duplicate_yaml_keys_are_refused(tmp_path, capsys):
    text = (REPO / "scenarios" / "smoke.yaml").read_text().replace("seed: 7\n", "seed: 7\nseed: 8\n")
    path = tmp_path / "dup.yaml"
    path.write_text(text)
    code, err = cli(capsys, "validate", str(path))
    assert code == 2 and "'seed' appears twice" in err


@pytest.mark.parametrize("edit, where, what", [
    (lambda sc: sc["portal"]["users"].append(dict(sc["portal"]["users"][0])), "portal", "repeated: operator"),
    (lambda sc: sc["cameras"]["classes"][0].update(count=True), "cameras.classes[0]", "count: expected a number"),
    (lambda sc: sc["portal"].update(events_dsn="mysql://x"), "portal.events_dsn", "sqlite:///PATH or postgresql"),
    (lambda sc: sc["cameras"].update(host="not a host;$(id)"), "cameras.host", "neither an IP address nor a host"),
    (lambda sc: sc["portal"].update(host="0.0.0.0 ; x"), "portal.host", "neither an IP address nor a host"),
    (lambda sc: sc["cameras"].update(classes=[dict(sc["cameras"]["classes"][0], name=f"c{i}", count=100_000)
                                              for i in range(50)], impairments=[]),
     "cameras", "at most 100000"),
    (lambda sc: sc["cameras"]["classes"][0]["footage"].update(recorded=["/etc/passwd"]),
     "cameras.classes[0].footage.recorded", "not named as a video file"),
    (lambda sc: sc["portal"].update(state_dir="/"), "portal.state_dir", "not a directory of its own"),
])
def test_validate_refuses(tmp_path, capsys, edit, where, what):
    code, err = cli(capsys, "validate", str(scenario_with(tmp_path, edit)))
    assert code == 2, err
    assert where in err and what in err, err


@pytest.mark.parametrize("url, what", [("http://127.0.0.1:99999", "port"), ("ftp://127.0.0.1/", "http://"),
                                       ("http://admin@127.0.0.1:8080", "user info")])
def test_load_refuses_urls_it_cannot_load(tmp_path, capsys, url, what):
    code, err = cli(capsys, "load", "--url", url, "--duration", "5", "--out", str(tmp_path / "out"))
    assert code == 2 and what in err
    assert not (tmp_path / "out").exists()          # refused before anything ran


def test_class_mix_must_be_finite(tmp_path, capsys):
    code, err = cli(capsys, "footage", "generate", "--profile", "rt-360p10", "--class-mix", "car=nan",
                    "--cache-dir", str(tmp_path))
    assert code == 2 and "--class-mix" in err and "finite" in err
    assert not list(tmp_path.rglob("*.json"))       # no ground truth written
