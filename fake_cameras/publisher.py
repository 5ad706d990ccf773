"""One PyAV process publishing every camera of a fleet to an RTSP server (MediaMTX, or any relay).

    python -m fake_cameras.publisher CONFIG.json

CONFIG: ``{"url_base": "rtsp://127.0.0.1:8554", "transport": "tcp", "cameras": [{"id", "clip", "fps",
"online"}]}``. Each clip is demuxed once into memory; each camera is an RTSP output whose packets
carry continuously increasing timestamps (the clip loops, nothing is re-encoded). One loop paces all
cameras by their next due time. Impairments arrive as JSON lines on stdin:
``{"camera": ID, "state": "online"|"offline"|"freeze"|"spike", "factor": F}``.
"""
from __future__ import annotations

import heapq
import json
import logging
import signal
import sys
import threading
import time
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

import av

log = logging.getLogger("fake_cameras.publisher")


class ClipPackets:
    """A clip's video packets, demuxed once: payload bytes and keyframe flags in decode order."""

    def __init__(self, path: str):
        self.container = av.open(path)      # kept open: its stream is the template of every output
        self.stream = self.container.streams.video[0]
        self.codec = self.stream.codec_context.name
        self.units: list[tuple[bytes, bool]] = [
            (bytes(p), bool(p.is_keyframe)) for p in self.container.demux(self.stream) if p.size]
        if not self.units or not self.units[0][1]:
            raise ValueError(f"{path}: no video packets starting with a keyframe")
        self.keyframe = self.units[0][0]


def filler(codec: str, size: int) -> bytes:
    """A filler-data NAL unit (ignored by decoders) in the clip's packet format (length-prefixed)."""
    size = max(size, 8)
    nal = (b"\x0c" if codec == "h264" else b"\x4c\x01") + b"\xff" * size + b"\x80"
    return len(nal).to_bytes(4, "big") + nal


@dataclass
class Output:
    cam_id: str
    clip: ClipPackets
    fps: float
    url: str
    transport: str
    state: str = "online"
    factor: float = 1.0
    container: object = None
    ostream: object = None
    index: int = 0
    frame: int = 0
    retry_at: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def open(self) -> None:
        self.container = av.open(self.url, "w", format="rtsp", options={"rtsp_transport": self.transport})
        self.ostream = self.container.add_stream_from_template(self.clip.stream)
        self.ostream.time_base = Fraction(1, 90000)
        self.index = 0        # restart at a keyframe
        log.info("publishing %s", self.url)

    def close(self) -> None:
        if self.container is not None:
            try:
                self.container.close()
            except (av.FFmpegError, OSError) as e:
                log.debug("closing %s: %s", self.cam_id, e)
        self.container = self.ostream = None

    def send(self) -> int:
        units = self.clip.units
        if self.state == "freeze":
            data, key = self.clip.keyframe, True
        else:
            data, key = units[self.index % len(units)]
            self.index += 1
            if self.state == "spike":
                data = data + filler(self.clip.codec, int(len(data) * (self.factor - 1.0)))
        pkt = av.Packet(data)
        pkt.stream = self.ostream
        pkt.time_base = self.ostream.time_base
        pkt.pts = pkt.dts = int(self.frame * 90000 / self.fps)
        pkt.duration = int(90000 / self.fps)
        pkt.is_keyframe = key
        self.frame += 1
        self.container.mux(pkt)
        return len(data)


class Publisher:
    def __init__(self, cfg: dict):
        clips: dict[str, ClipPackets] = {}
        self.outputs: dict[str, Output] = {}
        for cam in cfg["cameras"]:
            if cam["clip"] not in clips:
                clips[cam["clip"]] = ClipPackets(cam["clip"])
            out = Output(cam["id"], clips[cam["clip"]], float(cam["fps"]), f"{cfg['url_base']}/{cam['id']}",
                         cfg.get("transport", "tcp"))
            out.state = "online" if cam.get("online", True) else "offline"
            self.outputs[cam["id"]] = out
        self.stop = threading.Event()

    def control(self, line: str) -> None:
        try:
            msg = json.loads(line)
            out = self.outputs[msg["camera"]]
            with out.lock:
                out.state, out.factor = msg["state"], float(msg.get("factor", 1.0))
        except (ValueError, KeyError) as e:
            log.warning("bad control line %r: %s", line, e)

    def run(self) -> None:
        t0 = time.monotonic()
        heap = [(t0, cam_id) for cam_id in self.outputs]
        heapq.heapify(heap)
        while heap and not self.stop.is_set():
            due, cam_id = heapq.heappop(heap)
            delay = due - time.monotonic()
            if delay > 0 and self.stop.wait(delay):
                break
            out = self.outputs[cam_id]
            with out.lock:
                self._step(out)
            heapq.heappush(heap, (max(due + 1.0 / out.fps, time.monotonic() - 1.0), cam_id))
        for out in self.outputs.values():
            out.close()

    def _step(self, out: Output) -> None:
        if out.state == "offline":
            out.close()
            return
        try:
            if out.container is None:
                if time.monotonic() < out.retry_at:
                    return
                out.open()
            out.send()
        except (av.FFmpegError, OSError) as e:
            log.warning("%s: %s; retrying in 2 s", out.cam_id, e)
            out.close()
            out.retry_at = time.monotonic() + 2.0


def main(argv: list[str]) -> int:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s publisher: %(message)s")
    cfg = json.loads(Path(argv[1]).read_text())
    try:
        pub = Publisher(cfg)
    except (ValueError, av.FFmpegError, OSError) as e:
        print(f"FOOTAGE-ERROR {e}", file=sys.stderr, flush=True)
        return 2
    signal.signal(signal.SIGTERM, lambda *_: pub.stop.set())

    def read_stdin() -> None:
        for line in sys.stdin:
            pub.control(line)

    threading.Thread(target=read_stdin, daemon=True).start()
    print(f"PUBLISHING {len(pub.outputs)} cameras", flush=True)
    pub.run()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
