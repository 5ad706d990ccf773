"""Shared pieces of the NVR-site tests: a fleet dict with sites, a concurrent RTSP reader that counts
what arrives (demux only: bytes and frames), and the skip when network namespaces cannot be made.

The reader counts only a window after each stream's first ``skip_s`` (``fake_cameras.reader`` counts from
the open): over a shaped link the first seconds hold the burst FFmpeg buffered while probing."""
from __future__ import annotations

import threading
import time

import av
import pytest

from fake_cameras.netns import netns_unavailable
from tests.fake_cameras.fleet_helpers import fleet_dict

_why_not = netns_unavailable()
needs_netns = pytest.mark.skipif(_why_not is not None, reason=f"network namespaces: {_why_not}")


def sites_fleet(count: int, uplinks: list[dict], *, profile: str = "rt-360p10", impairments=None,
                **sites) -> dict:
    cls = {"name": "rt", "count": count, "group": "CCTV RT", "profile": profile,
           "footage": {"variants": 1, "scene": {"duration_s": 6}}}
    return fleet_dict([cls], impairments, sites={"channels": {4: 1.0}, "uplinks": uplinks, **sites})


def open_stream(url: str, timeout: float = 5.0):
    return av.open(url, options={"rtsp_transport": "tcp", "timeout": str(int(timeout * 1e6)),
                                 "analyzeduration": "500000", "probesize": "100000"},
                   timeout=(timeout, timeout))


def read_streams(urls: dict[str, str], seconds: float, skip_s: float = 1.0, open_timeout: float = 5.0,
                 window: tuple[float, float] | None = None) -> dict[str, dict]:
    """Read every URL at once; per key the frames and payload bytes that arrived in ``seconds`` after the
    stream's first ``skip_s`` (from its first packet), the stream's size, or the error that stopped it.
    A stream that opens but stays silent ends after ``open_timeout + skip_s + seconds``. ``window``
    (monotonic start, end): count what arrived in that one window for every stream instead, so that
    streams sharing a link are measured over the same time."""
    out: dict[str, dict] = {k: {"frames": 0, "bytes": 0, "size": None, "error": None} for k in urls}
    give_up = window[1] if window else time.monotonic() + open_timeout + skip_s + seconds

    def read(key: str, url: str) -> None:
        r = out[key]
        try:
            with open_stream(url, open_timeout) as c:
                stream = c.streams.video[0]
                r["size"] = (stream.codec_context.width, stream.codec_context.height)
                first = None
                for pkt in c.demux(stream):
                    now = time.monotonic()
                    first = now if first is None else first
                    start, end = window or (first + skip_s, first + skip_s + seconds)
                    if now > end or now > give_up:
                        break
                    if now >= start and pkt.size:
                        r["frames"] += 1
                        r["bytes"] += pkt.size
        except (av.error.FFmpegError, OSError) as e:
            r["error"] = e

    threads = [threading.Thread(target=read, args=kv, daemon=True) for kv in urls.items()]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=max(give_up - time.monotonic(), 0) + open_timeout + skip_s + seconds + 10)
    return out
