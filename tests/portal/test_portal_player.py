"""The citizen's view in a real browser: headless Chromium plays the portal's player page (hls.js from
the npm registry, served by the portal; WebRTC through aiortc) and decodes frames; packaging policies
keep cameras warm."""
from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from analytics.portal.hls import HlsPackagers, HlsSettings
from common.netguard import free_port
from analytics.portal.packaging import (
    PackagingConfig,
    PolicyKeeper,
    kept_warm,
    record_view_start,
    view_starts,
)
from analytics.portal.player import HLSJS
from analytics.portal.serve import PortalServer
from benchmarks.load.browser import ChromiumViewers

pytestmark = pytest.mark.skipif(not HLSJS.exists(), reason="hls.js not installed (scripts/setup.sh installs it)")


def request(url: str, method: str = "GET") -> tuple[int, dict, bytes]:
    req = urllib.request.Request(url, method=method)
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()


def idle_camera(stack) -> str:
    """A camera of the shared stack with no packager running (other tests watch atcs-0001)."""
    hls = HlsPackagers(Path(stack.portal.cfg.state_dir) / "hls", HlsSettings())
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        for rec in reversed(stack.records):
            if rec["online"] and not hls.running(rec["id"]):
                return rec["id"]
        time.sleep(0.5)
    raise AssertionError("every camera of the test stack keeps a packager running")


def test_player_page_and_hlsjs_are_served_by_the_portal(stack):
    status, headers, body = request(stack.url + "/static/hls.min.js")
    assert status == 200 and body == HLSJS.read_bytes() and "javascript" in headers["content-type"]
    status, _, page = request(stack.url + "/watch/atcs-0001")
    assert status == 200 and b'src="/static/hls.min.js"' in page and b"://" not in page.split(b"<body>")[0]
    assert request(stack.url + "/watch/no-such-camera")[0] == 404
    assert request(stack.url + "/watch/atcs-0001?players=11")[0] == 400
    assert request(stack.url + "/watch/atcs-0001?mode=rtmp")[0] == 400
    assert request(stack.url + "/webrtc/atcs-0001/offer?sid=bad%20sid", "POST")[0] == 400


def test_a_webrtc_offer_that_is_not_sdp_is_refused_with_400(stack):
    req = urllib.request.Request(stack.url + "/webrtc/atcs-0001/offer?sid=garbage", method="POST",
                                 data=json.dumps({"sdp": "not an offer"}).encode(),
                                 headers={"Content-Type": "application/json"})
    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(req, timeout=30)
    assert err.value.code == 400 and "SDP" in json.loads(err.value.read())["error"]


def test_chromium_decodes_a_first_frame_and_a_cold_camera_starts_slower_than_a_warm_one(stack):
    cam = idle_camera(stack)
    with ChromiumViewers(stack.url) as browser:
        cold = browser.watch([cam], watch_s=2.0, leave=False)[0]    # its lease outlives the page
        warm = browser.watch([cam], watch_s=2.0)[0]
    for view in (cold, warm):
        assert view.error is None and view.ttff_ms is not None
        assert view.ready_state >= 2 and view.frames >= 2 and view.current_time > 0   # decoded and moving
    assert (cold.start, warm.start) == ("cold", "warm")
    assert cold.ttff_ms > warm.ttff_ms, (cold, warm)


def test_chromium_plays_the_webrtc_live_view(stack):
    cam = idle_camera(stack)
    with ChromiumViewers(stack.url) as browser:
        view = browser.watch([cam], mode="webrtc", watch_s=2.0)[0]
    assert view.error is None and view.ttff_ms is not None, view
    assert view.ready_state >= 2 and view.frames >= 2 and view.start == "cold"


def test_always_on_and_prewarm_policies_start_packagers_before_any_viewer(stack, stack_mod, tmp_path):
    on, card = stack.records[0]["id"], stack.records[-1]["id"]
    cfg = stack_mod.portal_config(tmp_path, None, packaging={"always_on": [on], "prewarm_on_card": True})
    with PortalServer(cfg, stack.records) as portal:
        hls = HlsPackagers(Path(cfg.state_dir) / "hls", HlsSettings())
        deadline = time.monotonic() + 20
        while not (Path(cfg.state_dir) / "hls" / on / "index.m3u8").exists() and time.monotonic() < deadline:
            time.sleep(0.2)
        assert hls.running(on) and not hls.running(card)
        status, headers, _ = request(portal.url + f"/live/{card}/warm", "POST")
        assert status == 204 and headers["x-tilik-prewarm"] == "on" and hls.running(card)
        _, headers, body = request(portal.url + f"/live/{on}/index.m3u8?sid=first")
        assert headers["x-tilik-start"] == "warm" and body.startswith(b"#EXTM3U")
        path = json.loads(request(portal.url + "/api/viewer-path")[2])
        assert path["policy"] == "always-on + pre-warm" and path["view_starts"] == {
            "cold": 0, "warm": 1, "cold_share": 0.0}


def test_top_k_keeps_the_cameras_with_most_view_starts(tmp_path):
    root = tmp_path / "hls"
    for cam, n in (("a", 1), ("b", 5), ("c", 3)):
        for i in range(n):
            record_view_start(root / cam, cold=i == 0)
    assert {c: (v.cold, v.warm) for c, v in view_starts(root).items()} == {"a": (1, 0), "b": (1, 4), "c": (1, 2)}
    cfg = PackagingConfig(always_on=["a"], always_on_top_k=1)
    assert kept_warm(cfg, root, {"a", "b", "c"}) == ["a", "b"]
    assert kept_warm(cfg, root, {"a", "c"}) == ["a", "c"]        # b left the catalogue
    assert PackagingConfig().name == "on-demand"
    with pytest.raises(ValueError, match="more than once"):
        PackagingConfig(always_on=["a", "a"])


def test_policy_keeper_retries_a_camera_that_will_not_start_at_most_every_retry_s(tmp_path):
    hls = HlsPackagers(tmp_path / "hls", HlsSettings())
    keeper = PolicyKeeper(PackagingConfig(always_on=["gone"]), hls, {"gone": f"rtsp://127.0.0.1:{free_port()}/gone"},
                          retry_s=10.0)
    try:
        assert keeper.tick(100.0) == ["gone"]          # ffmpeg started, and exits: nothing serves that URL
        deadline = time.monotonic() + 10
        while hls.running("gone") and time.monotonic() < deadline:
            time.sleep(0.1)
        assert keeper.tick(101.0) == [] and keeper.tick(111.0) == ["gone"]
    finally:
        hls.stop_all()
