"""Measure the reference calibration on this machine: decode, detector and portal component costs.

Run ``tilikbench reference [--out PATH]`` (or ``python -m simulator.measure_reference``).
Every cost is measured on ONE core (one decoder thread, one inference thread), so that the simulator can
scale it by core count and relative per-core speed. The run is short (about two minutes) and niced.

- decode: PyAV, ``thread_count=1``, clips made with ffmpeg ``testsrc2`` (moving, detailed picture) at
  360p/480p/720p/1080p, 15 fps, GOP 30, h264 (libx264) and h265 (libx265) at the bitrates of camera profiles.
- detector: Ultralytics yolov8n built from ``yolov8n.yaml`` (random weights: latency does not depend on
  them), forward pass only, input 320 and 640, batch 1 and 4, on PyTorch and on ONNX Runtime.
- portal components (in-process, no HTTP framing): camera-list JSON page, JPEG snapshot of a 720p frame,
  HLS playlist text, reading a 2 s segment from disk; plus the MPEG-TS overhead of HLS over the raw stream.
"""
from __future__ import annotations

import argparse
import json
import logging
import os
import shutil
import statistics
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

from common.resultmeta import stamp, write_json_atomic
from common.vocabulary import Backend
from simulator.calibration import CALIBRATION_SCHEMA_VERSION, DEFAULT_REFERENCE

log = logging.getLogger(__name__)

RESOLUTIONS = {"360p": (640, 360, 600), "480p": (854, 480, 1000), "720p": (1280, 720, 2000),
               "1080p": (1920, 1080, 4000)}          # width, height, bitrate kb/s
CODECS = {"h264": "libx264", "h265": "libx265"}
FPS, GOP, SECONDS = 15, 30, 4


def _timed(fn: Callable[[], Any], repeats: int, warmup: int = 1) -> list[float]:
    for _ in range(warmup):
        fn()
    out = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t0) * 1000.0)
    return out


def make_clip(workdir: Path, res: str, codec: str) -> Path:
    w, h, kbps = RESOLUTIONS[res]
    path = workdir / f"{res}-{codec}.mp4"
    cmd = ["nice", "-n", "10", "ffmpeg", "-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi",
           "-i", f"testsrc2=size={w}x{h}:rate={FPS}", "-t", str(SECONDS), "-c:v", CODECS[codec],
           "-b:v", f"{kbps}k", "-g", str(GOP), "-pix_fmt", "yuv420p", "-threads", "1"]
    if codec == "h265":
        cmd += ["-x265-params", f"keyint={GOP}:log-level=error:pools=1:frame-threads=1"]
    subprocess.run(cmd + [str(path)], check=True, timeout=300)
    return path


def measure_decode(path: Path, repeats: int) -> tuple[float, float, int]:
    """Median and stdev of ms per decoded frame (one thread), and the frame count."""
    import av

    def decode_all() -> int:
        with av.open(str(path)) as container:
            stream = container.streams.video[0]
            stream.codec_context.thread_count = 1
            stream.thread_type = "SLICE"
            return sum(1 for _ in container.decode(stream))
    frames = decode_all()
    per_frame = [ms / frames for ms in _timed(decode_all, repeats)]
    return statistics.median(per_frame), statistics.pstdev(per_frame), frames


def measure_detector(workdir: Path, repeats: int) -> list[dict[str, Any]]:
    import numpy as np
    import torch
    from ultralytics import YOLO

    torch.set_num_threads(1)
    yolo = YOLO("yolov8n.yaml")
    net = yolo.model.eval()
    rows: list[dict[str, Any]] = []
    for size in (320, 640):
        for batch in (1, 4):
            x = torch.zeros(batch, 3, size, size)
            with torch.inference_mode():
                times = _timed(lambda: net(x), repeats, warmup=2)
            rows.append({"backend": Backend.ULTRALYTICS.value, "model": "yolov8n", "input_size": size, "batch": batch,
                         "ms_per_batch": statistics.median(times), "stdev_ms": statistics.pstdev(times),
                         "threads": 1, "repeats": repeats})
    import onnxruntime as ort
    cwd = Path.cwd()
    os.chdir(workdir)          # the exporter writes next to the working directory
    try:
        onnx_path = Path(yolo.export(format="onnx", imgsz=640, dynamic=True, simplify=False, verbose=False))
        onnx_path = onnx_path if onnx_path.is_absolute() else workdir / onnx_path
    finally:
        os.chdir(cwd)
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    opts.inter_op_num_threads = 1
    sess = ort.InferenceSession(str(onnx_path), opts, providers=["CPUExecutionProvider"])
    name = sess.get_inputs()[0].name
    for size in (320, 640):
        for batch in (1, 4):
            arr = np.zeros((batch, 3, size, size), dtype=np.float32)
            times = _timed(lambda: sess.run(None, {name: arr}), repeats, warmup=2)
            rows.append({"backend": Backend.ONNX.value, "model": "yolov8n", "input_size": size, "batch": batch,
                         "ms_per_batch": statistics.median(times), "stdev_ms": statistics.pstdev(times),
                         "threads": 1, "repeats": repeats})
    return rows


def measure_portal(workdir: Path, clip720: Path, repeats: int) -> tuple[dict[str, float], float]:
    """Component costs of portal endpoints (ms, one core) and the HLS/TS overhead ratio."""
    import av
    import cv2
    import numpy as np

    cameras = [{"id": f"rt-{i:05d}", "group": "CCTV RT", "kecamatan": "Semarang Tengah",
                "hls": f"/hls/rt-{i:05d}/index.m3u8", "online": True} for i in range(100)]
    noise = np.random.default_rng(0).integers(0, 255, (720, 1280, 3), dtype=np.uint8)
    frame = cv2.GaussianBlur(noise, (9, 9), 3)
    hls_dir = workdir / "hls"
    hls_dir.mkdir()
    subprocess.run(["nice", "-n", "10", "ffmpeg", "-hide_banner", "-loglevel", "error", "-y", "-i",
                    str(clip720), "-c", "copy", "-f", "hls", "-hls_time", "2", "-hls_list_size", "0",
                    str(hls_dir / "index.m3u8")], check=True, timeout=120)
    segments = sorted(hls_dir.glob("*.ts"))
    ts_bytes = sum(p.stat().st_size for p in segments)
    with av.open(str(clip720)) as c:
        es_bytes = sum(p.size for p in c.demux(c.streams.video[0]) if p.size)
    lines = [f"#EXTINF:2.000,\nseg{i}.ts" for i in range(6)]

    def playlist() -> str:
        return "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:2\n" + "\n".join(lines)
    costs = {
        "camera_list": statistics.median(_timed(lambda: json.dumps(cameras).encode(), repeats * 20)),
        "snapshot": statistics.median(_timed(lambda: cv2.imencode(".jpg", frame)[1], repeats * 4)),
        "hls_playlist": statistics.median(_timed(lambda: playlist().encode(), repeats * 20)),
        "hls_segment": statistics.median(_timed(lambda: segments[0].read_bytes(), repeats * 20)),
        "events": statistics.median(_timed(lambda: json.dumps(cameras[:50]).encode(), repeats * 20)),
    }
    return costs, ts_bytes / es_bytes


def measure(repeats: int = 5) -> dict[str, Any]:
    if shutil.which("ffmpeg") is None:
        raise RuntimeError("ffmpeg is needed to make the test clips")
    os.environ.setdefault("YOLO_OFFLINE", "1")
    os.environ.setdefault("YOLO_CONFIG_DIR", str(Path("cache/ultralytics-config").resolve()))
    try:
        os.nice(10)
    except OSError:
        pass
    with tempfile.TemporaryDirectory(prefix="tilik-calib-") as tmp:
        work = Path(tmp)
        decode = []
        clip720 = None
        for res, (w, h, kbps) in RESOLUTIONS.items():
            for codec in CODECS:
                clip = make_clip(work, res, codec)
                if res == "720p" and codec == "h264":
                    clip720 = clip
                ms, sd, frames = measure_decode(clip, repeats)
                log.info("decode %s %s: %.2f ms/frame", res, codec, ms)
                decode.append({"codec": codec, "width": w, "height": h, "bitrate_kbps": kbps,
                               "ms_per_frame": ms, "stdev_ms": sd, "frames": frames, "threads": 1})
        detector = measure_detector(work, repeats)
        assert clip720 is not None          # RESOLUTIONS and CODECS include 720p H.264
        portal, ts_overhead = measure_portal(work, clip720, repeats)
    return {
        **stamp("calibration", CALIBRATION_SCHEMA_VERSION),
        "label": "reference calibration measured on this machine (2-core development host), one core per "
                 "cost; replace with costs measured by tilikbench runs on the target hardware",
        "source": "tilikbench reference",
        "decode_ms": decode,
        "detector_ms": detector,
        "portal_ms": [{"endpoint": k, "ms_per_request": v,
                       "note": "in-process component cost, HTTP framing not included"} for k, v in portal.items()],
        "hls": {"ts_overhead_ratio": ts_overhead, "segment_s": 2.0},
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_REFERENCE, help="where to write the calibration")
    parser.add_argument("--repeats", type=int, default=5, help="timed repeats per cost (median reported)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    data = measure(args.repeats)
    write_json_atomic(args.out, data)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
