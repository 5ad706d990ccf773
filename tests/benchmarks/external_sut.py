"""A small external system under test for the runner's tests: real RTSP consumers that are not our stack.

It supervises one consumer process per camera, either ``ffmpeg`` (decodes every frame; an "analysis"
branch samples the step's fps and runs an edge filter on it) or a GStreamer ``gst-launch-1.0`` decode
pipeline (openh264), and exports their health the way an NVR or VMS would:

- Prometheus text at ``/metrics``: ``sut_frames_decoded_total{camera}``, ``sut_frames_analysed_total{camera}``,
  ``sut_stream_up{camera}``, ``sut_reader_restarts_total{camera}``, ``sut_stream_lag_seconds{camera}`` (how far
  the newest frame's stream time is behind the wall clock since the first frame), ``sut_cpu_seconds_total`` and
  ``sut_memory_bytes`` (the whole process tree, from psutil);
- JSON at ``/api/streams`` (the same per camera, plus ``system``);
- an HTTP API to set the cameras, ``PUT /api/cameras`` with ``{"cameras": [{"id", "url"}], "sampling_fps"}``.

It takes its cameras from a config file (``--config``: YAML with ``cameras`` and ``sampling_fps``; re-read on
SIGHUP), a manifest URL it polls (``--manifest-url``), or that API. ``--max-streams K`` is a licence limit: cameras
past the first K are listed but not read (``sut_stream_up`` 0), which gives the tests a knee that does not depend
on how busy the machine is.
"""
from __future__ import annotations

import argparse
import json
import logging
import os
import re
import signal
import subprocess
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import psutil
import yaml
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

log = logging.getLogger("external_sut")
GST_LINE = re.compile(r"GstFPSDisplaySink:(?P<name>\w+): last-message = rendered: (?P<n>\d+)")


class Reader:
    """One camera's consumer process and its frame counts, parsed from the consumer's own output.

    ffmpeg decodes every frame (the first output, whose count and stream time come from ``-progress``)
    and sends the analysed frames (sampled, enlarged and edge-filtered, shrunk to ``THUMB``) to its stdout, where each
    frame's bytes are counted. gst-launch's ``fpsdisplaysink`` prints the frames it rendered.
    """

    THUMB = (64, 36)

    def __init__(self, cam_id: str, url: str, fps: float, kind: str, workdir: Path) -> None:
        self.id, self.url, self.fps, self.kind = cam_id, url, fps, kind
        self.progress = workdir / f"{cam_id}.progress"
        self.decoded = self.analysed = 0
        self.restarts = 0
        self.first: tuple[float, float] | None = None     # (wall, stream time) of the first frame
        self.stream_t = 0.0
        self.proc: subprocess.Popen | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def argv(self) -> list[str]:
        if self.kind == "ffmpeg":
            w, h = self.THUMB
            graph = f"[0:v]split[a][b];[b]fps={self.fps:g},scale=640:-2,edgedetect,scale={w}:{h},format=gray[c]"
            return ["ffmpeg", "-nostdin", "-loglevel", "error", "-rtsp_transport", "tcp", "-i", self.url,
                    "-filter_complex", graph, "-map", "[a]", "-f", "null", "-",
                    "-map", "[c]", "-f", "rawvideo", "pipe:1", "-progress", str(self.progress), "-stats_period", "0.25"]
        return ["gst-launch-1.0", "-v", "rtspsrc", f"location={self.url}", "protocols=tcp", "latency=0", "!",
                "rtph264depay", "!", "h264parse", "!", "openh264dec", "!", "fpsdisplaysink", "name=dec",
                "video-sink=fakesink", "text-overlay=false", "sync=false", "fps-update-interval=250"]

    def _run(self) -> None:
        while not self._stop.is_set():
            self.progress.unlink(missing_ok=True)
            self.proc = subprocess.Popen(self.argv(), stdin=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                         stdout=subprocess.PIPE)
            base_dec, base_an = self.decoded, self.analysed
            if self.kind == "gstreamer":
                for raw in self.proc.stdout:                      # type: ignore[union-attr]
                    m = GST_LINE.search(raw.decode(errors="replace"))
                    if m:
                        self.decoded = self.analysed = base_dec + int(m["n"])
                        self._frame(self.decoded / self.fps)
            else:
                counter = threading.Thread(target=self._count_analysed, args=(base_an,), daemon=True)
                counter.start()
                while self.proc.poll() is None and not self._stop.is_set():
                    self._read_progress(base_dec)
                    time.sleep(0.2)
                counter.join(5)
            self.proc.wait()
            if not self._stop.is_set():
                self.restarts += 1
                self._stop.wait(1.0)

    def _count_analysed(self, base: int) -> None:
        size, got = self.THUMB[0] * self.THUMB[1], 0
        assert self.proc is not None and self.proc.stdout is not None
        while chunk := self.proc.stdout.read1(65536):
            got += len(chunk)
            self.analysed = base + got // size

    def _read_progress(self, base: int) -> None:
        try:
            text = self.progress.read_text()
        except OSError:
            return
        frames = re.findall(r"^frame=(\d+)", text, re.MULTILINE)
        times = re.findall(r"^out_time_us=(\d+)", text, re.MULTILINE)
        if frames and int(frames[-1]) > 0:
            self.decoded = base + int(frames[-1])
            if times:
                self._frame(int(times[-1]) / 1e6)

    def _frame(self, stream_t: float) -> None:
        if self.first is None:
            self.first = (time.monotonic(), stream_t)
        self.stream_t = stream_t

    def lag_s(self) -> float:
        if self.first is None:
            return 0.0
        return max((time.monotonic() - self.first[0]) - (self.stream_t - self.first[1]), 0.0)

    def close(self) -> None:
        self._stop.set()
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._thread.join(5)
        self.progress.unlink(missing_ok=True)


class System:
    def __init__(self, kind: str, max_streams: int | None, workdir: Path) -> None:
        self.kind, self.max_streams, self.workdir = kind, max_streams, workdir
        self.readers: dict[str, Reader] = {}
        self.listed: list[str] = []
        self.lock = threading.Lock()

    def set_cameras(self, cameras: list[dict], sampling_fps: float) -> None:
        with self.lock:
            self.listed = [c["id"] for c in cameras]
            licensed = cameras[: self.max_streams] if self.max_streams else cameras
            want = {c["id"]: (c["url"], float(sampling_fps)) for c in licensed}
            for cid in list(self.readers):
                r = self.readers[cid]
                if cid not in want or (r.url, r.fps) != want[cid]:
                    self.readers.pop(cid).close()
            for cid, (url, fps) in want.items():
                if cid not in self.readers:
                    self.readers[cid] = Reader(cid, url, fps, self.kind, self.workdir)
            log.info("reading %d of %d cameras", len(self.readers), len(self.listed))

    def tree(self) -> list[psutil.Process]:
        me = psutil.Process()
        return [me, *me.children(recursive=True)]

    def close(self) -> None:
        with self.lock:
            for r in self.readers.values():
                r.close()
            self.readers.clear()


def tree_usage(system: System) -> tuple[float, int]:
    """CPU seconds and resident memory of the whole process tree (the consumers included)."""
    cpu, rss = 0.0, 0
    for p in system.tree():
        try:
            t = p.cpu_times()
            cpu += t.user + t.system + t.children_user + t.children_system
            rss += p.memory_info().rss
        except psutil.Error:
            continue
    return cpu, rss


class SystemCollector:
    """The system's health as Prometheus metric families, read live at every scrape."""

    def __init__(self, system: System) -> None:
        self.system = system

    def collect(self):
        fams = {
            "decoded": CounterMetricFamily("sut_frames_decoded", "frames decoded", labels=["camera"]),
            "analysed": CounterMetricFamily("sut_frames_analysed", "frames analysed", labels=["camera"]),
            "restarts": CounterMetricFamily("sut_reader_restarts", "reader restarts (stream errors)",
                                            labels=["camera"]),
            "up": GaugeMetricFamily("sut_stream_up", "1 while the camera is read", labels=["camera"]),
            "lag": GaugeMetricFamily("sut_stream_lag_seconds", "wall time minus stream time since the first "
                                     "frame", labels=["camera"]),
        }
        with self.system.lock:
            for cid in self.system.listed:
                r = self.system.readers.get(cid)
                fams["decoded"].add_metric([cid], r.decoded if r else 0)
                fams["analysed"].add_metric([cid], r.analysed if r else 0)
                fams["restarts"].add_metric([cid], r.restarts if r else 0)
                fams["up"].add_metric([cid], 1 if r and r.proc and r.proc.poll() is None else 0)
                fams["lag"].add_metric([cid], r.lag_s() if r else 0.0)
        yield from fams.values()
        cpu, rss = tree_usage(self.system)
        c = CounterMetricFamily("sut_cpu_seconds", "CPU time of the system's process tree")
        c.add_metric([], cpu)
        yield c
        g = GaugeMetricFamily("sut_memory_bytes", "resident memory of the system's process tree")
        g.add_metric([], rss)
        yield g


def registry_for(system: System) -> CollectorRegistry:
    reg = CollectorRegistry()
    reg.register(SystemCollector(system))
    return reg


def streams_json(system: System) -> dict:
    with system.lock:
        streams = [{"name": cid, "up": bool(system.readers.get(cid)),
                    "frames": {"decoded": r.decoded, "analysed": r.analysed} if (r := system.readers.get(cid)) else {},
                    "restarts": r.restarts if r else 0, "lag_s": r.lag_s() if r else None}
                   for cid in system.listed]
    cpu, rss = tree_usage(system)
    return {"streams": streams, "system": {"cpu_seconds": cpu, "memory_bytes": rss}}


def serve(system: System, port: int) -> ThreadingHTTPServer:
    reg = registry_for(system)

    class Handler(BaseHTTPRequestHandler):
        def _send(self, body: bytes, ctype: str, code: int = 200) -> None:
            self.send_response(code)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self):
            if self.path.startswith("/metrics"):
                self._send(generate_latest(reg), "text/plain; version=0.0.4")
            elif self.path.startswith("/api/streams"):
                self._send(json.dumps(streams_json(system)).encode(), "application/json")
            else:
                self._send(b"not found", "text/plain", 404)

        def do_PUT(self):
            if not self.path.startswith("/api/cameras"):
                return self._send(b"not found", "text/plain", 404)
            body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
            system.set_cameras(body.get("cameras", []), float(body.get("sampling_fps", 1.0)))
            self._send(b"{}", "application/json")

        def log_message(self, *args):
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return httpd


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reader", choices=("ffmpeg", "gstreamer"), default="ffmpeg")
    ap.add_argument("--config", type=Path, help="YAML with cameras (id, url) and sampling_fps; SIGHUP re-reads it")
    ap.add_argument("--manifest-url", help="a camera manifest to poll every 0.5 s")
    ap.add_argument("--port", type=int, required=True, help="HTTP port of /metrics and /api")
    ap.add_argument("--max-streams", type=int, help="licence limit: cameras read at most")
    ap.add_argument("--pid-file", type=Path, help="write this process's PID here")
    ap.add_argument("--workdir", type=Path, default=Path("."))
    args = ap.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s external_sut %(message)s")
    args.workdir.mkdir(parents=True, exist_ok=True)
    system = System(args.reader, args.max_streams, args.workdir)
    stop = threading.Event()
    reload = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGHUP, lambda *_: reload.set())
    httpd = serve(system, args.port)
    if args.pid_file:
        args.pid_file.write_text(f"{os.getpid()}\n")
    if args.config:
        reload.set()
    seen = b""
    try:
        while not stop.is_set():
            if reload.is_set() and args.config:
                reload.clear()
                cfg = yaml.safe_load(args.config.read_text()) if args.config.exists() else {}
                cfg = cfg or {}
                system.set_cameras(cfg.get("cameras") or [], float(cfg.get("sampling_fps", 1.0)))
            if args.manifest_url:
                try:
                    with urllib.request.urlopen(args.manifest_url, timeout=2) as r:
                        body = r.read()
                    if body != seen:
                        seen = body
                        m = json.loads(body)
                        system.set_cameras(m.get("cameras") or [], float(m.get("sampling_fps") or 1.0))
                except (OSError, ValueError) as e:
                    log.warning("manifest not readable: %s", e)
            stop.wait(0.5)
    finally:
        httpd.shutdown()
        system.close()


if __name__ == "__main__":
    main()
