"""A user-space relay that adds delay, jitter and loss to a camera's path (netem is not available here).

    with TcpRelay(("10.232.0.6", 554), down=PathDelay(delay_ms=80, jitter_ms=10)) as relay:
        url = f"rtsp://{relay.host}:{relay.port}/Streaming/Channels/101"   # read through the relay

``TcpRelay`` is for RTSP with RTP interleaved in the TCP connection (how the NVR sites serve): each chunk
read from one side is written to the other ``delay_ms`` (plus a uniform draw in +-``jitter_ms``) after it
arrived, never before a chunk read earlier (a TCP stream keeps its order, so jitter there shows as bunching).
A ``loss`` on TCP is what the reader of a TCP stream sees of a lost segment: that chunk, and all behind it,
wait ``rto_ms`` more (the retransmission). ``UdpRelay`` is for RTP over UDP: each datagram is delayed on its
own (jitter may reorder them) and a share ``loss`` is dropped. ``down`` applies from the camera to the
reader, ``up`` from the reader to the camera; either may be None (passed on at once).

What shapes what: the uplink's rate and queue are the ``tbf`` qdisc on the site's veth
(``fake_cameras.netns``); delay and jitter are this relay; RTP loss bursts inside the NVR's media path are
the ``loss_burst`` site fault (``fake_cameras.gst_nvr``).
"""
from __future__ import annotations

import heapq
import logging
import random
import socket
import threading
import time
from dataclasses import dataclass

log = logging.getLogger(__name__)

CHUNK = 65536


@dataclass(frozen=True)
class PathDelay:
    delay_ms: float = 0.0
    jitter_ms: float = 0.0          # uniform in +-jitter_ms around delay_ms (never below zero)
    loss: float = 0.0               # share of chunks (TCP: delayed by rto_ms) or datagrams (UDP: dropped)
    rto_ms: float = 200.0           # TCP: the retransmission wait a lost segment costs

    def __post_init__(self) -> None:
        if self.delay_ms < 0 or self.jitter_ms < 0 or not 0 <= self.loss < 1 or self.rto_ms < 0:
            raise ValueError(f"path delay {self}: delay, jitter and rto >= 0, 0 <= loss < 1")

    def wait_s(self, rng: random.Random) -> float:
        """Seconds one chunk or datagram waits (loss not included)."""
        jitter = rng.uniform(-self.jitter_ms, self.jitter_ms) if self.jitter_ms else 0.0
        return max(self.delay_ms + jitter, 0.0) / 1000.0


class _Scheduler:
    """Sends queued items when their time comes, from one thread (a heap of (due, seq, send, data))."""

    def __init__(self) -> None:
        self._heap: list[tuple[float, int, object, bytes]] = []
        self._seq = 0
        self._cv = threading.Condition()
        self._closed = False
        self._thread = threading.Thread(target=self._loop, name="relay-scheduler", daemon=True)
        self._thread.start()

    def put(self, due: float, send, data: bytes) -> None:
        with self._cv:
            self._seq += 1
            heapq.heappush(self._heap, (due, self._seq, send, data))
            self._cv.notify()

    def _loop(self) -> None:
        while True:
            with self._cv:
                while not self._closed and (not self._heap or self._heap[0][0] > time.monotonic()):
                    self._cv.wait(timeout=(self._heap[0][0] - time.monotonic()) if self._heap else None)
                if self._closed:
                    return
                _, _, send, data = heapq.heappop(self._heap)
            try:
                send(data)      # type: ignore[operator]
            except OSError:
                pass            # that side went away; its reader ends the connection

    def close(self) -> None:
        with self._cv:
            self._closed = True
            self._cv.notify()
        self._thread.join(timeout=5)


class _Relay:
    def __init__(self, upstream: tuple[str, int], down: PathDelay | None = None, up: PathDelay | None = None,
                 listen: tuple[str, int] = ("127.0.0.1", 0), seed: int | None = None) -> None:
        self.upstream = upstream
        self.down, self.up = down, up
        self.rng = random.Random(seed)
        self._listen = listen
        self._sched = _Scheduler()
        self._threads: list[threading.Thread] = []
        self._stop = threading.Event()
        self.sock: socket.socket | None = None

    @property
    def host(self) -> str:
        return self.sock.getsockname()[0] if self.sock else self._listen[0]

    @property
    def port(self) -> int:
        return self.sock.getsockname()[1] if self.sock else self._listen[1]

    def _spawn(self, target, *args) -> None:
        t = threading.Thread(target=target, args=args, daemon=True)
        t.start()
        self._threads.append(t)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc) -> None:
        self.close()


class TcpRelay(_Relay):
    """Listens on ``listen`` (a free loopback port by default); each connection is relayed to ``upstream``."""

    def __init__(self, upstream: tuple[str, int], down: PathDelay | None = None, up: PathDelay | None = None,
                 listen: tuple[str, int] = ("127.0.0.1", 0), seed: int | None = None) -> None:
        super().__init__(upstream, down, up, listen, seed)
        self._conns: list[socket.socket] = []
        self._scheds: list[_Scheduler] = []

    def start(self) -> TcpRelay:
        self.sock = socket.create_server(self._listen)
        self.sock.settimeout(0.2)
        self._spawn(self._accept)
        return self

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                client, _ = self.sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            try:
                server = socket.create_connection(self.upstream, timeout=10)
            except OSError as e:
                log.warning("relay to %s:%d: %s", *self.upstream, e)
                client.close()
                continue
            server.settimeout(None)
            self._conns += [client, server]
            self._spawn(self._pump, server, client, self.down)
            self._spawn(self._pump, client, server, self.up)

    def _pump(self, src: socket.socket, dst: socket.socket, path: PathDelay | None) -> None:
        sched = _Scheduler()            # one per direction: a reader that stops reading holds up only its own
        self._scheds.append(sched)
        last = 0.0
        while not self._stop.is_set():
            try:
                data = src.recv(CHUNK)
            except OSError:
                data = b""
            if not data:
                sched.put(last, lambda _d: _half_close(dst), b"")   # after what is still queued
                return
            if path is None:
                due = time.monotonic()
            else:
                due = time.monotonic() + path.wait_s(self.rng)
                if path.loss and self.rng.random() < path.loss:
                    due += path.rto_ms / 1000.0
            last = max(due, last)           # a TCP stream keeps its order
            sched.put(last, dst.sendall, data)

    def close(self) -> None:
        self._stop.set()
        if self.sock is not None:
            self.sock.close()
        for s in self._conns:
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            s.close()
        for sched in [self._sched, *self._scheds]:
            sched.close()
        for t in self._threads:
            t.join(timeout=5)


def _half_close(s: socket.socket) -> None:
    try:
        s.shutdown(socket.SHUT_WR)
    except OSError:
        pass


class UdpRelay(_Relay):
    """Datagrams to ``listen`` go to ``upstream`` from a socket per client; replies go back to that client."""

    def start(self) -> UdpRelay:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(self._listen)
        self.sock.settimeout(0.2)
        self._clients: dict[tuple[str, int], socket.socket] = {}
        self._spawn(self._from_clients)
        return self

    def _send_later(self, path: PathDelay | None, send, data: bytes) -> None:
        if path is not None and path.loss and self.rng.random() < path.loss:
            return                                  # lost
        self._sched.put(time.monotonic() + (path.wait_s(self.rng) if path else 0.0), send, data)

    def _from_clients(self) -> None:
        while not self._stop.is_set():
            try:
                data, addr = self.sock.recvfrom(CHUNK)
            except TimeoutError:
                continue
            except OSError:
                return
            out = self._clients.get(addr)
            if out is None:
                out = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                out.connect(self.upstream)
                out.settimeout(0.2)
                self._clients[addr] = out
                self._spawn(self._from_upstream, out, addr)
            self._send_later(self.up, out.send, data)

    def _from_upstream(self, out: socket.socket, addr: tuple[str, int]) -> None:
        while not self._stop.is_set():
            try:
                data = out.recv(CHUNK)
            except TimeoutError:
                continue
            except OSError:
                return
            self._send_later(self.down, lambda d, a=addr: self.sock.sendto(d, a), data)

    def close(self) -> None:
        self._stop.set()
        if self.sock is not None:
            self.sock.close()
        for s in getattr(self, "_clients", {}).values():
            s.close()
        self._sched.close()
        for t in self._threads:
            t.join(timeout=5)
