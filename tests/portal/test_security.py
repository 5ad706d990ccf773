"""The portal's defences, one probe per weakness a security review found (docs/security.md lists them).

Application-level answers are checked in-process (TestClient); the HTTP server's own limits (request
head, proxy headers, client addresses) against a real ``PortalServer`` on loopback.
"""
from __future__ import annotations

import json
import socket
import sqlite3
import stat
import statistics
import time
from pathlib import Path

import pytest

from analytics.portal.auth import TokenSigner
from analytics.portal.hls import VIEWER_RE, HlsSettings, input_args, packager_args
from analytics.portal.serve import PortalServer
from analytics.portal.statedir import MARKER, claim_state_dir
from common.errors import InputError
from common.netguard import free_port


from tests.portal import inproc as ip  # noqa: E402  (the shared in-process portal helper)


# --- a real server on loopback, shared by the tests of the HTTP layer ---------------------------------

@pytest.fixture(scope="module")
def server(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("secportal")
    cfg = ip.config(tmp, port=free_port(), workers=1, login_attempts=3, login_attempts_per_ip=4, login_window_s=60)
    with PortalServer(cfg, ip.records()) as s:
        yield s


def raw(url: str, request: bytes, *, source: str | None = None, timeout: float = 10.0) -> bytes:
    """Send raw bytes to the server; return what it answered before closing (b"" if it only closed).
    Every request here either says ``Connection: close`` or is one the server refuses and closes."""
    host, port = url.split("//")[1].split(":")
    with socket.create_connection((host, int(port)), timeout=timeout,
                                  source_address=(source, 0) if source else None) as s:
        try:
            s.sendall(request)
        except (BrokenPipeError, ConnectionResetError):
            pass
        out = b""
        try:
            while chunk := s.recv(65536):
                out += chunk
        except ConnectionResetError:
            pass
        return out


def status_of(answer: bytes) -> int | None:
    return int(answer.split(b" ", 2)[1]) if answer.startswith(b"HTTP/1.1 ") else None


def login_raw(url: str, user: str, password: str, *, source: str | None = None, headers: str = "") -> int:
    body = json.dumps({"username": user, "password": password}).encode()
    req = (f"POST /api/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n{headers}"
           f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n").encode() + body
    return status_of(raw(url, req, source=source))


# --- 2. roles follow the config; a restart forgets every token -----------------------------------------

def test_a_demoted_operator_token_loses_operator_rights_and_restart_rotates_the_secret(tmp_path):
    before = ip.config(tmp_path)
    with ip.client(before) as c:
        token = ip.login(c, *ip.OPERATOR)
        assert c.get("/api/operator/wall", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    users = [u.model_copy(update={"role": "rt_head"}) if u.username == ip.OPERATOR[0] else u for u in before.users]
    after = before.model_copy(update={"users": users})      # same state dir, same secret: only the role changed
    with ip.client(after) as c:
        auth = {"Authorization": f"Bearer {token}"}
        assert c.get("/api/operator/wall", headers=auth).status_code == 401
        assert c.get("/api/me/cameras", headers=auth).status_code == 401
        fresh = {"Authorization": f"Bearer {ip.login(c, *ip.OPERATOR)}"}
        assert c.get("/api/operator/wall", headers=fresh).status_code == 403
    secret = (tmp_path / "state" / "token.secret").read_bytes()
    TokenSigner.rotate(tmp_path / "state")                  # what every PortalServer.start does
    assert TokenSigner.from_state_dir(tmp_path / "state", 60)._secret != secret


# --- 3. bounded requests -----------------------------------------------------------------------------

def test_oversized_bodies_and_heads_are_refused_before_use(server):
    big = b"x" * (server.cfg.max_body_bytes + 1)
    answer = raw(server.url, b"POST /api/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                             b"Content-Length: %d\r\nConnection: close\r\n\r\n" % len(big) + big)
    assert status_of(answer) == 413
    many = "".join(f"X-H{i}: v\r\n" for i in range(200))
    assert status_of(raw(server.url, f"GET /health HTTP/1.1\r\nHost: x\r\n{many}\r\n".encode())) == 431
    long = "X-Big: " + "a" * 100_000 + "\r\n"
    assert status_of(raw(server.url, f"GET /health HTTP/1.1\r\nHost: x\r\n{long}\r\n".encode())) == 431
    huge = raw(server.url, b"GET /health HTTP/1.1\r\nHost: x\r\nX-Huge: " + b"a" * 10_000_000 + b"\r\n\r\n")
    assert status_of(huge) in (431, None)                   # refused (or closed while still sending)
    ok = raw(server.url, b"GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    assert status_of(ok) == 200                             # and the server still serves


def test_a_body_after_a_head_split_across_packets_is_not_counted_as_head(server):
    body = json.dumps({"username": "someone", "password": "p" * 20_000}).encode()    # > 16 KiB head bound
    head = (f"POST /api/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n\r").encode()
    host, port = server.url.split("//")[1].split(":")
    with socket.create_connection((host, int(port)), timeout=10) as s:
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        s.sendall(head)
        time.sleep(0.3)                     # the blank line's last byte arrives with the body
        s.sendall(b"\n" + body)
        answer = s.recv(65536)
    assert status_of(answer) == 400         # the password is too long; not 431


def test_long_usernames_are_refused_and_not_stored(server):
    assert login_raw(server.url, "u" * 65, "whatever-password") == 400
    db = sqlite3.connect(Path(server.cfg.state_dir) / "logins.db")
    try:
        assert db.execute("SELECT COUNT(*) FROM attempts WHERE key LIKE '%" + "u" * 65 + "%'").fetchone()[0] == 0
    finally:
        db.close()


# --- 4 and 7. the login limit counts the TCP peer; a stranger cannot lock a user out ----------------------

def test_forwarded_for_does_not_reset_the_per_ip_limit(server):
    codes = [login_raw(server.url, f"nobody-{i}", "wrong-password", source="127.0.0.3",
                       headers=f"X-Forwarded-For: 10.9.{i}.1\r\n") for i in range(6)]
    assert codes[:4] == [401] * 4 and codes[4:] == [429, 429]      # login_attempts_per_ip = 4


def test_wrong_guesses_from_one_address_do_not_lock_the_user_out_elsewhere(server):
    user, password = ip.RT_HEAD
    assert [login_raw(server.url, user, f"guess-{i}", source="127.0.0.4") for i in range(4)] == [401, 401, 401, 429]
    assert login_raw(server.url, user, password, source="127.0.0.5") == 200


def test_unknown_users_cost_the_same_scrypt_as_known_ones(tmp_path):
    with ip.client(ip.config(tmp_path)) as c:
        def median_s(user: str) -> float:
            times = []
            for _ in range(5):
                t0 = time.perf_counter()
                assert c.post("/api/login", json={"username": user, "password": "not-it"}).status_code == 401
                times.append(time.perf_counter() - t0)
            return statistics.median(times)
        known, unknown = median_s(ip.OPERATOR[0]), median_s("no-such-user")
    assert 0.5 < unknown / known < 2.0, (unknown, known)     # before: unknown ~20x faster (scrypt skipped)


# --- 5. secrets in private files --------------------------------------------------------------------------

def test_state_files_with_secrets_are_private(server):
    login_raw(server.url, ip.OPERATOR[0], ip.OPERATOR[1])
    state = Path(server.cfg.state_dir)
    assert stat.S_IMODE(state.stat().st_mode) == 0o700
    for name in ("logins.db", "token.secret", "portal-config.json"):
        assert stat.S_IMODE((state / name).stat().st_mode) == 0o600, name


def test_results_record_the_scenario_without_its_passwords():
    from benchmarks.results import new_results
    from benchmarks.scenario import load_scenario
    sc = load_scenario(Path(__file__).resolve().parents[2] / "scenarios" / "smoke.yaml").model_dump(mode="json")
    text = json.dumps(new_results("r1", sc, "smoke.yaml"))
    for user in sc["portal"]["users"]:
        assert user["password"] not in text
    assert '"password": "<redacted>"' in text


# --- 6. state_dir ---------------------------------------------------------------------------------------

def test_state_dir_must_be_the_portals_own(tmp_path):
    foreign = tmp_path / "foreign"
    (foreign / "hls").mkdir(parents=True)
    (foreign / "hls" / "keep.txt").write_text("not the portal's")
    (foreign / "notes.txt").write_text("mine")
    cfg = ip.config(tmp_path, state_dir=str(foreign), port=free_port())
    with pytest.raises(InputError, match="did not create"):
        PortalServer(cfg, ip.records()).start()
    assert (foreign / "hls" / "keep.txt").read_text() == "not the portal's"      # nothing deleted
    assert claim_state_dir(tmp_path / "new") and (tmp_path / "new" / MARKER).is_file()
    empty = tmp_path / "empty"
    empty.mkdir()
    claim_state_dir(empty)
    (empty / "anything").write_text("x")
    claim_state_dir(empty)                  # once marked, the portal's own: accepted again
    from pydantic import ValidationError
    for bad in ("/", str(Path.home())):
        with pytest.raises(ValidationError, match="not a directory of its own"):
            ip.config(tmp_path, state_dir=bad)


# --- 8. what anyone can make the portal spend -----------------------------------------------------------

def test_packagers_and_leases_are_capped(tmp_path):
    clip = ip.tiny_clip(tmp_path / "clip.ts")
    cfg = ip.config(tmp_path, hls_max_packagers=1, hls_max_leases=3)
    with ip.client(cfg, ip.records(3, url=str(clip))) as c:
        assert c.get("/live/cam-0001/index.m3u8?sid=v1").status_code == 200
        busy = c.get("/live/cam-0002/index.m3u8?sid=v1")
        assert busy.status_code == 503 and busy.headers["retry-after"]       # a second packager: refused
        assert [c.get(f"/live/cam-0001/index.m3u8?sid=v{i}").status_code for i in (2, 3, 4)] == [200, 503, 503]
        assert c.get("/live/cam-0001/index.m3u8?sid=v1").status_code == 200  # a known viewer renews
        c.get("/live/cam-0001/index.m3u8?sid=abc%0A")
        leases = {p.name for p in (tmp_path / "state" / "hls").glob("*/leases/*")}
        assert leases and not any("\n" in n for n in leases)
    assert VIEWER_RE.fullmatch("abc\n") is None


# --- 9. no 500s, no unbounded answers --------------------------------------------------------------------

def test_malformed_input_gets_400_not_500(tmp_path):
    with ip.client(ip.config(tmp_path)) as c:
        nested = "[" * 30_000 + "]" * 30_000           # valid JSON, deeper than the parser's recursion limit
        assert c.post("/api/login", content=nested, headers={"content-type": "application/json"}).status_code == 400
        assert c.post("/api/login", json={"username": {"a": 1}, "password": "x"}).status_code == 400
        for q in ("offset=9223372036854775808", "offset=-1", "limit=-1", "limit=0", "limit=501", "limit=1e3"):
            r = c.get(f"/api/cameras?{q}")
            assert r.status_code == 400 and "must be" in r.json()["error"], q
        op = {"Authorization": f"Bearer {ip.login(c, *ip.OPERATOR)}"}
        for q in ("n=-1", "n=0", "n=65", "page=-1", "page=99999999999999999999"):
            assert c.get(f"/api/operator/wall?{q}", headers=op).status_code == 400, q
        assert len(c.get("/api/operator/wall?n=2", headers=op).json()["items"]) == 2


def test_events_paging_is_bounded(tmp_path):
    cfg = ip.config(tmp_path, events_dsn=f"sqlite:///{tmp_path / 'ev.db'}")
    with ip.client(cfg) as c:
        op = {"Authorization": f"Bearer {ip.login(c, *ip.OPERATOR)}"}
        for q in ("offset=9223372036854775808", "limit=-1", "since=nan", "until=inf", "since=1e400"):
            assert c.get(f"/api/events?{q}", headers=op).status_code == 400, q
        assert c.get("/api/events?offset=0&limit=5", headers=op).status_code == 200


# --- 10. what ffmpeg may open ----------------------------------------------------------------------------

def test_ffmpeg_inputs_are_rtsp_or_local_media_files_only(tmp_path):
    clip = ip.tiny_clip(tmp_path / "clip.ts", seconds=1)
    assert input_args(str(clip))[-3:] == ["file", "-i", f"file:{clip.resolve()}"]
    assert input_args("rtsp://127.0.0.1:8554/cam")[:2] == ["-protocol_whitelist", "rtsp,rtsps,rtp,srtp,udp,tcp,tls"]
    (tmp_path / "-i.mp4").write_bytes(clip.read_bytes())
    args = packager_args(str(tmp_path / "-i.mp4"), tmp_path, HlsSettings())
    assert args[args.index("-i") + 1].startswith("file:/")       # a name starting with '-' is not an option
    for bad in ("concat:/etc/passwd|/etc/hostname", "file:///etc/passwd", "/etc/passwd", "http://127.0.0.1:1/x.mp4",
                "subfile,,start,0,end,10,,:/etc/passwd"):
        with pytest.raises(ValueError):
            input_args(bad)
