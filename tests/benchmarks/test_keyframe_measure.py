"""The keyframe-only decode measurement on generated footage: what the catalogue's keyframe_cost_ratio is."""
from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks.measure_keyframes import decode_ms, measure_profile


def test_keyframe_only_decode_returns_the_keyframes_at_a_higher_cost_each(tmp_path):
    row = measure_profile("test-240p10", tmp_path, seconds=4.0, rounds=3)
    # 4 s at 10 fps with a keyframe every 10 frames: 40 frames, 4 of them keyframes
    assert row["frames"] == 40 and row["keyframes"] == 4
    assert decode_ms(Path(row["clip"]), keyframes_only=True)[1] == 4
    # a keyframe (and the skipped packets of its GOP) costs more than a mean frame; how much less than the
    # whole GOP (the speed-up) is timing, measured by `python -m benchmarks.measure_keyframes`
    assert row["keyframe_cost_ratio"] > 1.0


def test_the_catalogue_records_the_measured_median():
    import json

    from simulator.hardware import load_catalogue
    data = json.loads((Path(__file__).resolve().parents[2] / "simulator" / "data" / "keyframe-decode.json").read_text())
    cat = load_catalogue()
    assert cat.inputs["keyframe_cost_ratio"].value == pytest.approx(data["keyframe_cost_ratio_median"], abs=0.01)
    assert cat.inputs["keyframe_cost_ratio"].source.startswith("measured:")
