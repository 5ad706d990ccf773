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

One pipeline per clip variant, not per camera: every camera (mount path) serving the same clip shares
one ``LoopFactory`` whose media key is the clip, so the clip is read, parsed and payloaded once and the
RTSP server's senders fan the packets out to each camera's readers (as a media server fans one
publisher out to its readers). Per reader the cost left is the send itself. Cameras of one variant
therefore play the same frames in phase; ``variants`` in the fleet config sets how many differ.

What loop serving does not do: per-packet impairments (``freeze``, ``spike``) need the packets in Python;
only ``online``/``offline`` apply. Byte counters are metered from time: a served camera sends its clip's
mean byte rate to each reader (``LoopMeter``), not counted packet by packet.
"""
from __future__ import annotations

import threading
import time
from pathlib import Path

import gi

gi.require_version("GstRtspServer", "1.0")
from gi.repository import GstRtspServer  # noqa: E402 -- gi needs require_version before this import

CAPS = {"h264": "video/x-h264", "h265": "video/x-h265"}
PARSE = {"h264": "h264parse", "h265": "h265parse"}
PAY = {"h264": "rtph264pay", "h265": "rtph265pay"}


def write_elementary_stream(units: list[bytes], codec: str, path: Path) -> Path:
    """The clip's access units back to back (Annex B byte stream), written atomically once."""
    if not path.exists():
        tmp = path.with_suffix(".tmp")
        with open(tmp, "wb") as f:
            f.writelines(units)
        tmp.replace(path)
    return path


def loop_launch(path: Path, codec: str, fps: float) -> str:
    """The media factory's launch line: the elementary stream looped, parsed and payloaded in GStreamer."""
    num, den = round(fps * 1000), 1000
    caps = CAPS[codec]
    return (f'( multifilesrc location="{path}" loop=true '
            f"caps={caps},stream-format=byte-stream,framerate={num}/{den} "
            f"! {PARSE[codec]} ! {caps},alignment=au "
            f"! {PAY[codec]} name=pay0 pt=96 config-interval=-1 )")


class LoopFactory(GstRtspServer.RTSPMediaFactory):
    """The media factory of one clip variant, mounted at every camera path that serves it.

    Shared media are looked up by ``gen_key``; the default key is the request URL (one media per camera),
    this one is the clip's, so all the variant's cameras share one pipeline.
    """

    def __init__(self, path: Path, codec: str, fps: float, transports):
        super().__init__()
        self.key = f"loop:{path}"
        self.set_launch(loop_launch(path, codec, fps))
        self.set_shared(True)
        self.set_protocols(transports)

    def do_gen_key(self, _url) -> str:
        return self.key


class LoopMeter:
    """Bytes a loop-served camera received (from its file) and sent (to its readers), metered from time:
    while the camera has readers it receives its clip's mean byte rate and sends that much to each."""

    def __init__(self, bytes_per_s: float):
        self.bytes_per_s = bytes_per_s
        self.bytes_in = 0.0
        self.bytes_out = 0.0
        self._t = time.monotonic()
        self._lock = threading.Lock()

    def update(self, readers: int) -> None:
        with self._lock:
            now = time.monotonic()
            dt, self._t = now - self._t, now
            self.bytes_in += self.bytes_per_s * dt * (1 if readers else 0)
            self.bytes_out += self.bytes_per_s * dt * readers
