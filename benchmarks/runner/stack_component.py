"""The analytics stack as a run component (``analytics.ingest.stack.Stack``).

A step's "cameras online" and "sampling fps" decide what the stack ingests, so the stack is (re)started
when they change: the first N cameras of the fleet, every camera class sampled at the step's fps (the
scenario's ``stack.classes`` settings kept otherwise). Events go to a store of the run's own
(``<run>/events.db``) unless the scenario names a PostgreSQL DSN.

Per trial, from the stack's stats (deltas over the trial) and its event store:
``analysed_fps_min`` / ``analysed_fps_mean`` (frames analysed per second per online camera),
``dropped_share`` (sampled frames dropped by full queues), ``stream_loss`` (online cameras with no
frame decoded in the trial or not online), ``analytics_lag_p95_s`` (p95 of capture -> stored over the
trial's events when there are at least ``MIN_EVENTS``; otherwise the worst camera's mean capture ->
analysed time, and ``analytics_lag_source`` says which), and ``decode_ms``.

Accuracy under load (``benchmarks.runner.event_accuracy``): every online camera with generated footage
and rules, its stored events matched one to one with the ground truth of its part of the stream
(placed by the stats' ``stream_frame``): ``event_f1`` / ``_precision`` / ``_recall``, per rule
``event_f1.<rule>`` and its counts; a silent camera is all misses.
"""
from __future__ import annotations

import json
import logging
import time
from typing import Any

import numpy as np

from benchmarks.runconfig import StepLoad
from benchmarks.runner.components import Component
from benchmarks.runner.context import RunContext
from benchmarks.runner.site_health import stack_site_health

log = logging.getLogger(__name__)

MIN_EVENTS = 5


def available() -> tuple[bool, str]:
    try:
        import analytics.ingest.stack  # noqa: F401
    except ImportError as e:
        return False, f"analytics.ingest.stack cannot be imported ({e})"
    return True, ""


class StackComponent(Component):
    name = "stack"

    def __init__(self, scenario, options, others: list[Component]) -> None:
        super().__init__()
        self.config = scenario.stack
        self.fleet = next((c for c in others if c.name == "fleet"), None)
        self.stack = None
        self.current: tuple[int, float] | None = None
        self.online: list[str] = []
        self._before: dict[str, dict] = {}
        self._t0_wall = 0.0
        self._ready_timeout = 90.0
        self._step = 0
        self._step_t0_wall = 0.0
        self._gt: dict[str, Any] = {}

    def _start(self, ctx: RunContext, peak: StepLoad) -> None:
        if self.fleet is None:
            raise RuntimeError("the stack needs the camera fleet in the run")
        store = self.config.store
        if store.startswith("sqlite:"):
            store = f"sqlite:///{(ctx.run_dir / 'events.db').resolve()}"
        self.config = self.config.model_copy(update={"store": store})

    def _config_for(self, fps: float):
        from analytics.config import IngestClass
        classes = {c.name: c for c in self.config.classes}
        out = []
        for cam_class in {c.camera_class for c in self.fleet.cameras}:
            base = classes.get(cam_class) or IngestClass(name=cam_class)
            out.append(base.model_copy(update={"sample_fps": fps}))
        return self.config.model_copy(update={"classes": out})

    def apply(self, load: StepLoad, ctx: RunContext) -> None:
        key = (load.cameras, load.sampling_fps)
        if key == self.current:
            return
        from analytics.ingest.camera import from_manifest
        from analytics.ingest.stack import Stack
        self._stop_stack()
        cams = from_manifest(self.fleet.manifest())[:load.cameras]
        self.online = [c.id for c in cams]
        self._step += 1
        self.stack = Stack(self._config_for(load.sampling_fps), cams, ctx.run_dir / "stack" / f"step-{self._step}",
                           key_epoch=f"{ctx.run_dir.name}/step-{self._step}")
        self.stack.start(preflight=self._step == 1)
        self._into_budget(ctx)
        self._step_t0_wall = time.time()
        self.stack.wait_ready(timeout=self._ready_timeout)
        self.current = key

    def pids(self) -> list[int]:
        return self.stack.worker_pids() if self.stack is not None else []

    def _cams(self) -> dict[str, dict]:
        """Per-camera stats, each with ``_t``: when its worker took the snapshot (workers write every
        ``stack.stats_interval_s``, so rates use the snapshots' own times, not the trial's)."""
        if self.stack is None:
            return {}
        out: dict[str, dict] = {}
        for f in sorted((self.stack.run_dir / "workers").glob("worker-*.json")):
            try:
                snap = json.loads(f.read_text())
            except (OSError, ValueError):
                continue
            for cid, cam in snap.get("cameras", {}).items():
                out[cid] = {**cam, "_t": snap.get("t")}
        return out

    def _into_budget(self, ctx: RunContext) -> None:
        """The stack's worker processes (and what they started) into the run's CPU budget, if any. Called
        after each start and at each trial, so a worker the stack restarted is put back inside."""
        if ctx.budget is not None:
            for pid in self.pids():
                ctx.budget.attach(pid)

    def begin_trial(self, ctx: RunContext) -> None:
        self._into_budget(ctx)
        self._before = self._cams()
        self._t0_wall = time.time()

    def measure(self, ctx: RunContext, duration_s: float) -> dict[str, Any]:
        after = self._cams()
        t1_wall = time.time()
        fps, sampled, dropped, lost, frame_lags, dec = [], 0, 0, 0, [], []
        decoded_fps, cpu_ms = [], {"decode_cpu_ms": [], "detect_cpu_ms": []}
        per_cam: dict[str, tuple[float, float]] = {}     # camera -> (decoded, analysed) fps, for per-site health
        for cid in self.online:
            a, b = after.get(cid, {}), self._before.get(cid, {})
            d = {k: (a.get(k) or 0) - (b.get(k) or 0) for k in ("frames_in", "frames_sampled",
                                                                "frames_analysed", "dropped")}
            dt = (a["_t"] - b["_t"]) if a.get("_t") and b.get("_t") else duration_s
            fps.append(d["frames_analysed"] / max(dt, 1e-6))
            decoded_fps.append(d["frames_in"] / max(dt, 1e-6))
            per_cam[cid] = (decoded_fps[-1], fps[-1])
            for k in cpu_ms:                  # CPU-time costs, when the stack reports them
                if isinstance(a.get(k), (int, float)):
                    cpu_ms[k].append(float(a[k]))
            sampled += d["frames_sampled"]
            dropped += d["dropped"]
            if a.get("status") != "online" or d["frames_in"] <= 0:
                lost += 1
            la, lb = a.get("analyse_lag_ms"), b.get("analyse_lag_ms")
            if la is not None and d["frames_analysed"] > 0:
                tot = la * (a.get("frames_analysed") or 0) - (lb or 0) * (b.get("frames_analysed") or 0)
                frame_lags.append(max(tot / d["frames_analysed"], 0.0) / 1000.0)
            if a.get("decode_ms") is not None:
                dec.append(a["decode_ms"])
        n = max(len(self.online), 1)
        out: dict[str, Any] = {
            "analysed_fps_min": round(min(fps), 3) if fps else 0.0,
            "analysed_fps_mean": round(float(np.mean(fps)), 3) if fps else 0.0,
            "analysed_share_min": round(min(fps) / self.current[1], 3) if fps and self.current else 0.0,
            "dropped_share": round(dropped / sampled, 4) if sampled else 0.0,
            "stream_loss": round(lost / n, 4),
        }
        if dec:
            out["decode_ms"] = round(float(np.mean(dec)), 3)
        # totals over the online cameras, for the simulator's calibration (stack CPU ~ these rates)
        out["decoded_fps_total"] = round(float(sum(decoded_fps)), 3)
        out["analysed_fps_total"] = round(float(sum(fps)), 3)
        for k, v in cpu_ms.items():
            if v:
                out[k] = round(float(np.mean(v)), 3)
        site_of = {c.id: c.site for c in self.fleet.cameras if getattr(c, "site", None)}
        if site_of:                       # NVR sites: what the stack got from each site's cameras
            out["sites_stack"] = stack_site_health(per_cam, site_of)
        events = self._events(max(self._step_t0_wall, self._t0_wall - 120.0), t1_wall + 5.0)
        lags = [e.t_stored - e.t_frame for e in events
                if e.t_stored is not None and self._t0_wall <= e.t_frame <= t1_wall]
        if len(lags) >= MIN_EVENTS:
            out["analytics_lag_p95_s"] = round(float(np.percentile(lags, 95)), 3)
            out["analytics_lag_source"] = 1.0      # 1: events stored, 0: frames analysed
        elif frame_lags:
            out["analytics_lag_p95_s"] = round(max(frame_lags), 3)
            out["analytics_lag_source"] = 0.0
        out["events"] = len(lags)
        out.update(self._accuracy(events, after, self._t0_wall, t1_wall))
        return out

    def _rules(self, camera_class: str) -> list:
        """The scored rules of a camera class (mask compliance has no truth)."""
        from analytics.config import IngestClass
        base = next((c for c in self.config.classes if c.name == camera_class), None) or IngestClass(name=camera_class)
        return [r for r in base.rules if r.type != "mask_compliance"]

    def _ground_truth(self, path):
        from fake_cameras.groundtruth import load_ground_truth
        key = str(path)
        if key not in self._gt:
            self._gt[key] = load_ground_truth(path)      # an unreadable file is an error, not a silent gap
        return self._gt[key]

    def _accuracy(self, events: list, after: dict[str, dict], t0: float, t1: float) -> dict[str, Any]:
        """Event-level accuracy of every online camera with generated footage and rules
        (``benchmarks.runner.event_accuracy``)."""
        from benchmarks.runner.event_accuracy import CameraTrial, trial_event_metrics
        online = set(self.online)
        cams = []
        for info in self.fleet.cameras:
            rules = self._rules(info.camera_class) if info.id in online else []
            if not rules or info.ground_truth is None:
                continue
            cams.append(CameraTrial(info.id, self._ground_truth(info.ground_truth), rules,
                                    self._before.get(info.id, {}).get("stream_frame"),
                                    after.get(info.id, {}).get("stream_frame")))
        return trial_event_metrics(cams, events, t1 - t0) if cams else {}

    def _events(self, since: float, until: float) -> list:
        from analytics.store import open_store
        try:
            store = open_store(self.config.store)
        except Exception:         # the store is the stack's; a failure here only loses this figure
            log.exception("cannot open the event store")
            return []
        try:
            events = store.query(since=since, until=until, limit=100_000)
        finally:
            store.close()
        return [e for e in events if e.camera_id in self.online]

    def _stop_stack(self) -> None:
        if self.stack is not None:
            self.stack.stop()
            self.stack = None
            self.current = None

    def _stop(self) -> None:
        self._stop_stack()
