"""The MediaMTX backend where no binary can run: its config, binary resolution and checksum, the
control API's pages and the metrics parsed from documented sample responses, and the one-process
PyAV publisher pushing into a real relay server (Debian's rtsp-server-perl)."""
from __future__ import annotations

import hashlib
import io
import json
import shutil
import subprocess
import sys
import tarfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from common.errors import InputError, UnavailableError
from common.netguard import free_port
from common.procs import ProcessSet
from fake_cameras.backends.base import ServedCamera, fetch_paths
from fake_cameras.backends.mediamtx import (DOWNLOAD_ENV, MEDIAMTX_VERSION, RELEASE_SHA256, install_archive,
                                            make_config, parse_metrics, resolve_binary)
from fake_cameras.reader import read_streams
from tests.fake_cameras.test_backends_embedded import lavfi_clip

REPO = Path(__file__).resolve().parents[2]

# The shape of MediaMTX's documented /v3/paths/list response (one item; fields as in its API docs).
SAMPLE_ITEM = {
    "name": "atcs-0001", "confName": "atcs-0001", "source": {"type": "rtspSession", "id": "a1b2"},
    "ready": True, "readyTime": "2026-11-28T03:00:00Z", "tracks": ["H264"],
    "bytesReceived": 123456, "bytesSent": 654321,
    "readers": [{"type": "rtspSession", "id": "c3d4"}, {"type": "hlsMuxer", "id": ""}],
}

# The documented metrics format (README's sample, plus the newer per-path names).
SAMPLE_METRICS = """
# metrics of every path
paths{name="atcs-0001",state="ready"} 1
paths_bytes_received{name="atcs-0001",state="ready"} 1234
paths_bytes_sent{name="atcs-0001",state="ready"} 187
paths_readers{name="atcs-0001",state="ready"} 2
paths{name="rt-0001",state="notReady"} 1
paths_bytes_received{name="rt-0001",state="notReady"} 0
paths_inbound_bytes{name="pasar-0001",state="ready"} 99
paths{name="pasar-0001",state="ready"} 1
hls_muxers{name="atcs-0001"} 1
rtsp_conns{id="18294761-f9d1-4ea9-9a35-fe265b62eb41"} 1
rtsp_sessions{id="1",state="publish"} 1
rtsp_sessions{id="2",state="read"} 1
rtsp_sessions{id="3",state="read"} 1
"""


def test_config_puts_every_listener_on_loopback_and_one_path_per_camera():
    cams = [ServedCamera("atcs-0001", Path("a.mp4"), "h264", 15.0),
            ServedCamera("rt-0001", Path("b.mp4"), "h264", 10.0)]
    cfg = make_config("127.0.0.1", {"rtsp": 18554, "api": 19997, "hls": 18888, "metrics": 19998, "rtp": 18000}, cams)
    assert cfg["rtspAddress"] == "127.0.0.1:18554" and cfg["hlsAddress"] == "127.0.0.1:18888"
    assert cfg["api"] is True and cfg["apiAddress"] == "127.0.0.1:19997"
    assert cfg["metrics"] is True and cfg["metricsAddress"] == "127.0.0.1:19998"
    assert (cfg["rtpAddress"], cfg["rtcpAddress"]) == ("127.0.0.1:18000", "127.0.0.1:18001")
    assert cfg["paths"] == {"atcs-0001": {"source": "publisher"}, "rt-0001": {"source": "publisher"}}
    assert not cfg["rtmp"] and not cfg["webrtc"] and not cfg["srt"]


def test_binary_resolution_order_and_the_no_binary_error(tmp_path):
    fake = tmp_path / "bin" / "mediamtx"
    fake.parent.mkdir()
    fake.write_text("#!/bin/sh\nexit 0\n")
    fake.chmod(0o755)
    assert resolve_binary(tmp_path / "c", {"MEDIAMTX_BIN": str(fake), "PATH": ""}) == fake
    assert resolve_binary(tmp_path / "c", {"PATH": str(fake.parent)}) == fake
    with pytest.raises(InputError, match="not an executable"):
        resolve_binary(tmp_path / "c", {"MEDIAMTX_BIN": str(tmp_path / "nope"), "PATH": ""})
    with pytest.raises(UnavailableError, match="MEDIAMTX_BIN") as e:
        resolve_binary(tmp_path / "c", {"PATH": "/usr/bin:/bin"})
    assert DOWNLOAD_ENV in str(e.value) and MEDIAMTX_VERSION in str(e.value)
    cached = tmp_path / "c" / "mediamtx" / MEDIAMTX_VERSION / "mediamtx"
    cached.parent.mkdir(parents=True)
    shutil.copy(fake, cached)
    assert resolve_binary(tmp_path / "c", {"PATH": "/usr/bin:/bin"}) == cached


def _tarball(payload: bytes) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        info = tarfile.TarInfo("mediamtx")
        info.size = len(payload)
        tar.addfile(info, io.BytesIO(payload))
    return buf.getvalue()


def test_release_archive_is_used_only_when_its_checksum_matches(tmp_path):
    blob = _tarball(b"\x7fELF pretend binary")
    with pytest.raises(UnavailableError, match="checksum mismatch"):
        install_archive(blob, RELEASE_SHA256["linux_amd64"], tmp_path / "d", where="release")
    assert not (tmp_path / "d" / "mediamtx").exists()
    out = install_archive(blob, hashlib.sha256(blob).hexdigest(), tmp_path / "d", where="release")
    assert out.read_bytes() == b"\x7fELF pretend binary" and out.stat().st_mode & 0o111
    assert all(len(h) == 64 for h in RELEASE_SHA256.values())


def test_metrics_parse_per_path_figures_and_sessions():
    m = parse_metrics(SAMPLE_METRICS)
    assert m["atcs-0001"] == {"ready": True, "bytes_received": 1234, "bytes_sent": 187, "readers": 2}
    assert m["rt-0001"]["ready"] is False
    assert m["pasar-0001"]["ready"] is True and m["pasar-0001"]["bytes_received"] == 99
    assert m["_rtsp_sessions"] == {"publish": 1, "read": 2}


def test_paths_list_follows_every_page_of_a_mediamtx_shaped_api():
    items = [dict(SAMPLE_ITEM, name=f"cam-{i:03d}") for i in range(7)]
    seen_queries = []

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *a):
            pass

        def do_GET(self):
            q = parse_qs(urlsplit(self.path).query)
            page, per = int(q["page"][0]), int(q["itemsPerPage"][0])
            seen_queries.append((page, per))
            body = json.dumps({"itemCount": len(items), "pageCount": -(-len(items) // per),
                               "items": items[page * per:(page + 1) * per]}).encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    t = threading.Thread(target=httpd.serve_forever, daemon=True)
    t.start()
    try:
        got = fetch_paths(f"http://127.0.0.1:{httpd.server_address[1]}", items_per_page=3)
    finally:
        httpd.shutdown()
        httpd.server_close()
    assert [i["name"] for i in got] == [f"cam-{i:03d}" for i in range(7)]
    assert seen_queries == [(0, 3), (1, 3), (2, 3)]
    assert got[0]["readers"][0]["type"] == "rtspSession"


@pytest.mark.skipif(shutil.which("rtsp-server-perl") is None, reason="rtsp-server-perl not installed (make setup)")
def test_one_publisher_process_feeds_a_relay_and_obeys_impairments(tmp_path):
    clip = lavfi_clip(tmp_path / "a.mp4")
    cport, sport = free_port(), free_port()
    cfg = tmp_path / "pub.json"
    cfg.write_text(json.dumps({"url_base": f"rtsp://127.0.0.1:{sport}", "transport": "udp", "cameras": [
        {"id": "a", "clip": str(clip), "fps": 10}, {"id": "b", "clip": str(clip), "fps": 10}]}))
    with ProcessSet() as procs:
        relay = procs.start("relay", ["rtsp-server-perl", "--clientport", str(cport), "--serverport", str(sport),
                                      "--client_listen_address", "127.0.0.1", "--source_listen_address", "127.0.0.1",
                                      "--max_clients", "10"],
                            stdout=(tmp_path / "relay.log").open("w"), stderr=subprocess.STDOUT)
        time.sleep(0.8)
        pub = procs.start("publisher", [sys.executable, "-m", "fake_cameras.publisher", str(cfg)],
                          stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                          stderr=(tmp_path / "publisher.log").open("w"), cwd=REPO)

        def logs() -> str:
            return "\n".join(f"{name} (alive={proc.alive()}): ...{(tmp_path / f'{name}.log').read_text()[-1500:]}"
                             for name, proc in (("relay", relay), ("publisher", pub)))

        urls = [f"rtsp://127.0.0.1:{cport}/a", f"rtsp://127.0.0.1:{cport}/b"]
        # The publisher imports PyAV, then announces both streams: one session per camera waits for that,
        # retrying a refused or 404 open for up to 60 s, then the rate is measured over 7 s.
        ready = read_streams(urls, 0.5, "udp", open_timeout_s=10, open_wait_s=60, from_open=True)
        assert all(s.packets > 0 for s in ready), ("publisher never announced its streams", ready, logs())
        stats = read_streams(urls, 7, "udp", from_open=True)
        for s in stats:
            assert s.error is None and s.rate_fps and abs(s.rate_fps - 10) < 1.5, (s, logs())
        assert len(psutil_children(pub.pid)) == 0          # one process, no ffmpeg per camera
        pub.popen.stdin.write(b'{"camera": "b", "state": "offline"}\n')
        pub.popen.stdin.flush()
        time.sleep(1.0)
        after = read_streams(urls, 6, "udp", from_open=True)
        assert after[0].packets > 10, (after, logs())
        assert after[1].packets == 0, (after, logs())


def psutil_children(pid: int) -> list:
    import psutil
    return psutil.Process(pid).children(recursive=True)
