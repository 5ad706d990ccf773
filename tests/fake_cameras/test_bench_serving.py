"""Bench: serving CPU per consumed camera, embedded GStreamer server vs one ffmpeg publisher per camera
into a relay server (rtsp-server-perl), both measured in the same run; then the dense farm alone.

Targets (asserted after the JSON is written, so a miss is recorded too): at every compared size every
camera is healthy on both sides and the embedded server's CPU per camera is <= 0.2x the baseline's;
the embedded server keeps 1,000 cameras healthy on this machine. The embedded server serves by loop
(``serving="loop"``: no Python per packet; ``TILIKBENCH_BENCH_SERVING=appsrc`` measures the per-packet
Python serving instead, whose target was 0.5x).

For N in the compared sizes (default 50 and 200) every camera is consumed by one stream-copy reader
(``fake_cameras.reader``
processes, about 100 streams each, measured apart). The serving side is the server process and its
children (ours), or the relay plus every publisher (baseline). CPU comes from psutil cpu_times deltas
over consecutive windows; the figure is the median window. A camera is healthy when its reader gets
>= 90% of the profile's frame rate. The dense sizes (default 500 and 1,000) run the embedded server
alone (a thousand ffmpeg publishers do not fit beside it); the largest size with every camera healthy
is reported with its packet rate. Run with ``make bench``; writes results/cameras-serving-*.json.
"""
from __future__ import annotations

import json
import math
import os
import shutil
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

import av
import psutil
import pytest

from common.netguard import free_port
from common.procs import ProcessSet
from common.resultmeta import stamp, write_json_atomic
from fake_cameras.backends.base import ServedCamera, fetch_paths, readers_count
from fake_cameras.backends.embedded import EmbeddedBackend
from fake_cameras.footage import generate_clip
from common.profiles import PROFILES
from fake_cameras.scene.spec import SceneSpec
from tests.fake_cameras.fleet_helpers import CACHE, REPO

pytestmark = pytest.mark.bench

SIZES = [int(n) for n in os.environ.get("TILIKBENCH_BENCH_CAMERAS", "50,200").split(",") if n]
DENSE_SIZES = [int(n) for n in os.environ.get("TILIKBENCH_BENCH_DENSE_CAMERAS", "500,1000").split(",") if n]
SERVING = os.environ.get("TILIKBENCH_BENCH_SERVING", "loop")
TARGET_RATIO = 0.2 if SERVING == "loop" else 0.5     # embedded CPU per camera / baseline's
TARGET_HEALTHY = 1000                                  # cameras the embedded server keeps healthy
PROFILE = os.environ.get("TILIKBENCH_BENCH_PROFILE", "rt-360p10")
TRANSPORT = "udp"           # the relay baseline serves UDP only; both sides are read the same way
WINDOWS, WINDOW_S = 3, 5.0
STREAMS_PER_READER = 100
RTP_PAYLOAD = 1400          # bytes of H.264 payload per RTP packet (FU-A fragments), for the floor


class CpuMeter:
    """CPU seconds of a fixed set of processes (the given PIDs and their descendants when built).

    Deltas are taken per process and only over processes seen in both samples, so a process that
    appears or exits between samples cannot add its whole lifetime's CPU to a window.
    """

    def __init__(self, pids: list[int]):
        self.procs: dict[int, psutil.Process] = {}
        for pid in pids:
            try:
                root = psutil.Process(pid)
                for p in [root] + root.children(recursive=True):
                    self.procs[p.pid] = p
            except psutil.Error:
                continue

    def sample(self) -> dict[int, float]:
        out = {}
        for pid, p in self.procs.items():
            try:
                t = p.cpu_times()
                out[pid] = t.user + t.system
            except psutil.Error:
                pass
        return out

    @staticmethod
    def delta(a: dict[int, float], b: dict[int, float]) -> float:
        return sum(b[pid] - a[pid] for pid in a.keys() & b.keys())


def clip_floor(path: Path, fps: float) -> tuple[float, float]:
    """(RTP packets/s, bytes/s incl. 40 bytes of RTP/UDP/IP headers) that one camera of this clip needs."""
    with av.open(str(path)) as c:
        sizes = [p.size for p in c.demux(c.streams.video[0]) if p.size]
    pkts = sum(math.ceil(s / RTP_PAYLOAD) for s in sizes)
    seconds = len(sizes) / fps
    return pkts / seconds, (sum(sizes) + 40 * pkts) / seconds


def start_readers(procs: ProcessSet, urls: list[str], open_s: float, out_dir: Path) -> list:
    """Reader processes of STREAMS_PER_READER streams; they read until well after the CPU windows."""
    seconds = open_s + 1.5 + WINDOWS * WINDOW_S + 10
    readers = []
    for i in range(0, len(urls), STREAMS_PER_READER):
        chunk = out_dir / f"urls-{i}.txt"
        chunk.write_text("\n".join(urls[i:i + STREAMS_PER_READER]))
        out = out_dir / f"stats-{i}.json"
        p = procs.start(f"reader-{i}", [sys.executable, "-m", "fake_cameras.reader", "--urls", str(chunk),
                                        "--duration", str(seconds), "--transport", TRANSPORT,
                                        "--open-wait", str(open_s), "--out", str(out)],
                        cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        readers.append((p, out))
    return readers


def measure(serving_pids, readers, open_s: float, ready=None) -> dict:
    """Wait for the readers to open, then take CPU over WINDOWS windows; collect the readers' stats."""
    deadline = time.monotonic() + open_s
    while time.monotonic() < deadline and not (ready and ready()):
        time.sleep(0.5)
    time.sleep(1.5)                       # past the readers' warm-up burst
    serving = CpuMeter(serving_pids)
    reading = CpuMeter([p.pid for p, _ in readers])
    serve, read = [], []
    for _ in range(WINDOWS):
        s0, r0, t0 = serving.sample(), reading.sample(), time.monotonic()
        time.sleep(WINDOW_S)
        s1, r1 = serving.sample(), reading.sample()
        dt = time.monotonic() - t0
        serve.append(CpuMeter.delta(s0, s1) / dt)
        read.append(CpuMeter.delta(r0, r1) / dt)
    stats = []
    for p, out in readers:
        p.popen.wait(timeout=300)
        stats += json.loads(out.read_text())
    return {"serving_cpu": statistics.median(serve), "serving_cpu_windows": serve,
            "reader_cpu": statistics.median(read), "stats": stats, "serving_processes": len(serving.procs),
            "load_avg_1m": os.getloadavg()[0]}


def health(stats: list[dict], fps: float) -> dict:
    rates = [s["rate_fps"] or 0.0 for s in stats]
    healthy = sum(1 for s, r in zip(stats, rates) if s["error"] is None and r >= 0.9 * fps)
    return {"healthy": healthy, "cameras": len(stats), "min_fps": min(rates), "median_fps": statistics.median(rates),
            "errors": sorted({s["error"] for s in stats if s["error"]})[:3]}


def run_embedded(n: int, clips: list[Path], fps: float, tmp: Path) -> dict:
    cams = [ServedCamera(f"cam-{i:04d}", clips[i % len(clips)], "h264", fps) for i in range(n)]
    with ProcessSet() as procs:
        backend = EmbeddedBackend(host="127.0.0.1", ports={"rtsp": free_port(), "api": free_port()},
                                  procs=procs, work_dir=tmp, max_threads=n + 16, serving=SERVING)
        backend.start(cams, timeout=120)
        open_s = 10 + n / 25
        readers = start_readers(procs, [backend.url(c.id) for c in cams], open_s, tmp)

        def all_reading():
            try:
                return sum(readers_count(i) for i in fetch_paths(backend.api_url)) >= n
            except Exception:
                return False
        m = measure([backend.pid], readers, open_s, all_reading)
        rss = psutil.Process(backend.pid).memory_info().rss
    return {**m, "server_rss_mb": round(rss / 2**20, 1)}


def wait_listening(port: int, owner, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert owner.alive(), f"{owner.name} exited"
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    raise TimeoutError(f"nothing listening on 127.0.0.1:{port} after {timeout:.0f}s")


def run_baseline(n: int, clips: list[Path], fps: float, tmp: Path) -> dict:
    cport, sport = free_port(), free_port()
    with ProcessSet() as procs:
        relay = procs.start("relay", ["rtsp-server-perl", "--clientport", str(cport), "--serverport", str(sport),
                                      "--client_listen_address", "127.0.0.1", "--source_listen_address",
                                      "127.0.0.1", "--max_clients", str(n + 10)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_listening(sport, relay)        # a publisher that finds no relay exits at once
        wait_listening(cport, relay)
        pubs = []
        for i in range(n):
            pubs.append(procs.start(f"ffmpeg-{i}", [
                "ffmpeg", "-nostdin", "-loglevel", "error", "-re", "-stream_loop", "-1", "-i",
                str(clips[i % len(clips)]), "-c", "copy", "-f", "rtsp", "-rtsp_transport", "udp",
                "-min_port", "30000", "-max_port", "65000", f"rtsp://127.0.0.1:{sport}/cam-{i:04d}"],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        time.sleep(3 + n / 50)           # every publisher started and announced
        open_s = 10 + n / 25
        urls = [f"rtsp://127.0.0.1:{cport}/cam-{i:04d}" for i in range(n)]
        readers = start_readers(procs, urls, open_s, tmp)
        m = measure([relay.pid] + [p.pid for p in pubs], readers, open_s)
        alive_pubs = sum(p.alive() for p in pubs)
    return {**m, "publishers_alive": alive_pubs}


@pytest.mark.skipif(shutil.which("rtsp-server-perl") is None, reason="rtsp-server-perl not installed (make setup)")
def test_serving_cpu_per_camera_vs_ffmpeg_relay_baseline(tmp_path):
    profile = PROFILES[PROFILE]
    clips = [generate_clip(SceneSpec(seed=k, duration_s=20), profile, CACHE).path for k in range(4)]
    floor_pkts, floor_bytes = (statistics.mean(v) for v in zip(*(clip_floor(c, profile.fps) for c in clips)))
    rows = []
    for n in SIZES:
        row = {"cameras": n}
        for name, fn in (("embedded", run_embedded), ("baseline", run_baseline)):
            work = tmp_path / f"{name}-{n}"
            work.mkdir()
            r = fn(n, clips, profile.fps, work)
            h = health(r.pop("stats"), profile.fps)
            row[name] = {**r, **h, "serving_cpu_per_camera": r["serving_cpu"] / n,
                         "reader_cpu_per_camera": r["reader_cpu"] / n}
        assert row["baseline"]["publishers_alive"] == n, f"baseline publishers died: {row['baseline']}"
        row["ratio"] = row["embedded"]["serving_cpu_per_camera"] / row["baseline"]["serving_cpu_per_camera"]
        row["floor_packets_per_s"] = round(floor_pkts * n)
        row["floor_bytes_per_s"] = round(floor_bytes * n)
        row["embedded_us_per_packet"] = 1e6 * row["embedded"]["serving_cpu"] / (floor_pkts * n)
        rows.append(row)
        e, b = row["embedded"], row["baseline"]
        print(f"\nN={n:4d} {PROFILE} over {TRANSPORT}: serving CPU/camera embedded "
              f"{100 * e['serving_cpu_per_camera']:.3f}% vs baseline {100 * b['serving_cpu_per_camera']:.3f}% "
              f"-> ratio {row['ratio']:.2f}x | healthy {e['healthy']}/{n} vs {b['healthy']}/{n} "
              f"(min fps {e['min_fps']:.1f} / {b['min_fps']:.1f}) | readers {100 * e['reader_cpu']:.0f}% / "
              f"{100 * b['reader_cpu']:.0f}% CPU | floor {row['floor_packets_per_s']} pkt/s, "
              f"{row['floor_bytes_per_s'] / 1e6:.1f} MB/s; embedded {row['embedded_us_per_packet']:.1f} us/packet",
              flush=True)
    dense = []
    for n in DENSE_SIZES:
        work = tmp_path / f"dense-{n}"
        work.mkdir()
        r = run_embedded(n, clips, profile.fps, work)
        h = health(r.pop("stats"), profile.fps)
        dense.append({"cameras": n, "embedded": {**r, **h, "serving_cpu_per_camera": r["serving_cpu"] / n},
                      "floor_packets_per_s": round(floor_pkts * n), "floor_bytes_per_s": round(floor_bytes * n)})
        print(f"\nN={n:4d} dense, embedded only: serving CPU {100 * r['serving_cpu']:.1f}% "
              f"({100 * r['serving_cpu'] / n:.4f}%/camera) | healthy {h['healthy']}/{n} (min fps {h['min_fps']:.1f}) "
              f"| readers {100 * r['reader_cpu']:.0f}% CPU | {round(floor_pkts * n)} pkt/s "
              f"| load {r['load_avg_1m']:.1f}",
              flush=True)
    every = rows + dense
    largest = max((r["cameras"] for r in every if r["embedded"]["healthy"] == r["cameras"]), default=0)
    at = next((r for r in every if r["cameras"] == largest), None)
    summary = {"profile": PROFILE, "transport": TRANSPORT, "serving": SERVING, "largest_healthy_n": largest,
               "floor_at_largest": None if at is None else {"packets_per_s": at["floor_packets_per_s"],
                                                            "bytes_per_s": at["floor_bytes_per_s"]},
               "max_ratio": max((r["ratio"] for r in rows), default=None),
               "median_ratio": statistics.median(r["ratio"] for r in rows) if rows else None,
               "targets": {"ratio_at_most": TARGET_RATIO, "healthy_cameras_at_least": TARGET_HEALTHY},
               "load_avg_1m_at_end": os.getloadavg()[0]}
    print(f"largest N with every camera healthy (embedded, {SERVING}): {largest}; packets/s there: "
          f"{summary['floor_at_largest']}; ratios {[round(r['ratio'], 3) for r in rows]} (target <= {TARGET_RATIO}x)")
    out = REPO / "results" / f"cameras-serving-{time.strftime('%Y%m%dT%H%M%S')}.json"
    write_json_atomic(out, {**stamp("cameras_serving_bench", 2), "summary": summary, "rows": rows, "dense": dense,
                            "method": {"windows": WINDOWS, "window_s": WINDOW_S, "sizes": SIZES,
                                       "dense_sizes": DENSE_SIZES, "streams_per_reader_process": STREAMS_PER_READER}})
    print(f"wrote {out}")
    for r in rows:
        n = r["cameras"]
        assert r["embedded"]["healthy"] == n and r["baseline"]["healthy"] == n, \
            f"N={n}: every camera must be healthy on both sides to compare: {r['embedded']['healthy']} and " \
            f"{r['baseline']['healthy']}"
        assert r["ratio"] <= TARGET_RATIO, f"N={n}: embedded/baseline CPU per camera {r['ratio']:.3f} > {TARGET_RATIO}"
    assert largest >= TARGET_HEALTHY, (f"largest size with every camera healthy is {largest}, target {TARGET_HEALTHY} "
                                       f"(load average {os.getloadavg()})")
