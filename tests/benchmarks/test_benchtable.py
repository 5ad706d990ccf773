"""The README's measured table comes from the newest bench JSON, verdicts included; nothing typed by hand."""
from __future__ import annotations

import json
import os

import pytest

from benchmarks.benchtable import END, START, table, write_table
from common.errors import InputError
from common.resultmeta import stamp

SERVING = {"summary": {"serving": "loop", "largest_healthy_n": 1000, "max_ratio": 0.15,
                       "floor_at_largest": {"packets_per_s": 39650}, "load_avg_1m_at_end": 3.2,
                       "targets": {"ratio_at_most": 0.2, "healthy_cameras_at_least": 1000}},
           "rows": [{"cameras": 50, "ratio": 0.12, "embedded": {"healthy": 50}, "baseline": {"healthy": 50}},
                    {"cameras": 200, "ratio": 0.15, "embedded": {"healthy": 200}, "baseline": {"healthy": 200}}]}
FLOOR = {"ratio": 1.6, "target_ratio": 1.25, "path_cpu_ms_per_frame": 40.0, "load_avg": [2.0, 2.0, 2.0],
         "floor": {"ms": 25.0, "forward_ms": 10.0, "batch": 6, "decodes_per_frame": 10.0, "decode_ms": 1.4}}


def _put(path, body: dict, mtime: float) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({**stamp("test", 1), **body}))
    os.utime(path, (mtime, mtime))


def test_rows_read_the_newest_file_of_each_kind_and_state_the_verdict(tmp_path):
    older = {**SERVING, "summary": {**SERVING["summary"], "largest_healthy_n": 200}}
    _put(tmp_path / "cameras-serving-20261201T100000.json", older, 1_000)
    _put(tmp_path / "cameras-serving-20261202T100000.json", SERVING, 2_000)
    _put(tmp_path / "analytics-floor-sampled.json", FLOOR, 2_000)
    text = table(tmp_path)
    serving = next(line for line in text.splitlines() if "camera serving" in line)
    assert ("0.120x at 50 (50 vs 50 healthy), 0.150x at 200 (200 vs 200 healthy) "
            "(target <= 0.2x with every camera healthy on both sides, met)") in serving
    assert "1,000 at 39,650 packets/s (target 1,000, met)" in serving and "load 3.2" in serving
    floor = next(line for line in text.splitlines() if "sampled decode" in line)
    assert "1.60x" in floor and "**missed**" in floor
    assert "| the same, keyframe decode | not measured yet |" in text


def test_a_compared_size_with_unhealthy_cameras_misses_the_serving_target(tmp_path):
    rows = [{**SERVING["rows"][0]}, {**SERVING["rows"][1], "baseline": {"healthy": 0}}]
    _put(tmp_path / "cameras-serving-20261202T100000.json", {**SERVING, "rows": rows}, 2_000)
    serving = next(line for line in table(tmp_path).splitlines() if "camera serving" in line)
    assert "(200 vs 0 healthy)" in serving and "on both sides, **missed**" in serving


def test_write_replaces_only_the_text_between_the_markers(tmp_path):
    _put(tmp_path / "analytics-floor-keyframes.json", {**FLOOR, "ratio": 1.1}, 2_000)
    readme = tmp_path / "README.md"
    readme.write_text(f"# title\n\n{START}\n| old | table |\n{END}\n\nafter\n")
    write_table(readme, tmp_path)
    text = readme.read_text()
    assert text.startswith(f"# title\n\n{START}\n| what | figure |") and text.endswith(f"{END}\n\nafter\n")
    assert "old" not in text and "1.10x" in text
    readme.write_text("# no markers\n")
    with pytest.raises(InputError, match="markers"):
        write_table(readme, tmp_path)


def test_a_result_without_its_figures_is_a_clear_error(tmp_path):
    _put(tmp_path / "portal-bench.json", {"baseline_comparison": {}}, 2_000)
    with pytest.raises(InputError, match="portal-bench.json: KeyError"):
        table(tmp_path)
