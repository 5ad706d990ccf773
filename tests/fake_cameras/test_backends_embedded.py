"""The embedded GStreamer server on its own: TCP and UDP, H.264 and H.265, freeze and bitrate spike."""
from __future__ import annotations

import subprocess
import time

import pytest

from common.errors import ResourceError
from common.netguard import free_port
from common.procs import ProcessSet
from fake_cameras.backends.base import ServedCamera, get_json
from fake_cameras.backends.embedded import EmbeddedBackend
from fake_cameras.reader import read_stream, read_streams
from tests.fake_cameras.fleet_helpers import alive, records_of


def lavfi_clip(path, codec: str = "h264", size: str = "320x240", fps: int = 10, gop: int = 10):
    enc = (["-c:v", "libx264", "-bf", "0", "-g", str(gop)] if codec == "h264" else
           ["-c:v", "libx265", "-x265-params", f"keyint={gop}:bframes=0:log-level=error", "-tag:v", "hvc1"])
    subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error", "-y", "-f", "lavfi", "-i",
                    f"testsrc2=size={size}:rate={fps}", "-t", "3", *enc, "-preset", "veryfast",
                    "-pix_fmt", "yuv420p", "-b:v", "300k", str(path)], check=True, timeout=60)
    return path


@pytest.fixture
def served(tmp_path):
    h264 = lavfi_clip(tmp_path / "a.mp4")
    h265 = lavfi_clip(tmp_path / "b.mp4", "h265", "352x288")
    cams = [ServedCamera("cam-1", h264, "h264", 10.0), ServedCamera("cam-2", h264, "h264", 10.0),
            ServedCamera("cam-3", h265, "h265", 10.0), ServedCamera("cam-4", h264, "h264", 10.0, online=False)]
    with ProcessSet(state_file=tmp_path / "procs.json") as procs:
        backend = EmbeddedBackend(host="127.0.0.1", ports={"rtsp": free_port(), "api": free_port()},
                                  procs=procs, work_dir=tmp_path, max_threads=16)
        backend.start(cams, timeout=30)
        records = records_of([backend.pid])
        yield backend
        backend.stop()
        assert alive(records) == []


def test_tcp_and_udp_h264_and_h265(served):
    urls = [served.url("cam-1"), served.url("cam-3")]
    for transport in ("tcp", "udp"):
        stats = read_streams(urls, 4.5, transport, from_open=True)
        for s in stats:
            assert s.error is None, (transport, s)
            assert s.rate_fps is not None and abs(s.rate_fps - 10) < 1.0, (transport, s)
        assert (stats[0].width, stats[0].height) == (320, 240)
        assert (stats[1].width, stats[1].height) == (352, 288)


def test_camera_declared_offline_is_not_served_and_reported_not_ready(served):
    items = {i["name"]: i for i in served.paths()}
    assert items["cam-4"]["ready"] is False and items["cam-1"]["ready"] is True
    assert read_stream(served.url("cam-4"), time.monotonic() + 1, open_timeout_s=3).error
    served.set_state("cam-4", "online")
    time.sleep(0.3)
    assert read_stream(served.url("cam-4"), None, read_s=3.5).packets > 5


def test_a_read_of_fixed_length_counts_from_the_open(served):
    with pytest.raises(ValueError, match="exactly one of stop_at and read_s"):
        read_stream(served.url("cam-1"), time.monotonic() + 1, read_s=1)
    t0 = time.monotonic()
    stats = read_stream(served.url("cam-1"), None, read_s=1.5)
    took = time.monotonic() - t0
    assert stats.error is None and took >= 1.5 and stats.packets >= 10, (took, stats)


def test_freeze_sends_only_keyframes_and_spike_multiplies_the_bitrate(served):
    base = read_stream(served.url("cam-1"), None, read_s=4)
    served.set_state("cam-1", "freeze")
    served.set_state("cam-2", "spike", 4.0)
    time.sleep(0.3)
    frozen, spiked = read_streams([served.url("cam-1"), served.url("cam-2")], 4, from_open=True)
    assert frozen.packets > 10 and frozen.keyframes == frozen.packets
    assert spiked.bytes / spiked.packets > 3.0 * base.bytes / base.packets
    assert spiked.rate_fps and abs(spiked.rate_fps - 10) < 1.0


def test_paths_list_pages_and_rejects_bad_queries(served):
    body = get_json(f"{served.api_url}/v3/paths/list?page=1&itemsPerPage=3")
    assert body["itemCount"] == 4 and body["pageCount"] == 2 and [i["name"] for i in body["items"]] == ["cam-4"]
    with pytest.raises(ResourceError, match="400"):
        get_json(f"{served.api_url}/v3/paths/list?page=x")
    with pytest.raises(ResourceError, match="404"):
        served.set_state("no-such-camera", "offline")


def test_second_server_on_the_same_port_is_refused(served, tmp_path):
    with ProcessSet() as procs:
        other = EmbeddedBackend(host="127.0.0.1", ports={"rtsp": served.rtsp_port, "api": free_port()},
                                procs=procs, work_dir=tmp_path / "other")
        with pytest.raises(ResourceError, match=f"port {served.rtsp_port} on 127.0.0.1 is already in use"):
            other.start([ServedCamera("x", tmp_path / "a.mp4", "h264", 10.0)])
        assert procs.procs == []
