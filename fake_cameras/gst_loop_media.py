"""Loop serving for the embedded RTSP server: a camera whose clip loops inside GStreamer, no Python per packet.

Imported by ``gst_rtsp_server.py`` (under Debian's /usr/bin/python3, where ``gi`` lives); imports nothing
of the project. The ``appsrc`` serving of that server pushes every access unit from a Python callback
(about 50 us of CPU each, with the GIL): at a few hundred cameras Python is the bottleneck. Here a camera's
media pipeline is

    multifilesrc location=CLIP.h264 loop=true ! h264parse ! rtph264pay

so GStreamer reads the clip's Annex B elementary stream (written once per clip, every keyframe with its
parameter sets), re-reads it at its end and parses it as one continuous stream: the parser numbers the
frames on across the loop (decode timestamps continue, 1/fps apart) and the RTSP server's senders pace
them by the pipeline clock. The clip is not re-encoded and Python runs only at set-up, at connect and at
teardown.

What loop serving does not do: per-packet impairments (``freeze``, ``spike``) need the packets in Python;
only ``online``/``offline`` apply. Byte counters are metered from time: a served camera sends its clip's
mean byte rate to each reader (``LoopMeter``), not counted packet by packet.
"""
from __future__ import annotations

import threading
import time
from pathlib import Path

CAPS = {"h264": "video/x-h264", "h265": "video/x-h265"}
PARSE = {"h264": "h264parse", "h265": "h265parse"}
PAY = {"h264": "rtph264pay", "h265": "rtph265pay"}


def write_elementary_stream(units: list[bytes], codec: str, path: Path) -> Path:
    """The clip's access units back to back (Annex B byte stream), written atomically once."""
    if not path.exists():
        tmp = path.with_suffix(".tmp")
        with open(tmp, "wb") as f:
            for unit in units:
                f.write(unit)
        tmp.replace(path)
    return path


def loop_launch(path: Path, codec: str, fps: float) -> str:
    """The media factory's launch line: the elementary stream looped, parsed and payloaded in GStreamer."""
    num, den = (int(round(fps * 1000)), 1000)
    caps = CAPS[codec]
    return (f'( multifilesrc location="{path}" loop=true '
            f"caps={caps},stream-format=byte-stream,framerate={num}/{den} "
            f"! {PARSE[codec]} ! {caps},alignment=au "
            f"! {PAY[codec]} name=pay0 pt=96 config-interval=-1 )")


class LoopMeter:
    """Bytes a loop-served camera received (from its file) and sent (to its readers), metered from time.

    ``media`` counts the camera's prepared pipelines (one when shared), ``readers`` its playing readers;
    each advances the counters at the clip's mean byte rate since the last update.
    """

    def __init__(self, bytes_per_s: float):
        self.bytes_per_s = bytes_per_s
        self.bytes_in = 0.0
        self.bytes_out = 0.0
        self.media = 0
        self._t = time.monotonic()
        self._lock = threading.Lock()

    def update(self, readers: int, media_delta: int = 0) -> None:
        with self._lock:
            now = time.monotonic()
            dt, self._t = now - self._t, now
            self.bytes_in += self.bytes_per_s * dt * (1 if self.media > 0 else 0)
            self.bytes_out += self.bytes_per_s * dt * readers
            self.media = max(0, self.media + media_delta)
