"""Clear errors: unknown analytic type, zone outside the frame, weights missing or corrupt, mask model."""
from __future__ import annotations

import pytest
import yaml

from analytics.config import StackConfig, UltralyticsDetector
from analytics.detect import make_detector
from analytics.rules import build_rules
from analytics.geometry import DEFAULT_GEOMETRY
from benchmarks.scenario import load_scenario
from common.errors import InputError

CAMERAS = {"backend": "embedded", "classes": [{"name": "atcs", "count": 1, "group": "ATCS", "profile": "rt-360p10"}]}


def _scenario(tmp_path, stack: dict):
    p = tmp_path / "s.yaml"
    p.write_text(yaml.safe_dump({"schema_version": 1, "name": "t", "cameras": CAMERAS, "stack": stack},
                                sort_keys=False))
    return p


def test_unknown_analytic_type_names_the_yaml_path(tmp_path):
    p = _scenario(tmp_path, {"classes": [{"name": "atcs", "rules": [{"type": "line_count"},
                                                                     {"type": "vehicle_speed"}]}]})
    with pytest.raises(InputError) as e:
        load_scenario(p)
    msg = str(e.value)
    assert "stack.classes[0].rules[1]" in msg and "vehicle_speed" in msg and "line_count" in msg, msg


def test_zone_outside_the_frame_names_the_yaml_path_and_point(tmp_path):
    zone = [[0.6, 0.8], [1.3, 0.8], [1.3, 0.95], [0.6, 0.95]]
    p = _scenario(tmp_path, {"classes": [{"name": "atcs", "rules": [{"type": "illegal_parking", "zone": zone}]}]})
    with pytest.raises(InputError) as e:
        load_scenario(p)
    msg = str(e.value)
    assert "stack.classes[0].rules[0].zone (line" in msg and "outside the frame" in msg, msg
    assert "(line " in msg


def test_unknown_detector_type_and_misspelt_key_are_errors(tmp_path):
    with pytest.raises(InputError, match=r"stack.detector"):
        load_scenario(_scenario(tmp_path, {"detector": {"type": "tensorrt", "weights": "x.engine"}}))
    with pytest.raises(InputError, match=r"stack.detector.imgsize \(line \d+\): unknown key"):
        load_scenario(_scenario(tmp_path, {"detector": {"type": "ultralytics", "imgsize": 320}}))


def test_missing_weights_name_the_file(tmp_path):
    missing = tmp_path / "nope.pt"
    with pytest.raises(InputError) as e:
        make_detector(UltralyticsDetector(weights=str(missing)))
    assert str(missing) in str(e.value) and "not found" in str(e.value)


def test_hub_weights_by_name_are_refused_not_downloaded(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(InputError, match="never downloaded"):
        make_detector(UltralyticsDetector(weights="yolov8n.pt"))


@pytest.mark.parametrize("content", [b"", b"this is not a checkpoint\n" * 50])
def test_corrupt_weights_name_the_file(tmp_path, content):
    bad = tmp_path / "bad.pt"
    bad.write_bytes(content)
    with pytest.raises(InputError) as e:
        make_detector(UltralyticsDetector(weights=str(bad)))
    assert str(bad) in str(e.value)


def test_corrupt_onnx_names_the_file(tmp_path):
    from analytics.config import OnnxDetector
    bad = tmp_path / "bad.onnx"
    bad.write_bytes(b"garbage" * 100)
    with pytest.raises(InputError) as e:
        make_detector(OnnxDetector(type="onnx", weights=str(bad)))
    assert str(bad) in str(e.value)


def test_mask_compliance_says_it_needs_a_model():
    cfg = StackConfig.model_validate({"classes": [{"name": "p", "rules": [{"type": "mask_compliance"}]}]})
    rules = build_rules(cfg.classes[0].rules, DEFAULT_GEOMETRY)
    assert rules[0].status == "disabled: needs a mask model"
    cfg = StackConfig.model_validate({"classes": [{"name": "p", "rules": [{"type": "mask_compliance",
                                                                             "model": "m.onnx"}]}]})
    with pytest.raises(InputError, match="no face-mask classifier"):
        build_rules(cfg.classes[0].rules, DEFAULT_GEOMETRY, "stack.classes[0].rules")


def test_cli_stack_up_with_missing_weights_exits_2_naming_the_file(tmp_path, capsys):
    from benchmarks.cli import main
    p = _scenario(tmp_path, {"detector": {"type": "ultralytics", "weights": str(tmp_path / "w.pt")},
                             "store": f"sqlite:///{tmp_path / 'e.db'}"})
    rc = main(["stack", "up", str(p), "--run-dir", str(tmp_path / "run"), "--duration", "1"])
    err = capsys.readouterr().err
    assert rc == 2 and str(tmp_path / "w.pt") in err, err
