"""A real, tiny workload for driving the runner in tests without the camera farm: a child process that
does CPU work proportional to the step's cameras; the trial measures how long a unit of that work took
(a real lag that grows with load), and the runner measures the child's CPU by PID."""
from __future__ import annotations

import subprocess
import sys
import time

from benchmarks.runner.components import Component

BURN = "import time\nwhile True:\n    sum(range(20000)); time.sleep(0.002)\n"


class WorkComponent(Component):
    name = "work"

    def __init__(self, ms_per_camera: float = 20.0) -> None:
        super().__init__()
        self.ms_per_camera = ms_per_camera
        self.proc = None
        self.cameras = 0

    def _start(self, ctx, peak):
        self.proc = subprocess.Popen([sys.executable, "-c", BURN], start_new_session=True)

    def apply(self, load, ctx):
        self.cameras = load.cameras

    def measure(self, ctx, duration_s):
        t0 = time.perf_counter()
        deadline = t0 + self.cameras * self.ms_per_camera / 1000.0
        while time.perf_counter() < deadline:
            sum(range(1000))
        lag = time.perf_counter() - t0
        return {"analytics_lag_p95_s": round(lag, 4), "stream_loss": 0.0}

    def _stop(self):
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(5)
