"""The load guard covers every URL a load sends, not only --url: mapping paths, playlist segment lines,
redirects. A trap server on a loopback port the load was not pointed at counts what reaches it."""
from __future__ import annotations

import json
import stat
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from pydantic import ValidationError

from benchmarks.load.config import EndpointMapping, LoadConfig
from benchmarks.load.guard import OriginGuard
from common.errors import InputError
from common.netguard import check_target, free_port


class _Server:
    """A tiny HTTP server in a thread; ``handler(path) -> (status, headers, body)``; counts requests."""

    def __init__(self, handler):
        self.hits: list[str] = []
        outer = self

        class H(BaseHTTPRequestHandler):
            def _serve(self):
                outer.hits.append(self.path)
                status, headers, body = handler(self.path)
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = do_DELETE = _serve

            def log_message(self, *a):
                pass

        self.port = free_port()
        self.httpd = ThreadingHTTPServer(("127.0.0.1", self.port), H)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()


def test_mapping_paths_must_stay_on_the_target():
    for bad in ("http://10.0.0.1/x", "@127.0.0.1:9/x", "//10.0.0.1/x", "api/groups", "/a b", "/x\\@y", "/{other}"):
        with pytest.raises(ValidationError):
            EndpointMapping(groups=bad)
    assert EndpointMapping(playlist="/hls/{camera_id}/index.m3u8").playlist.startswith("/hls/")
    with pytest.raises(ValidationError):
        LoadConfig(extra_origins=["ftp://127.0.0.1:21"])


def test_target_urls_are_plain_http_with_a_valid_port():
    for bad in ("http://127.0.0.1:99999", "ftp://127.0.0.1/", "http://user@127.0.0.1:8080", "http://127.0.0.1:0"):
        with pytest.raises(InputError):
            check_target(bad)
    guard = OriginGuard(["http://127.0.0.1:8080"])
    assert guard.refusal("http://127.0.0.1:8080/live/x/seg_1.ts") is None
    assert guard.refusal("http://127.0.0.1:8081/x") and guard.refusal("http://localhost:8080/x")
    assert guard.refusal("http://127.0.0.1:8080@127.0.0.1:8081/x")


def test_playlist_segments_and_redirects_never_reach_another_port(tmp_path):
    """Citizens and browsers against a hostile target: its playlists list absolute segment URLs on the
    trap port, its groups and snapshots redirect there, its camera ids carry '@' and '/'."""
    with _Server(lambda path: (200, {}, b"trapped")) as trap:
        def target(path: str):
            p = path.split("?", 1)[0]
            if p == "/api/groups":
                return 302, {"Location": f"{trap.url}/groups"}, b""
            if p == "/api/cameras":
                return 200, {"Content-Type": "application/json"}, json.dumps(
                    {"items": [{"id": f"@127.0.0.1:{trap.port}"}, {"id": "/../x"}]}).encode()
            if p.startswith("/snapshot/"):
                return 302, {"Location": f"{trap.url}/snap.jpg"}, b""
            if p.endswith("/index.m3u8"):       # a new relative and two absolute (off-target) segments per poll
                n = len(portal_hits())
                return 200, {}, (f"#EXTM3U\n#EXT-X-TARGETDURATION:1\n#EXTINF:1,\nseg_{n}.ts\n"
                                 f"#EXTINF:1,\n{trap.url}/seg_{n}b.ts\n"
                                 f"#EXTINF:1,\n//127.0.0.1:{trap.port}/seg_{n}c.ts\n").encode()
            return 200, {}, b"ok"

        portal = _Server(target)

        def portal_hits():
            return portal.hits

        with portal:
            from benchmarks.load.runner import run_load
            cfg = LoadConfig(shape="constant", users=4, spawn_rate=4, run_time_s=4, wait_min_s=0.1, wait_max_s=0.3,
                             citizen_watch_s=1.5, weights={"citizen": 3, "browser": 1})
            run = run_load(portal.url, cfg, tmp_path / "out")
        assert trap.hits == []
        assert any("/seg_" in h and h.endswith(".ts") for h in portal.hits)   # relative segments are fetched
        assert any("%40127.0.0.1" in h for h in portal.hits)              # ids are quoted into the path
        assert run.endpoints["refused"].failures >= 1
    assert stat.S_IMODE((tmp_path / "out" / "load-config.json").stat().st_mode) == 0o600


def test_validate_refuses_a_mapping_that_points_elsewhere(tmp_path, tilikbench_cli, capsys):
    import yaml
    sc = yaml.safe_load((Path(__file__).resolve().parents[2] / "scenarios" / "smoke.yaml").read_text())
    sc["load"]["endpoints"] = {"groups": "http://10.0.0.1/x"}
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(sc))
    assert tilikbench_cli("validate", str(bad)) == 2
    assert "load.endpoints.groups" in capsys.readouterr().err
