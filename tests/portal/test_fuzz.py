"""Property: whatever a client sends to the portal's public endpoints, the answer is never a 5xx
(a 502/503 with Retry-After, the portal's answer for an unreachable camera or a full live view, is
allowed). Hypothesis draws paths, query strings, tokens and login bodies; the examples are bounded
and derandomised, so the run is short and repeatable."""
from __future__ import annotations

import json
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st


from tests.portal import inproc as ip  # noqa: E402  (the shared in-process portal helper)
FUZZ = settings(max_examples=100, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
PARAMS = ("limit", "offset", "n", "page", "q", "group", "kecamatan", "kelurahan", "since", "until", "type",
          "camera_id", "sid")
text = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=40)
numberish = st.one_of(st.integers(-2 ** 70, 2 ** 70).map(str), st.floats().map(str), text)
query = st.lists(st.tuples(st.sampled_from(PARAMS), numberish), max_size=4)
camera_id = st.one_of(st.sampled_from(["cam-0001", "cam-0002", "cam-0003"]), text)
header_text = st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=80)   # what a header can carry
token = st.one_of(st.none(), header_text, st.just("a.b"), st.just("..."),
                  st.tuples(header_text, header_text).map(".".join))
json_like = st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | text,
                         lambda kids: st.lists(kids, max_size=3) | st.dictionaries(text, kids, max_size=3),
                         max_leaves=10)


@pytest.fixture(scope="module")
def portal(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("fuzz")
    # one snapshot grab per camera and a few scrypts per run: the properties are about answers, not waiting
    cfg = ip.config(tmp, events_dsn=f"sqlite:///{tmp / 'ev.db'}", snapshot_timeout_s=1.0, hls_start_timeout_s=1.0,
                    snapshot_refresh_s=3600, login_attempts=3, login_attempts_per_ip=6)
    with ip.client(cfg) as c:
        yield c


def _qs(pairs) -> str:
    return "&".join(f"{quote(k)}={quote(v, safe='')}" for k, v in pairs)


def _ok(r) -> None:
    assert r.status_code < 500 or (r.status_code in (502, 503) and "retry-after" in r.headers), \
        (r.status_code, r.request.url, r.text[:200])


GETS = ("/api/cameras", "/api/groups", "/health", "/metrics", "/api/events", "/api/events/counts",
        "/api/operator/wall", "/api/operator/status", "/api/me/cameras")


@FUZZ
@given(path=st.sampled_from(GETS), q=query, tok=token)
def test_listing_and_guarded_endpoints_never_fail(portal, path, q, tok):
    headers = {"Authorization": f"Bearer {tok}"} if tok is not None else {}
    _ok(portal.get(f"{path}?{_qs(q)}", headers=headers))


@FUZZ
@given(cam=camera_id, segment=text, q=query)
def test_camera_endpoints_never_fail(portal, cam, segment, q):
    c = quote(cam, safe="")
    for url in (f"/api/cameras/{c}", f"/live/{c}/{quote(segment, safe='')}?{_qs(q)}", f"/snapshot/{c}.jpg"):
        _ok(portal.get(url))
    _ok(portal.delete(f"/live/{c}/session?{_qs(q)}"))


@FUZZ
@given(body=st.one_of(json_like.map(json.dumps), st.binary(max_size=200),
                      st.fixed_dictionaries({"username": json_like, "password": json_like}).map(json.dumps)))
def test_login_never_fails(portal, body):
    _ok(portal.post("/api/login", content=body, headers={"content-type": "application/json"}))
