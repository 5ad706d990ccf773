"""One vocabulary for the run and the simulator: every axis, SLO and backend the scenarios use is named in
common/vocabulary.py, old spellings load as the new ones, and an unknown name is an error naming it."""
from __future__ import annotations

import logging
import typing
from pathlib import Path

import numpy as np
import pytest
import yaml

from analytics.config import StackConfig
from benchmarks.runconfig import AXES, RunConfig, SLOConfig
from benchmarks.scenario import load_scenario
from common.errors import InputError
from common.vocabulary import (
    RUN_SLOS,
    SIM_SLOS,
    Axis,
    Backend,
    Family,
    Slo,
    slo_family,
)
from simulator.calibration import load_calibration
from simulator.config import DetectorSettings, SimScenario, SimSLOs
from simulator.model import BREACH_TEXT, simulate, split_scenario
from simulator.workload import AXES as SIM_AXES

REPO = Path(__file__).resolve().parents[2]
SCENARIOS = sorted(p for p in (REPO / "scenarios").glob("*.yaml")         # scenarios, not endpoint mappings
                   if isinstance(yaml.safe_load(p.read_text()).get("cameras"), dict))


@pytest.fixture
def small():
    import copy

    from tests.simulator.conftest import SMALL
    return copy.deepcopy(SMALL)


def _raw(path: Path) -> dict:
    return yaml.safe_load(path.read_text())


def test_the_run_and_the_simulator_step_the_same_axes():
    assert AXES == SIM_AXES == (Axis.CAMERAS, Axis.SAMPLING_FPS, Axis.VIEWERS)
    assert set(AXES) <= set(RunConfig.model_fields)


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_every_name_a_scenario_uses_is_in_the_vocabulary(path):
    sc = load_scenario(path)
    raw = _raw(path)
    for name in (raw.get("slos") or {}):
        assert Slo.parse(name) in RUN_SLOS
    if sc.run is not None:
        assert sc.run.stepped_axis() in set(Axis)
        for axis in (raw.get("run") or {}).keys() & {"cameras", "sampling_fps", "viewers"}:
            assert Axis.parse(axis) in AXES
    if isinstance(sc.stack, StackConfig):
        assert Backend.parse(sc.stack.detector.type) in set(Backend)
    if sc.simulation is not None:
        assert isinstance(sc.simulation.detector.backend, Backend)
        for name in type(sc.simulation.slos).model_fields:
            assert name in SimSLOs.model_fields


def test_the_run_slos_are_the_slo_config_fields_and_each_has_a_family():
    assert {s.value for s in RUN_SLOS} == set(SLOConfig.model_fields)
    for slo in (*RUN_SLOS, *SIM_SLOS):
        if slo is not Slo.OVERLOADED:
            assert isinstance(slo.family, Family), slo
    assert {s.value for s in SIM_SLOS} == set(BREACH_TEXT)        # the simulator's breach keys


def test_families_of_the_binding_slos():
    assert slo_family("min_analysed_share") == slo_family("stream_loss") == Family.ANALYTICS
    assert slo_family("viewer_p95_ms") == slo_family("viewer_ttff_p95_ms") == Family.PORTAL
    assert slo_family("overload", "decode_cpu, detector") == Family.ANALYTICS
    assert slo_family("overload", "detector, portal_cpu") == Family.PORTAL
    assert slo_family(None) is None
    with pytest.raises(ValueError, match=r"unknown slo 'viewer_p99'; known: min_analysed_fps"):
        slo_family("viewer_p99")


def test_the_stack_and_the_simulator_spell_backends_the_same():
    detector = typing.get_args(StackConfig.model_fields["detector"].annotation)
    stack_types = {typing.get_args(m.model_fields["type"].annotation)[0] for m in detector}
    assert stack_types == {b.value for b in Backend}
    assert {r.backend for r in load_calibration().detector_ms} <= set(Backend)


def test_old_spellings_upgrade_with_a_warning(caplog):
    with caplog.at_level(logging.WARNING, logger="common.vocabulary"):
        assert Backend.parse("torch") is Backend.ULTRALYTICS
        assert Backend.parse("onnxruntime") is Backend.ONNX
        assert Axis.parse("analytic_fps") is Axis.SAMPLING_FPS
    assert "'onnxruntime' is the old name of 'onnx'; write 'onnx'" in caplog.text
    assert DetectorSettings.model_validate({"backend": "onnxruntime"}).backend is Backend.ONNX
    old = load_calibration().model_dump()
    old["detector_ms"] = [{**r, "backend": {"ultralytics": "torch", "onnx": "onnxruntime"}.get(r["backend"],
                                                                                               r["backend"])}
                          for r in old["detector_ms"]]
    from simulator.calibration import Calibration
    upgraded = Calibration.model_validate(old)
    assert upgraded.detector_batch_ms("onnx", 640, 1) == load_calibration().detector_batch_ms("onnx", 640, 1)
    assert upgraded.detector_batch_ms("torch", 320, 8) == load_calibration().detector_batch_ms("ultralytics", 320, 8)


def test_unknown_names_are_errors_naming_them():
    with pytest.raises(ValueError, match=r"unknown backend 'tensorrt'; known: ultralytics, onnx, openvino"):
        Backend.parse("tensorrt")
    with pytest.raises(ValueError, match=r"unknown axis 'frames'; known: cameras, sampling_fps, viewers"):
        Axis.parse("frames")
    with pytest.raises(Exception, match="unknown backend 'tpu'"):
        DetectorSettings.model_validate({"backend": "tpu"})


def test_the_simulator_takes_a_simscenario_and_names_the_bad_key(small):
    with pytest.raises(InputError, match="expected a SimScenario, got dict"):
        split_scenario(small)
    small["simulation"]["viewers"]["peak_concurent"] = 5
    with pytest.raises(InputError, match=r"simulation\.viewers\.peak_concurent: Extra inputs are not permitted"):
        SimScenario.of(small)
    del small["simulation"]["viewers"]["peak_concurent"]
    small["cameras"]["classes"][0]["count"] = "many"
    with pytest.raises(InputError, match=r"cameras\.classes\.0\.count"):
        SimScenario.of(small)


def test_a_dict_and_the_scenario_model_simulate_to_the_same_numbers(small, tmp_path):
    """The boundary conversion changes nothing: the YAML read by the scenario loader and the same data as
    a dict give the same result."""
    path = tmp_path / "small.yaml"
    path.write_text(yaml.safe_dump(small))
    cal = load_calibration()
    from_model = simulate(SimScenario.of(load_scenario(path)), cal, rng=np.random.default_rng(3))
    from_dict = simulate(SimScenario.of(small), cal, rng=np.random.default_rng(3))
    a, b = from_model.to_dict(), from_dict.to_dict()
    a.pop("wall_s"), b.pop("wall_s")
    assert a == b and a["cameras_online"] == 124


def test_the_simulators_old_axis_name_scales_the_same_load(small):
    from simulator.knee import predict_knee
    sc, cal = SimScenario.of(small), load_calibration()
    steps = [1.0, 2.5, 5.0, 10.0]
    new = predict_knee(cal, Axis.SAMPLING_FPS, steps, scenario=sc, seed=1)
    assert new is not None and predict_knee(cal, "analytic_fps", steps, scenario=sc, seed=1) == new
    with pytest.raises(InputError, match="unknown axis 'fps'"):
        predict_knee(cal, "fps", steps, scenario=sc)


def test_a_cpu_budget_becomes_one_hardware_set():
    """The run's CPU budget and the simulator's hardware meet in one conversion: the detectors get what
    decoding leaves of the budget's cores."""
    from simulator.hardware import LOCAL_DISK, LOCAL_NIC, cpu_budget_set
    hw = cpu_budget_set(2.0, 2, 0.5)
    assert hw.detector_workers == 2 and hw.decode_cores == 1
    assert hw.ingest_server.speed == pytest.approx((2.0 - 0.5) / 2)
    assert (hw.nic.name, hw.disk.name) == (LOCAL_NIC, LOCAL_DISK)
    assert cpu_budget_set(0.5, 1, 5.0).ingest_server.speed == pytest.approx(0.05 * 0.5)   # decode takes all
