"""One explicit context object per run: clock, random generator, stop event, progress."""
from __future__ import annotations

import contextlib
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np


@dataclass
class RunContext:
    run_dir: Path
    seed: int = 0
    clock: Callable[[], float] = time.monotonic
    stop: threading.Event = field(default_factory=threading.Event)
    progress: Callable[[str], None] = lambda line: None
    budget: Any = None          # the run's common.cpubudget.CpuBudget while it runs under one
    rng: np.random.Generator = field(init=False)

    def __post_init__(self) -> None:
        self.rng = np.random.default_rng(self.seed)
        self.t0 = self.clock()

    def elapsed(self) -> float:
        return self.clock() - self.t0

    def sleep(self, seconds: float) -> bool:
        """Wait, waking early on stop. Returns True if the full time passed."""
        return not self.stop.wait(max(0.0, seconds))


@contextlib.contextmanager
def stop_on_sigint(ctx: RunContext):
    """While inside: the first Ctrl-C sets ``ctx.stop`` (the run ends cleanly, keeping its results);
    a second one interrupts at once."""
    def on_sigint(signum, frame):
        ctx.progress("stopping (Ctrl-C again to abort at once) ...")
        ctx.stop.set()
        signal.signal(signal.SIGINT, signal.default_int_handler)
    previous = signal.signal(signal.SIGINT, on_sigint)
    try:
        yield ctx
    finally:
        signal.signal(signal.SIGINT, previous)
