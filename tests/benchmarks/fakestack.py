"""A stand-in stack for runner tests: a real child process spending a known CPU time per decoded frame
and per analysed frame at the rates each step asks for (cameras x camera fps, cameras x sampled fps), and
reporting the frames it did. Under a CPU budget it falls behind like the real stack: the frames it does
per second of wall time drop once its CPU demand passes the budget."""
from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

from benchmarks.runner.components import Component

STACK = textwrap.dedent("""\
    import json, os, sys, time
    state, decode_s, analyse_s = sys.argv[1], float(sys.argv[2]) / 1000, float(sys.argv[3]) / 1000
    def burn(s):
        end = time.process_time() + s
        while time.process_time() < end:
            pass
    decoded = analysed = decode_cpu = analyse_cpu = 0
    t_next = time.monotonic()
    while True:
        try:
            cams, fps, sample = (float(x) for x in open(state + ".load").read().split())
        except (OSError, ValueError):
            cams, fps, sample = 0, 0, 0
        t_next += 0.1
        d, a = cams * fps * 0.1, cams * sample * 0.1
        c0 = time.process_time()
        burn(d * decode_s)
        c1 = time.process_time()
        burn(a * analyse_s)
        decode_cpu += c1 - c0
        analyse_cpu += time.process_time() - c1
        decoded += d
        analysed += a
        tmp = state + ".tmp"
        with open(tmp, "w") as f:
            json.dump({"t": time.monotonic(), "decoded": decoded, "analysed": analysed,
                       "decode_cpu": decode_cpu, "analyse_cpu": analyse_cpu}, f)
        os.replace(tmp, state)
        time.sleep(max(t_next - time.monotonic(), 0.0))
    """)
BURN = "import time\nwhile True:\n    end = time.process_time() + 0.01\n    while time.process_time() < end: pass\n" \
       "    time.sleep(0.09)\n"

class FakeStack(Component):
    """A real child process doing CPU work per frame; the trial reads the frames it did."""
    name = "stack"

    def __init__(self, state: Path, decode_ms: float, analyse_ms: float, camera_fps: int) -> None:
        super().__init__()
        self.state, self.proc, self.load, self._before = state, None, None, None
        self.decode_ms, self.analyse_ms, self.camera_fps = decode_ms, analyse_ms, camera_fps

    def _start(self, ctx, peak):
        self.proc = subprocess.Popen([sys.executable, "-c", STACK, str(self.state), str(self.decode_ms),
                                      str(self.analyse_ms)], start_new_session=True)
        if ctx.budget is not None:            # as the real stack component does with its workers
            ctx.budget.attach(self.proc.pid)

    def apply(self, load, ctx):
        self.load = load
        every = max(1, round(self.camera_fps / load.sampling_fps))      # the stack's sampling rule
        Path(str(self.state) + ".load").write_text(f"{load.cameras} {self.camera_fps} {self.camera_fps / every}")

    def _read(self):
        try:
            return json.loads(self.state.read_text())
        except (OSError, ValueError):
            return {"t": 0.0, "decoded": 0.0, "analysed": 0.0, "decode_cpu": 0.0, "analyse_cpu": 0.0}

    def begin_trial(self, ctx):
        self._before = self._read()

    def measure(self, ctx, duration_s):
        a, b = self._read(), self._before
        dt = max(a["t"] - b["t"], 1e-6)
        analysed = (a["analysed"] - b["analysed"]) / dt
        per_cam = analysed / self.load.cameras
        behind = max(duration_s - dt, 0.0)
        d = {k: a.get(k, 0.0) - b.get(k, 0.0) for k in ("decoded", "analysed", "decode_cpu", "analyse_cpu")}
        own = {}                    # its own CPU-time per frame, as the real stack's stats report it
        if d["decoded"] > 0 and d["analysed"] > 0:
            own = {"decode_cpu_ms": round(1000 * d["decode_cpu"] / d["decoded"], 3),
                   "detect_cpu_ms": round(1000 * d["analyse_cpu"] / d["analysed"], 3)}
        return {**own, "decoded_fps_total": round((a["decoded"] - b["decoded"]) / dt, 3),
                "analysed_fps_total": round(analysed, 3), "analysed_fps_min": round(per_cam, 3),
                "analysed_share_min": round(per_cam / self.load.sampling_fps, 3),
                "analytics_lag_p95_s": round(0.1 + behind, 3), "stream_loss": 0.0}

    def _stop(self):
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(5)
