"""Live view (HLS by stream copy) and snapshots against the smoke scenario's embedded RTSP cameras."""
from __future__ import annotations

import json
import subprocess
import time
import urllib.error
from pathlib import Path
import urllib.request

import cv2
import numpy as np
import psutil

from analytics.portal.catalogue import Catalogue
from analytics.portal.hls import HlsSettings, packager_args


def get(url: str, timeout: float = 30.0) -> tuple[int, dict, bytes]:
    with urllib.request.urlopen(url, timeout=timeout) as r:
        return r.status, dict(r.headers), r.read()


def test_packager_is_stream_copy_into_hls(tmp_path):
    args = packager_args("rtsp://127.0.0.1:1/cam", tmp_path, HlsSettings(segment_s=1.0))
    assert args[args.index("-c") + 1] == "copy" and "-f" in args and args[args.index("-f") + 1] == "hls"
    assert not any(a in args for a in ("-vf", "libx264", "-c:v"))


def test_catalogue_groups_kecamatan_kelurahan_and_search():
    recs = [{"id": f"rt-{i:04d}", "url": "rtsp://x/y", "group": "CCTV RT", "camera_class": "rt",
             "kecamatan": ("Candisari", "Tembalang")[i % 2]} for i in range(8)]
    recs += [{"id": "atcs-0001", "url": "rtsp://x/a", "group": "ATCS", "camera_class": "atcs",
              "kecamatan": "Semarang Tengah"}]
    cat = Catalogue(recs)
    groups = cat.groups()
    assert [g["group"] for g in groups] == ["ATCS", "CCTV RT"]
    rt = groups[1]
    assert rt["count"] == 8 and [k["name"] for k in rt["kecamatan"]] == ["Candisari", "Tembalang"]
    assert sum(kl["count"] for kl in rt["kecamatan"][0]["kelurahan"]) == 4
    assert [e.id for e in cat.find(q="tembalang rt-0003")] == ["rt-0003"]
    assert len(cat.find(group="CCTV RT", kecamatan="Candisari")) == 4
    kel = rt["kecamatan"][0]["kelurahan"][0]["name"]
    assert all(e.kelurahan == kel for e in cat.find(kelurahan=kel))


def test_catalogue_served_from_the_fleet(stack):
    _, _, body = get(stack.url + "/api/groups")
    assert {g["group"]: g["count"] for g in json.loads(body)} == {"ATCS": 2, "CCTV RT": 1, "Pasar": 1}
    _, _, body = get(stack.url + "/api/cameras?q=candisari")
    assert [c["id"] for c in json.loads(body)["items"]] == ["rt-0001"]


def test_live_view_hls_playable_and_packager_stops_after_last_viewer(stack):
    url = stack.url + "/live/atcs-0001/index.m3u8?sid=viewer1"
    status, headers, body = get(url)
    assert status == 200 and headers["content-type"].startswith("application/vnd.apple.mpegurl")
    text = body.decode()
    assert text.startswith("#EXTM3U")
    segs = [ln for ln in text.splitlines() if ln and not ln.startswith("#")]
    assert segs and all(s.endswith("?sid=viewer1") for s in segs)
    _, _, seg = get(stack.url + "/live/atcs-0001/" + segs[-1])
    path = stack.tmp / "seg.ts"
    path.write_bytes(seg)
    probe = subprocess.run(["ffprobe", "-v", "error", "-count_packets", "-select_streams", "v:0", "-show_entries",
                            "stream=codec_name,width,height,nb_read_packets", "-of", "json", str(path)],
                           capture_output=True, text=True, timeout=30)
    stream = json.loads(probe.stdout)["streams"][0]
    assert probe.returncode == 0 and stream["codec_name"] == "h264"
    assert (stream["width"], stream["height"]) == (854, 480)        # rt-480p10: stream copy, not re-encoded
    assert int(stream["nb_read_packets"]) >= 5
    rec = json.loads((stack.tmp / "portal-state" / "hls" / "atcs-0001" / "packager.json").read_text())
    ffmpeg = psutil.Process(rec["pid"])
    assert "ffmpeg" in ffmpeg.name() and ffmpeg.is_running()
    metrics = get(stack.url + "/metrics")[2].decode()
    assert "tilik_hls_packagers 1" in metrics and 'tilik_hls_viewers{camera="atcs-0001"} 1' in metrics
    # a second viewer shares the packager
    get(stack.url + "/live/atcs-0001/index.m3u8?sid=viewer2")
    packager = stack.tmp / "portal-state" / "hls" / "atcs-0001" / "packager.json"
    assert json.loads(packager.read_text())["pid"] == rec["pid"]
    for v in ("viewer1", "viewer2"):
        req = urllib.request.Request(stack.url + f"/live/atcs-0001/session?sid={v}", method="DELETE")
        assert urllib.request.urlopen(req, timeout=10).status == 204
    deadline = time.monotonic() + stack.portal.cfg.hls_idle_timeout_s + 10
    while ffmpeg.is_running() and ffmpeg.status() != psutil.STATUS_ZOMBIE and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not ffmpeg.is_running() or ffmpeg.status() == psutil.STATUS_ZOMBIE, "packager still running"


def test_snapshots_are_jpegs_cached_per_refresh_period(stack):
    status, headers, data = get(stack.url + "/snapshot/pasar-0001.jpg")
    assert status == 200 and headers["content-type"] == "image/jpeg"
    img = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    assert img is not None and img.shape == (360, 640, 3) and img.std() > 5
    t0 = time.perf_counter()
    again = [get(stack.url + "/snapshot/pasar-0001.jpg")[2] for _ in range(5)]
    assert time.perf_counter() - t0 < 2.0 and all(a == data for a in again)   # served from cache
    cached = stack.tmp / "portal-state" / "snap" / "pasar-0001.jpg"
    first_grab = cached.stat().st_mtime
    time.sleep(stack.portal.cfg.snapshot_refresh_s + 0.5)
    stale = get(stack.url + "/snapshot/pasar-0001.jpg")[2]          # stale served at once, refresh started
    assert stale == data
    deadline = time.monotonic() + 15
    while cached.stat().st_mtime == first_grab and time.monotonic() < deadline:
        time.sleep(0.2)
    assert cached.stat().st_mtime > first_grab                       # grabbed again after the refresh period
    img = cv2.imdecode(np.frombuffer(get(stack.url + "/snapshot/pasar-0001.jpg")[2], np.uint8), cv2.IMREAD_COLOR)
    assert img is not None and img.shape == (360, 640, 3)


def test_unknown_camera_and_bad_segment_names_404(stack):
    for path in ("/snapshot/nope-0001.jpg", "/live/nope-0001/index.m3u8", "/live/atcs-0001/..%2Fpackager.json",
                 "/live/atcs-0001/seg_1.mp4", "/api/cameras/nope"):
        try:
            urllib.request.urlopen(stack.url + path, timeout=10)
            raise AssertionError(f"{path} did not fail")
        except urllib.error.HTTPError as e:
            assert e.code == 404, path


def test_health_and_metrics_exposition(stack):
    status, _, body = get(stack.url + "/health")
    assert status == 200 and json.loads(body)["cameras"] == 4
    text = get(stack.url + "/metrics")[2].decode()
    for name in ("tilik_requests_total", "tilik_request_duration_seconds_bucket", "tilik_overload_rejections_total",
                 "tilik_hls_active_sessions", "tilik_workers 2"):
        assert name in text, name
    assert 'route="groups",method="GET",status="200"' in text


def test_mediamtx_backend_redirects_live_views_to_its_hls(stack, stack_mod, tmp_path):
    from analytics.portal.serve import PortalServer
    cfg = stack_mod.portal_config(tmp_path, None, workers=1, mediamtx_hls_url="http://127.0.0.1:18888")

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *a, **kw):
            return None
    with PortalServer(cfg, stack.records) as portal:
        opener = urllib.request.build_opener(NoRedirect)
        try:
            opener.open(portal.url + "/live/atcs-0001/index.m3u8", timeout=10)
            raise AssertionError("no redirect")
        except urllib.error.HTTPError as e:
            assert e.code == 302 and e.headers["location"] == "http://127.0.0.1:18888/atcs-0001/index.m3u8"
        assert not (tmp_path / "portal-state" / "hls" / "atcs-0001").exists()   # no packager of ours


def test_portal_up_rejects_bad_options(tilikbench_cli, capsys):
    smoke = str(Path(__file__).resolve().parents[2] / "scenarios" / "smoke.yaml")
    assert tilikbench_cli("portal", "up", smoke, "--port", "0") == 2
    assert "--port" in capsys.readouterr().err
    assert tilikbench_cli("portal", "up", smoke.replace("smoke.yaml", "nope.yaml")) == 2


def test_unreachable_camera_snapshot_fails_fast_and_is_not_regrabbed_per_request(stack, stack_mod, tmp_path):
    from analytics.portal.serve import PortalServer
    records = stack.records + [{"id": "atcs-0099", "url": stack.records[0]["url"].rsplit("/", 1)[0] + "/atcs-0099",
                                "group": "ATCS", "camera_class": "atcs", "kecamatan": "Genuk"}]
    cfg = stack_mod.portal_config(tmp_path, None, workers=1, snapshot_refresh_s=30)
    with PortalServer(cfg, records) as portal:
        codes = []
        for _ in range(5):
            try:
                get(portal.url + "/snapshot/atcs-0099.jpg")
                codes.append(200)
            except urllib.error.HTTPError as e:
                codes.append(e.code)
                assert e.headers["Retry-After"]
        assert codes == [502] * 5
        grabs = [ln for ln in (tmp_path / "portal-state" / "portal.log").read_text().splitlines()
                 if "snapshot of" in ln and "atcs-0099" in ln]
        assert len(grabs) == 1, grabs        # one failed grab, then remembered for the refresh period
