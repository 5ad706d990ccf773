"""The naive baseline the stack is measured against: OpenCV reads (decodes) every frame of every camera
and Ultralytics ``predict`` runs at batch 1, one call per analysed frame per camera (a thread and a model
per camera). With ``--sample-fps`` it predicts only the frame of each sampling instant, every
round(fps / sample_fps)-th frame read, so that it analyses at the stack's rate; without, every frame.
Run as a script; prints JSON counts when ``--duration`` is over.

    python tests/analytics/naive_baseline.py --weights W --imgsz 320 --fps 10 --sample-fps 1 URL [URL ...]
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--weights", required=True)
    ap.add_argument("--imgsz", type=int, default=320)
    ap.add_argument("--duration", type=float, default=20, help="measured window (s)")
    ap.add_argument("--warmup", type=float, default=8, help="seconds before the window starts")
    ap.add_argument("--fps", type=float, default=10.0, help="the cameras' frame rate")
    ap.add_argument("--sample-fps", type=float, default=None, help="analysed frames per second per camera "
                    "(default: every frame)")
    ap.add_argument("urls", nargs="+")
    args = ap.parse_args()
    step = 1 if args.sample_fps is None else max(1, round(args.fps / args.sample_fps))
    from analytics.detect import ultralytics_env
    ultralytics_env()
    import cv2
    from ultralytics import YOLO
    stop = threading.Event()
    counts = {u: {"read": 0, "predicted": 0} for u in args.urls}
    ready = threading.Barrier(len(args.urls) + 1)

    def camera(url: str) -> None:
        model = YOLO(args.weights, task="detect")
        cap = cv2.VideoCapture(url, cv2.CAP_FFMPEG)
        ready.wait()
        try:
            while not stop.is_set():
                ok, frame = cap.read()
                if not ok:
                    time.sleep(0.1)
                    continue
                counts[url]["read"] += 1
                if counts[url]["read"] % step:
                    continue
                model.predict(frame, imgsz=args.imgsz, verbose=False)
                counts[url]["predicted"] += 1
        finally:
            cap.release()

    threads = [threading.Thread(target=camera, args=(u,), daemon=True) for u in args.urls]
    for t in threads:
        t.start()
    ready.wait()
    import psutil
    me = psutil.Process()
    time.sleep(args.warmup)
    c0, t0 = json.loads(json.dumps(counts)), time.monotonic()
    cpu0 = sum(me.cpu_times()[:2])
    time.sleep(args.duration)
    c1, t1 = json.loads(json.dumps(counts)), time.monotonic()
    cpu1 = sum(me.cpu_times()[:2])
    stop.set()
    print(json.dumps({"window_s": t1 - t0, "cpu_s": cpu1 - cpu0, "pid": os.getpid(),
                      "read": sum(c1[u]["read"] - c0[u]["read"] for u in counts),
                      "predicted": sum(c1[u]["predicted"] - c0[u]["predicted"] for u in counts),
                      "cameras": len(counts)}), flush=True)
    for t in threads:
        t.join(timeout=5)
    return 0


if __name__ == "__main__":
    sys.exit(main())
