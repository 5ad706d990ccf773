"""An ingest worker process: reader threads for its cameras, one detector loop batching across them.

    python -m analytics.ingest.worker PLAN.json INDEX

The plan (written by the stack supervisor) holds the stack config, this worker's cameras, and where
to write its stats snapshot. Frames never cross a process boundary: each worker decodes, detects,
tracks and stores. SIGTERM stops it cleanly; SIGKILL loses only what was not yet stored, which a
restart re-derives (event keys make the re-run idempotent).
"""
from __future__ import annotations

import json
import logging
import os
import signal
import sys
import threading
import time
from pathlib import Path

from analytics.config import StackConfig
from analytics.ingest.camera import StackCamera
from analytics.ingest.reader import CameraReader, FrameQueues
from analytics.ingest.stats import CameraStats, lag_percentiles
from common.resultmeta import write_json_atomic

log = logging.getLogger(__name__)


class IngestWorker:
    def __init__(self, config: StackConfig, cameras: list[StackCamera], stats_path: Path | None,
                 index: int = 0, detector=None, store=None, key_epoch: str = ""):
        from analytics.detect import make_detector
        from analytics.geometry import load_geometry
        from analytics.pipeline import CameraPipeline, StreamClock
        from analytics.rules import build_rules
        from analytics.store import open_store
        self.config = config
        self.index = index
        self.stats_path = stats_path
        self.stop_event = threading.Event()
        self.queues = FrameQueues()
        self.detector = detector or make_detector(config.detector)
        self.store = store or open_store(config.store)
        self.stats: dict[str, CameraStats] = {}
        self.pipelines = {}
        self.readers: list[CameraReader] = []
        for c in cameras:
            cls_cfg = config.for_class(c.camera_class)
            ci = next((i for i, k in enumerate(config.classes) if k.name == c.camera_class), None)
            where = f"stack.classes[{ci}].rules" if ci is not None else "stack.classes"
            rules = build_rules(cls_cfg.rules, load_geometry(c.ground_truth), where)
            self.pipelines[c.id] = CameraPipeline(
                c.id, rules, StreamClock(c.fps, c.clip_frames), self.detector.names, key_epoch, cls_cfg.tracker,
                cls_cfg.sample_fps if cls_cfg.decode == "sampled" else None)
            st = CameraStats(c.id, c.camera_class)
            st.rules = {r.type: r.status for r in rules}
            self.stats[c.id] = st
            self.queues.add_camera(c.id, cls_cfg.queue)
            self.readers.append(CameraReader(c, cls_cfg, config.reconnect, self.queues, st, self.stop_event,
                                             config.decode_threads, seed=index))
        self.t_start = time.time()
        self.detect_ms = 0.0            # wall time of the detector calls, summed
        self.detect_cpu_ms = 0.0        # process CPU time during the detector calls, summed
        self.detect_frames = 0
        self.batches = 0
        self.events_new = 0

    def snapshot(self) -> dict:
        return {"worker": self.index, "pid": os.getpid(), "t": time.time(), "t_start": self.t_start,
                "detector": {"backend": self.detector.backend, "imgsz": self.config.detector.imgsz,
                             "batches": self.batches, "events_new": self.events_new, "frames": self.detector.frames,
                             "ms_per_frame": round(self.detector.ms_total / self.detector.frames, 3)
                             if self.detector.frames else None,
                             "detect_ms": round(self.detect_ms / self.detect_frames, 3) if self.detect_frames else None,
                             "detect_cpu_ms": (round(self.detect_cpu_ms / self.detect_frames, 3)
                                               if self.detect_frames else None)},
                "lag_by_type": self._lag_by_type(),
                "cameras": {cid: st.snapshot() for cid, st in self.stats.items()}}

    def _lag_by_type(self) -> dict:
        """Lag percentiles per event type over this worker's cameras (their kept samples pooled)."""
        pooled: dict[str, list[float]] = {}
        for st in self.stats.values():
            with st.lock:
                for t, v in st.lags.items():
                    pooled.setdefault(t, []).extend(v)
        return lag_percentiles(pooled)

    def _write_stats(self) -> None:
        if self.stats_path is not None:
            write_json_atomic(self.stats_path, self.snapshot())

    def step(self, timeout: float = 0.2) -> int:
        """Detect one batch across cameras, run the rules, store events. Returns frames analysed."""
        items = self.queues.take(self.config.detector.batch, timeout)
        if not items:
            return 0
        t0, c0 = time.perf_counter(), time.process_time()
        dets = self.detector.detect([it.image for it in items])
        self.detect_ms += (time.perf_counter() - t0) * 1000.0
        self.detect_cpu_ms += (time.process_time() - c0) * 1000.0
        self.detect_frames += len(items)
        self.batches += 1
        t_done = time.time()
        events = []
        reached: dict[str, int] = {}
        for it, d in zip(items, dets):
            p = self.pipelines[it.camera_id]
            h, w = it.image.shape[:2]
            f = p.frame_info(it.t_stream, it.t_capture, w, h)
            events += p.process(f, it.image, d)
            reached[it.camera_id] = f.frame_no
            st = self.stats[it.camera_id]
            with st.lock:
                st.frames_analysed += 1
                st.analyse_lag_ms_total += (t_done - it.t_capture) * 1000.0
        self._store(events)
        for cid, n in reached.items():        # the events of frames up to here are stored
            with self.stats[cid].lock:
                self.stats[cid].stream_frame = n
        return len(items)

    def _store(self, events) -> None:
        if not events:
            return
        new = self.store.put_many(events)
        now = time.time()
        per_cam: dict[str, list] = {}
        for e in events:
            per_cam.setdefault(e.camera_id, []).append(e)
        for cid, evs in per_cam.items():
            st = self.stats[cid]
            with st.lock:
                for e in evs:
                    st.add_lag(e.type, (now - e.t_frame) * 1000.0)
        self.events_new += new
        log.debug("stored %d events (%d new)", len(events), new)

    def run(self, duration: float | None = None) -> None:
        for r in self.readers:
            r.start()
        next_stats = 0.0
        t_end = time.monotonic() + duration if duration else None
        try:
            while not self.stop_event.is_set():
                self.step()
                now = time.monotonic()
                if now >= next_stats:
                    self._write_stats()
                    next_stats = now + self.config.stats_interval_s
                if t_end is not None and now >= t_end:
                    break
        finally:
            self.close()

    def close(self) -> None:
        self.stop_event.set()
        deadline = time.monotonic() + 5.0
        for r in self.readers:          # a reader blocked on a dead connection is a daemon thread
            r.join(timeout=max(0.0, deadline - time.monotonic()))
        t_drain = time.monotonic() + 2.0   # what was queued before the stop, briefly; the rest a re-run redoes
        while time.monotonic() < t_drain and self.step(timeout=0.0):
            pass
        for p in self.pipelines.values():
            self._store(p.finish_tracks())
        self._write_stats()
        self.store.close()


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    plan = json.loads(Path(argv[0]).read_text())
    index = int(argv[1])
    logging.basicConfig(level=os.environ.get("TILIKBENCH_LOG", "WARNING"),
                        format=f"%(asctime)s worker-{index} %(levelname)s %(name)s: %(message)s")
    config = StackConfig.model_validate(plan["config"])
    cams = [StackCamera.from_dict(c) for c in plan["workers"][index]]
    stats_path = Path(plan["stats_dir"]) / f"worker-{index}.json"
    from common.errors import TilikError
    try:
        worker = IngestWorker(config, cams, stats_path, index, key_epoch=plan.get("key_epoch", ""))
    except TilikError as e:
        print(f"error: {e}", file=sys.stderr)
        return int(e.exit_code)
    signal.signal(signal.SIGTERM, lambda *_: worker.stop_event.set())
    signal.signal(signal.SIGINT, lambda *_: worker.stop_event.set())
    worker.run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
