"""The user-space relay adds the delay, jitter and loss that netem would: measured one way on loopback,
with the sender's monotonic clock in each message (one host: one clock)."""
from __future__ import annotations

import socket
import statistics
import struct
import threading
import time

import pytest

from fake_cameras.relay import PathDelay, TcpRelay, UdpRelay

MSG = struct.Struct("!d")


def _tcp_sender(count: int, gap_s: float):
    """A server that, once a client connects, sends ``count`` timestamps ``gap_s`` apart, then closes."""
    srv = socket.create_server(("127.0.0.1", 0))

    def run() -> None:
        conn, _ = srv.accept()
        with conn:
            for _ in range(count):
                conn.sendall(MSG.pack(time.monotonic()))
                time.sleep(gap_s)
    t = threading.Thread(target=run, daemon=True)
    t.start()
    return srv, t


def _tcp_delays(path: PathDelay | None, count: int = 40, gap_s: float = 0.02, seed: int = 1) -> list[float]:
    srv, t = _tcp_sender(count, gap_s)
    try:
        with TcpRelay(srv.getsockname(), down=path, seed=seed) as relay, \
                socket.create_connection((relay.host, relay.port), timeout=10) as c:
            buf, out = b"", []
            while len(out) < count:
                data = c.recv(4096)
                if not data:
                    break
                now = time.monotonic()
                buf += data
                while len(buf) >= MSG.size:
                    out.append(1000 * (now - MSG.unpack(buf[:MSG.size])[0]))
                    buf = buf[MSG.size:]
            assert c.recv(1) == b"", "the relay passes the close on after the data"
        return out
    finally:
        t.join(timeout=10)
        srv.close()


def test_80ms_of_configured_delay_is_measured_as_80ms_over_tcp():
    base = statistics.median(_tcp_delays(None))
    delayed = _tcp_delays(PathDelay(delay_ms=80))
    assert len(delayed) == 40
    assert 78 <= statistics.median(delayed) - base <= 90, (base, statistics.median(delayed))
    assert min(delayed) >= 79, "nothing arrives before its delay"


def test_jitter_spreads_the_delay_and_a_tcp_stream_keeps_its_order():
    d = _tcp_delays(PathDelay(delay_ms=60, jitter_ms=30), count=60)
    assert max(d) - min(d) >= 25, "the delays spread over the jitter window"
    assert min(d) >= 29 and statistics.median(d) < 110
    # the messages arrive in the order they were sent (the stream's bytes decode as the sender's times)


def test_loss_on_tcp_costs_the_retransmission_wait():
    d = _tcp_delays(PathDelay(delay_ms=20, loss=0.2, rto_ms=150), count=50, seed=3)
    late = [x for x in d if x > 150]
    assert len(d) == 50 and late, "lost segments hold the stream up by the retransmission wait"
    assert statistics.median(_tcp_delays(PathDelay(delay_ms=20), count=30)) < 60


def test_udp_datagrams_are_delayed_and_a_share_is_dropped():
    echo = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    echo.bind(("127.0.0.1", 0))
    echo.settimeout(0.5)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                data, addr = echo.recvfrom(64)
            except TimeoutError:
                continue
            echo.sendto(data, addr)
    t = threading.Thread(target=serve, daemon=True)
    t.start()
    try:
        with UdpRelay(echo.getsockname(), down=PathDelay(delay_ms=80, loss=0.25), seed=2) as relay, \
                socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as c:
            c.settimeout(0.5)
            got: list[float] = []

            def receive() -> None:
                try:
                    while True:
                        data = c.recv(64)
                        got.append(1000 * (time.monotonic() - MSG.unpack(data)[0]))
                except (TimeoutError, OSError):
                    pass
            for i in range(80):
                c.sendto(MSG.pack(time.monotonic()), (relay.host, relay.port))
                if i == 0:
                    rx = threading.Thread(target=receive, daemon=True)
                    rx.start()
                time.sleep(0.005)
            rx.join(timeout=10)
    finally:
        stop.set()
        t.join(timeout=5)
        echo.close()
    assert 40 <= len(got) <= 75, len(got)                  # about a quarter of 80 dropped
    assert min(got) >= 79 and statistics.median(got) < 100


def test_a_path_delay_refuses_nonsense():
    with pytest.raises(ValueError):
        PathDelay(loss=1.0)
    with pytest.raises(ValueError):
        PathDelay(delay_ms=-1)
