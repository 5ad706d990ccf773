"""The stack supervisor: splits cameras over worker processes, starts them, merges their stats,
restarts a worker that dies (its event keys make the re-run idempotent).

    with Stack(config, cameras, run_dir) as stack:
        stack.start()
        stack.stats()        # merged snapshot (also written to run_dir/stats.json)

Workers are ``python -m analytics.ingest.worker PLAN INDEX`` children, each started with its PID
recorded (common.procs.ProcessSet) and stopped by PID.
"""
from __future__ import annotations

import json
import logging
import os
import sys
import threading
import time
from pathlib import Path

from analytics.config import StackConfig
from analytics.ingest.camera import StackCamera
from common.errors import InputError
from common.procs import ProcessSet, reclaim_recorded
from common.resultmeta import write_json_atomic

log = logging.getLogger(__name__)

REPO = Path(__file__).resolve().parent.parent.parent
STATS_FILE = "stats.json"
PROCS_FILE = "stack-procs.json"


def split_cameras(cameras: list[StackCamera], workers: int) -> list[list[StackCamera]]:
    """Round-robin within each camera class, so every worker gets a similar mix."""
    out: list[list[StackCamera]] = [[] for _ in range(workers)]
    by_class: dict[str, list[StackCamera]] = {}
    for c in cameras:
        by_class.setdefault(c.camera_class, []).append(c)
    k = 0
    for cams in by_class.values():
        for c in cams:
            out[k % workers].append(c)
            k += 1
    return out


def merge_stats(snaps: list[dict], workers: list[dict]) -> dict:
    cams: dict[str, dict] = {}
    for s in snaps:
        cams.update(s.get("cameras", {}))
    tot = {"cameras": len(cams), "online": sum(1 for c in cams.values() if c["status"] == "online"),
           "offline": sum(1 for c in cams.values() if c["status"] == "offline")}
    for k in ("frames_in", "frames_sampled", "frames_analysed", "dropped", "reconnects", "events"):
        tot[k] = sum(c[k] for c in cams.values())
    lags = [(c["lag_ms"], c["events"]) for c in cams.values() if c["lag_ms"] is not None]
    tot["lag_ms"] = round(sum(a * b for a, b in lags) / sum(b for _, b in lags), 1) if lags else None
    dec = [(c["decode_ms"], c["frames_in"]) for c in cams.values() if c["decode_ms"] is not None]
    tot["decode_ms"] = round(sum(a * b for a, b in dec) / sum(b for _, b in dec), 3) if dec else None
    dec = [(c["decode_cpu_ms"], c["frames_in"]) for c in cams.values() if c.get("decode_cpu_ms") is not None]
    tot["decode_cpu_ms"] = round(sum(a * b for a, b in dec) / sum(b for _, b in dec), 3) if dec else None
    by_type: dict[str, dict] = {}      # per event type over workers: n summed, percentiles the workers' max
    for s in snaps:
        for t, v in s.get("lag_by_type", {}).items():
            a = by_type.setdefault(t, {"n": 0, "p50_ms": 0.0, "p95_ms": 0.0})
            a["n"] += v["n"]
            a["p50_ms"] = max(a["p50_ms"], v["p50_ms"])
            a["p95_ms"] = max(a["p95_ms"], v["p95_ms"])
    tot["lag_by_type"] = by_type
    return {"t": time.time(), "totals": tot, "workers": workers,
            "detector": [s.get("detector") for s in snaps], "cameras": cams}


class Stack:
    def __init__(self, config: StackConfig, cameras: list[StackCamera], run_dir: Path | str,
                 *, restart: bool = True, env: dict | None = None, key_epoch: str = ""):
        if not cameras:
            raise InputError("no cameras to ingest", where="cameras")
        self.config = config
        self.cameras = cameras
        self.run_dir = Path(run_dir)
        self.restart = restart
        self.env = env or {}
        self.key_epoch = key_epoch          # kept by restarted workers; see analytics.pipeline
        self.n = min(config.workers, len(cameras))
        self.procs = ProcessSet(state_file=self.run_dir / PROCS_FILE)
        self.workers: list = [None] * self.n
        self.restarts = [0] * self.n
        self.failed: dict[int, str] = {}
        self._stop = threading.Event()
        self._monitor: threading.Thread | None = None
        self._lock = threading.Lock()
        self.plan_path = self.run_dir / "stack-plan.json"

    def _write_plan(self) -> None:
        self.run_dir.mkdir(parents=True, exist_ok=True)
        (self.run_dir / "workers").mkdir(exist_ok=True)
        plan = {"config": self.config.model_dump(mode="json"), "stats_dir": str(self.run_dir / "workers"),
                "key_epoch": self.key_epoch,
                "workers": [[c.to_dict() for c in cams] for cams in split_cameras(self.cameras, self.n)]}
        write_json_atomic(self.plan_path, plan)

    def _start_worker(self, i: int) -> None:
        env = dict(os.environ)
        env.setdefault("YOLO_OFFLINE", "1")
        env.setdefault("YOLO_CONFIG_DIR", str(REPO / "cache" / "ultralytics-config"))
        env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
        env.update(self.env)
        log_path = self.run_dir / "workers" / f"worker-{i}.log"
        stderr = open(log_path, "ab")
        try:
            self.workers[i] = self.procs.start(f"ingest-{i}", [sys.executable, "-m", "analytics.ingest.worker",
                                                               str(self.plan_path), str(i)],
                                               env=env, cwd=str(Path.cwd()), stdout=stderr, stderr=stderr)
        finally:
            stderr.close()

    def preflight(self) -> None:
        """Fail fast, in this process, on what would make every worker fail: weights, rules, the store."""
        from analytics.detect import make_detector
        from analytics.geometry import load_geometry
        from analytics.rules import build_rules
        from analytics.store import open_store
        for c in self.cameras:
            ci = next((i for i, k in enumerate(self.config.classes) if k.name == c.camera_class), None)
            build_rules(self.config.for_class(c.camera_class).rules, load_geometry(c.ground_truth),
                        f"stack.classes[{ci}].rules" if ci is not None else "stack.classes")
        make_detector(self.config.detector)
        open_store(self.config.store).close()

    def start(self, preflight: bool = True) -> "Stack":
        if preflight:
            self.preflight()
        reclaim_recorded(self.run_dir / PROCS_FILE, "ingest stack on this run dir")    # after a kill -9
        self._write_plan()
        for i in range(self.n):
            self._start_worker(i)
        self._monitor = threading.Thread(target=self._watch, name="stack-monitor", daemon=True)
        self._monitor.start()
        return self

    def _watch(self) -> None:
        while not self._stop.wait(self.config.stats_interval_s):
            with self._lock:
                for i, w in enumerate(self.workers):
                    if w is not None and not w.alive() and not self._stop.is_set():
                        rc = w.popen.poll()
                        log.warning("ingest worker %d (pid %d) exited with %s", i, w.pid, rc)
                        if rc == 2:          # bad input: restarting would fail the same way
                            self.failed[i] = self.worker_log(i)[-1000:]
                            self.workers[i] = None
                        elif self.restart:
                            self.restarts[i] += 1
                            self._start_worker(i)
            try:
                write_json_atomic(self.run_dir / STATS_FILE, self.stats())
            except OSError as exc:
                log.warning("cannot write stats: %s", exc)

    def worker_pids(self) -> list[int]:
        return [w.pid for w in self.workers if w is not None]

    def worker_log(self, i: int) -> str:
        p = self.run_dir / "workers" / f"worker-{i}.log"
        return p.read_text(errors="replace") if p.exists() else ""

    def stats(self) -> dict:
        snaps = []
        for i in range(self.n):
            p = self.run_dir / "workers" / f"worker-{i}.json"
            try:
                snaps.append(json.loads(p.read_text()))
            except (OSError, ValueError):
                pass
        workers = [{"index": i, "pid": w.pid if w else None, "alive": bool(w and w.alive()),
                    "restarts": self.restarts[i], "failed": self.failed.get(i)} for i, w in enumerate(self.workers)]
        return merge_stats(snaps, workers)

    def wait_ready(self, timeout: float = 120.0, cameras: int | None = None) -> dict:
        """Until ``cameras`` (default: all the fleet declares online) are online, or timeout; returns the
        last stats."""
        need = sum(c.expected_online for c in self.cameras) if cameras is None else cameras
        deadline = time.monotonic() + timeout
        while True:
            s = self.stats()
            if s["totals"]["online"] >= need or time.monotonic() > deadline:
                return s
            for i, w in enumerate(self.workers):
                if w is not None and not w.alive() and not self.restart:
                    raise RuntimeError(f"ingest worker {i} exited: {self.worker_log(i)[-2000:]}")
            time.sleep(0.25)

    def stop(self) -> None:
        self._stop.set()
        if self._monitor is not None:
            self._monitor.join(timeout=10)
        with self._lock:
            self.procs.stop_all()
        try:
            write_json_atomic(self.run_dir / STATS_FILE, self.stats())
        except OSError:
            pass

    def __enter__(self) -> "Stack":
        return self

    def __exit__(self, *exc) -> None:
        self.stop()
