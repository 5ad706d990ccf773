"""Logins: hashed passwords, signed expiring tokens, rate-limited attempts; guarded endpoints."""
from __future__ import annotations

import json
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from analytics.portal.auth import LoginLimiter, TokenSigner, hash_password, verify_password


def http(url: str, *, method: str = "GET", body: dict | None = None, token: str | None = None):
    req = urllib.request.Request(url, method=method, data=json.dumps(body).encode() if body is not None else None)
    if body is not None:
        req.add_header("Content-Type", "application/json")
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(req, timeout=20) as r:
            return r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()


def login(url: str, user: str, password: str) -> str:
    status, _, body = http(url + "/api/login", method="POST", body={"username": user, "password": password})
    assert status == 200, body
    return json.loads(body)["token"]


def test_password_hash_is_salted_scrypt_and_verifies():
    a, b = hash_password("correct horse"), hash_password("correct horse")
    assert a != b and a.startswith("scrypt$") and "correct horse" not in a
    assert verify_password("correct horse", a) and not verify_password("wrong horse", a)
    assert not verify_password("x", "plain-text-not-a-hash")


def test_tokens_expire_and_reject_tampering(tmp_path: Path):
    signer = TokenSigner.from_state_dir(tmp_path, ttl_s=60)
    token, expires = signer.issue("op", "operator", now=1000.0)
    assert signer.check(token, now=1059.0).username == "op"
    assert signer.check(token, now=1061.0) is None
    payload, sig = token.split(".")
    assert signer.check(payload + "." + sig[:-2] + ("A" if sig[-2] != "A" else "B") + sig[-1], now=1001) is None
    other = TokenSigner.from_state_dir(tmp_path / "other", ttl_s=60)
    assert other.check(token, now=1001.0) is None
    assert TokenSigner.from_state_dir(tmp_path, ttl_s=60).check(token, now=1001.0) is not None  # same secret


def test_login_limiter_counts_per_key_in_window(tmp_path: Path):
    lim = LoginLimiter(tmp_path / "l.db", attempts=3, window_s=10, ip_attempts=4)
    assert [lim.allow("a", "ip1", now=100 + i) for i in range(3)] == [0.0, 0.0, 0.0]
    assert lim.allow("a", "ip1", now=103) == pytest.approx(7.0)   # user a from ip1: first attempt leaves at 110
    assert lim.allow("a", "ip2", now=103) == 0.0                  # ... but ip1's guesses never lock a out elsewhere
    assert lim.allow("b", "ip1", now=103) == 0.0                  # 4th attempt from ip1: allowed
    assert lim.allow("c", "ip1", now=104) == pytest.approx(6.0)   # 5th from ip1: the IP is limited
    assert lim.allow("c", "ip3", now=104) == 0.0
    assert lim.allow("a", "ip1", now=111) == 0.0
    lim.close()


def test_login_limiter_is_safe_from_many_threads_at_once(tmp_path: Path):
    """The portal calls allow() from its thread pool: concurrent logins share one connection."""
    import threading
    lim = LoginLimiter(tmp_path / "l.db", attempts=1000, window_s=60, ip_attempts=100_000)
    errors: list[str] = []

    def attempts(user: str) -> None:
        for _ in range(100):
            try:
                lim.allow(user, "127.0.0.1", now=1000.0)
            except Exception as exc:  # noqa: BLE001 - any error here is the defect under test
                errors.append(repr(exc))

    threads = [threading.Thread(target=attempts, args=(f"u{i}",)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    # every attempt was recorded: the IP key saw all 800, so one more from it must wait
    assert lim.allow("late", "127.0.0.1", now=1000.0) == 0.0
    tight = LoginLimiter(tmp_path / "l.db", attempts=1000, window_s=60, ip_attempts=801)
    assert tight.allow("later", "127.0.0.1", now=1000.0) == pytest.approx(60.0)
    lim.close()
    tight.close()


def test_operator_and_event_endpoints_refuse_without_token(stack):
    for path in ("/api/events", "/api/events/counts", "/api/operator/wall", "/api/operator/status", "/api/me/cameras"):
        status, headers, _ = http(stack.url + path)
        assert status == 401, path
        assert headers.get("www-authenticate", headers.get("WWW-Authenticate")) == "Bearer"
        status, _, _ = http(stack.url + path, token="forged.token")
        assert status == 401, path


def test_roles_and_rt_head_sees_only_own_cameras(stack, stack_mod):
    op = login(stack.url, *stack_mod.OPERATOR)
    rt = login(stack.url, *stack_mod.RT_HEAD)
    assert http(stack.url + "/api/operator/wall?n=16", token=op)[0] == 200
    assert http(stack.url + "/api/operator/wall", token=rt)[0] == 403
    status, _, body = http(stack.url + "/api/me/cameras", token=rt)
    own = [c["id"] for c in json.loads(body)["items"]]
    assert status == 200 and own == ["rt-0001"]       # the smoke scenario's only Candisari RT camera
    assert http(stack.url + "/api/events?camera_id=atcs-0001", token=rt)[0] == 403
    status, _, body = http(stack.url + "/api/events?limit=100", token=rt)
    assert status == 200 and {e["camera_id"] for e in json.loads(body)["items"]} == {"rt-0001"}
    status, _, body = http(stack.url + "/api/events/counts", token=rt)
    assert status == 200 and set(json.loads(body)) == {"rt-0001"}


def test_events_paginated_with_time_filters(stack, stack_mod):
    op = login(stack.url, *stack_mod.OPERATOR)
    t0 = stack_mod.T0
    q = f"/api/events?camera_id=atcs-0002&since={t0 + 600}&until={t0 + 1200}&limit=4"
    status, _, body = http(stack.url + q, token=op)
    page = json.loads(body)
    assert status == 200 and page["total"] == 10 and len(page["items"]) == 4 and page["next_offset"] == 4
    times = [e["t_frame"] for e in page["items"]]     # [since, until): newest first
    assert times == sorted(times, reverse=True) and times[0] == t0 + 1140
    seen = list(times)
    while page["next_offset"] is not None:
        page = json.loads(http(stack.url + q + f"&offset={page['next_offset']}", token=op)[2])
        seen += [e["t_frame"] for e in page["items"]]
    assert seen == [t0 + 60 * i for i in range(19, 9, -1)]
    counts = json.loads(http(stack.url + "/api/events/counts", token=op)[2])
    assert counts["atcs-0002"] == {"vehicle_count": 15, "illegal_parking": 15}
    assert http(stack.url + "/api/events?limit=0", token=op)[0] == 400
    assert http(stack.url + "/api/events?since=yesterday", token=op)[0] == 400


def test_passwords_not_stored_in_plain_text(stack, stack_mod):
    state = Path(stack.portal.cfg.state_dir)
    for f in state.rglob("*"):
        if f.is_file() and f.stat().st_size < 5_000_000:
            data = f.read_bytes()
            for _, password in (stack_mod.OPERATOR, stack_mod.RT_HEAD, stack_mod.GUARD_TEST):
                assert password.encode() not in data, f
    conf = json.loads((state / "portal-config.json").read_text())
    assert all(u["password"] is None and u["password_hash"].startswith("scrypt$") for u in conf["portal"]["users"])


def test_login_is_rate_limited(stack, stack_mod):
    url = stack.url + "/api/login"
    user, password = stack_mod.GUARD_TEST
    codes = [http(url, method="POST", body={"username": user, "password": f"guess-{i}"})[0] for i in range(5)]
    assert codes == [401] * 5
    status, headers, _ = http(url, method="POST", body={"username": user, "password": password})
    assert status == 429                          # even the right password, until the window passes
    assert 1 <= int(headers.get("retry-after", headers.get("Retry-After"))) <= 30
