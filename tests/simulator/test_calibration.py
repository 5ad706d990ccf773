from __future__ import annotations

import json

import pytest

from common.errors import InputError
from simulator.calibration import calibration_from_results, load_calibration


def test_reference_calibration_is_labelled_and_measured_here(cal):
    assert "measured on this machine" in cal.label and cal.machine_info.get("cpu_count_logical")
    assert cal.decode("h264", 1280, 720) > cal.decode("h264", 640, 360)
    assert cal.detector_batch_ms("onnx", 640, 4) > cal.detector_batch_ms("onnx", 640, 1)


def test_wrong_schema_version_names_file_and_versions(tmp_path):
    p = tmp_path / "old.json"
    p.write_text(json.dumps({"schema_version": 0, "decode_ms": []}))
    with pytest.raises(InputError, match=r"schema_version is 0; this tilikbench reads version 1") as e:
        load_calibration(p)
    assert str(p) in str(e.value)


def test_from_results_takes_measured_costs_and_fills_the_rest(cal):
    results = {"run_id": "r1", "measured_costs": {"schema_version": 1, "detector_ms": [
        {"backend": "openvino", "input_size": 640, "batch": 1, "ms_per_batch": 25.0}]}}
    c = calibration_from_results(results, reference=cal)
    assert c.detector_batch_ms("openvino", 640, 1) == pytest.approx(25.0)
    assert c.provenance["detector_ms"] == "measured in the run"
    assert c.provenance["decode_ms"].startswith("reference")
    with pytest.raises(InputError, match="measured_costs"):
        calibration_from_results({"run_id": "r2"})
    with pytest.raises(InputError, match=r"unknown backend 'tensorrt'; known: ultralytics, onnx, openvino"):
        c.detector_batch_ms("tensorrt", 640, 1)
    with pytest.raises(InputError, match=r"no detector cost for backend 'onnx' \(calibrated: openvino\)"):
        c.detector_batch_ms("onnx", 640, 1)
