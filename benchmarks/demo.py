"""``make demo``: a small Semarang scenario end to end, ending with the report's path.

Runs scenarios/semarang-demo.yaml (ten generated cameras of the city's groups) with every part the
project has: the camera farm, the analytics stack, the portal and Locust viewers; steps cameras, sampling
fps and viewers together until the knee, once with the stack inside half a core and once inside one core
(CPU budgets); checks the simulator out of sample (calibrated under one budget, it predicts the knee
under the other); sizes the Semarang target with its 95% interval; writes the report in English and
Bahasa Indonesia (HTML and PDF).

Sections the scenario file does not declare (``slos``, ``run``, ``stack``) get the demo's defaults
below; the scenario actually run is saved beside the results. Serves on free loopback ports.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import yaml

from benchmarks.cli import run_guarded
from benchmarks.commands.run import print_out_of_sample, print_summary
from benchmarks.report.build import write_report
from benchmarks.runner.context import RunContext, stop_on_sigint
from benchmarks.runner.driver import RunOptions, ScenarioRun
from benchmarks.runner.hardware import run_hardware
from benchmarks.scenario import load_scenario
from benchmarks.yamlpath import load_yaml
from common.errors import InputError

REPO = Path(__file__).resolve().parent.parent
SCENARIO = REPO / "scenarios" / "semarang-demo.yaml"

DEMO_SLOS = {
    "min_analysed_share": 0.9,      # the worst camera analysed at >= 90% of the sampling fps
    "analytics_lag_p95_s": 3.0,
    "viewer_p95_ms": 4000,          # includes the first playlist of a camera the packaging policy left cold
    "viewer_ttff_p95_ms": 3000,     # a citizen's browser shows the picture within 3 s of pressing play
    "portal_error_rate": 0.05,
    "stream_loss": 0.1,
}
DEMO_RUN = {
    "cameras": [2, 4, 6, 8, 10],
    "sampling_fps": [1.0, 2.0, 3.0, 4.0, 5.0],
    "viewers": [2, 4, 6, 8, 10],
    "trials": 2,
    "fail_fraction": 0.5,
    "step_duration_s": 10,
    "warmup_s": 10,                 # a restarted stack first works off what it buffered while connecting
    # the knee under half a core and under one core (CPU budgets), then the model calibrated on each
    # predicts the other: the out-of-sample check
    "hardware": [{"cpus": 0.5}, {"cpus": 1}],
}
DEMO_STACK = {
    "workers": 1,
    "detector": {"type": "ultralytics", "weights": "models/tilik-yolov8n.pt", "imgsz": 320, "batch": 8},
    "classes": [
        {"name": "atcs", "decode": "sampled", "rules": [{"type": "line_count"}]},
        {"name": "simpanglima", "decode": "sampled", "rules": [{"type": "line_count"}]},
        {"name": "rt", "decode": "sampled", "rules": [{"type": "illegal_parking", "min_dwell_s": 5}]},
    ],
}


def compose(path: Path, out: Path) -> Path:
    """The demo scenario: the file's sections, with the demo's defaults for those it leaves out."""
    data, _ = load_yaml(path)
    if not isinstance(data, dict):
        raise InputError("expected a mapping at the top level", where=str(path))
    data.setdefault("slos", DEMO_SLOS)
    data.setdefault("run", DEMO_RUN)
    data.setdefault("stack", DEMO_STACK)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(f"# composed by `make demo` from {path.name}\n" + yaml.safe_dump(data, sort_keys=False))
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks.demo", description=__doc__.splitlines()[0])
    p.add_argument("--scenario", type=Path, default=SCENARIO, help="scenario file (default: %(default)s)")
    p.add_argument("--out", type=Path, default=REPO / "results", help="results folder")
    p.add_argument("--no-pdf", action="store_true", help="HTML only")
    args = p.parse_args(argv)
    t0 = time.monotonic()

    def demo() -> int:
        load_scenario(args.scenario)        # errors name the user's file and line, before anything is written
        run_id = f"demo-{time.strftime('%Y%m%dT%H%M%SZ', time.gmtime())}"
        composed = compose(args.scenario, args.out / run_id / "scenario.yaml")
        scenario = load_scenario(composed)
        ctx = RunContext(run_dir=args.out, seed=scenario.seed, progress=lambda line: print(line, flush=True))
        options = RunOptions(out=args.out, run_id=run_id, free_ports=True)
        if scenario.run is not None and scenario.run.hardware:
            with stop_on_sigint(ctx):
                hw = run_hardware(scenario, str(composed), options, ctx, run_id)
            for data in hw.runs:
                print(f"-- {data['hardware_budget']['cpus']:g} core(s)")
                print_summary(data)
            print_out_of_sample(hw.check)
            run_dir = hw.run_dir / hw.runs[-1]["run_id"] if hw.runs else hw.run_dir
        else:
            runner = ScenarioRun(scenario, str(composed), options, ctx)
            with stop_on_sigint(ctx):
                print_summary(runner.execute())
            run_dir = runner.run_dir
        paths = []
        for lang in ("en", "id"):
            html, _ = write_report(run_dir, lang)
            paths.append(html)
            if not args.no_pdf:
                from benchmarks.report.chromium import print_pdf
                paths.append(print_pdf(html, html.with_suffix(".pdf")))
        print(f"demo finished in {(time.monotonic() - t0) / 60:.1f} min")
        for extra in paths[1:]:
            print(f"also: {extra}")
        print(f"report: {paths[0]}")
        return 0

    return run_guarded(demo)


if __name__ == "__main__":
    sys.exit(main())
