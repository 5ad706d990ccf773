"""A multi-stream, stream-copy RTSP reader: one process, many streams, packets counted per stream.

It consumes cameras the way an ingest worker does before decoding (demux only), so that a bench can
load every camera of a fleet with a few processes and measure the serving side apart:

    python -m fake_cameras.reader --urls urls.txt --duration 20 --out stats.json

Packet arrival times give each stream's frame rate; the first second after the first packet is left
out because the demuxer hands over what it buffered while probing the stream in one burst.
"""
from __future__ import annotations

import argparse
import json
import logging
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import av

from common.atomic import write_text_atomic

log = logging.getLogger(__name__)

WARMUP_S = 1.0


@dataclass(frozen=True)
class StreamStats:
    url: str
    packets: int
    bytes: int
    keyframes: int
    width: int
    height: int
    open_s: float | None      # seconds from the start until the first packet
    rate_fps: float | None    # packets per second after the warm-up
    error: str | None


def read_stream(url: str, stop_at: float | None, transport: str = "tcp", open_timeout_s: float = 20.0,
                open_wait_s: float = 0.0, *, read_s: float | None = None) -> StreamStats:
    """Demux one RTSP stream until the monotonic time ``stop_at``; never decodes.

    ``open_wait_s``: keep retrying an open that is refused or answered 404/5XX for this long (a
    publisher that has not announced its stream yet). ``read_s`` (instead of ``stop_at``): read for
    this long after the stream opened, however long the open took (a server that was just started
    can take seconds to prepare its first session).
    """
    if (stop_at is None) == (read_s is None):
        raise ValueError("read_stream: give exactly one of stop_at and read_s")
    t_start = time.monotonic()
    packets = nbytes = keys = 0
    width = height = 0
    first = None
    window: list[float] = []
    error = None
    opts = {"rtsp_transport": transport, "timeout": str(int(open_timeout_s * 1e6))}
    try:
        with _open(url, opts, open_timeout_s, time.monotonic() + open_wait_s) as container:
            stream = container.streams.video[0]
            width, height = stream.codec_context.width, stream.codec_context.height
            if read_s is not None:
                stop_at = time.monotonic() + read_s
            for pkt in container.demux(stream):
                now = time.monotonic()
                if pkt.size == 0:
                    continue
                packets += 1
                nbytes += pkt.size
                keys += bool(pkt.is_keyframe)
                if first is None:
                    first = now
                elif now >= first + WARMUP_S:
                    window.append(now)
                if now >= stop_at:
                    break
    except (av.FFmpegError, OSError) as e:
        error = f"{type(e).__name__}: {e}"
    rate = None
    if len(window) >= 2 and window[-1] > window[0]:
        rate = (len(window) - 1) / (window[-1] - window[0])
    return StreamStats(url, packets, nbytes, keys, width, height,
                       None if first is None else round(first - t_start, 3),
                       None if rate is None else round(rate, 3), error)


def _open(url: str, opts: dict, timeout: float, wait_until: float, retries: int = 3):
    """Open an RTSP input. A 5XX answer is retried a few times: GStreamer's shared media gives it to a
    reader arriving in the few milliseconds while the previous last reader's pipeline is torn down.
    So is an answer FFmpeg cannot parse (``InvalidDataError``): a few of 300 readers opening at once
    on a busy host got one, as an ingest client would, they try again. Until ``wait_until``, a
    refused connection or a 404 is retried too."""
    attempt = 0
    while True:
        try:
            return av.open(url, options=opts, timeout=timeout)
        except (av.HTTPServerError, av.InvalidDataError):
            attempt += 1
            if attempt > retries and time.monotonic() >= wait_until:
                raise
        except (av.HTTPNotFoundError, ConnectionRefusedError):
            if time.monotonic() >= wait_until:
                raise
        time.sleep(0.2 if attempt <= retries else 0.5)


def read_streams(urls: list[str], duration_s: float, transport: str = "tcp",
                 open_timeout_s: float = 20.0, open_wait_s: float = 0.0, *,
                 from_open: bool = False) -> list[StreamStats]:
    """Read every URL at once (one thread each) for ``duration_s`` seconds; stats in URL order.

    All reads end together, ``duration_s`` from now; with ``from_open``, each read lasts ``duration_s``
    from its own stream's open instead."""
    stop_at = time.monotonic() + duration_s
    out: list[StreamStats | None] = [None] * len(urls)

    def work(i: int, url: str) -> None:
        if from_open:
            out[i] = read_stream(url, None, transport, open_timeout_s, open_wait_s, read_s=duration_s)
        else:
            out[i] = read_stream(url, stop_at, transport, open_timeout_s, open_wait_s)

    threads = [threading.Thread(target=work, args=(i, u), daemon=True, name=f"read-{i}")
               for i, u in enumerate(urls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=duration_s + open_timeout_s + open_wait_s + 10)
    return [s if s is not None else StreamStats(u, 0, 0, 0, 0, 0, None, None, "reader thread did not finish")
            for s, u in zip(out, urls)]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m fake_cameras.reader", description=__doc__.splitlines()[0])
    p.add_argument("--urls", required=True, help="file with one RTSP URL a line")
    p.add_argument("--duration", type=float, required=True, help="seconds to read")
    p.add_argument("--transport", choices=["tcp", "udp"], default="tcp")
    p.add_argument("--open-wait", type=float, default=0.0,
                   help="seconds to keep retrying a stream that is refused or not found yet")
    p.add_argument("--out", required=True, help="JSON file to write the per-stream stats to")
    args = p.parse_args(argv)
    urls = [u.strip() for u in Path(args.urls).read_text().splitlines() if u.strip()]
    stats = read_streams(urls, args.duration, args.transport, open_wait_s=args.open_wait)
    write_text_atomic(Path(args.out), json.dumps([asdict(s) for s in stats]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
