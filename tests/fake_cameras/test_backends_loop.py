"""Loop serving of the embedded server (``serving="loop"``): the clip loops inside GStreamer, no Python per
packet. Real RTSP readers check what a camera delivers across the loop; the control API keeps its shape."""
from __future__ import annotations

import threading
import time

import pytest

from common.errors import ResourceError
from common.netguard import free_port
from common.procs import ProcessSet
from fake_cameras.backends.base import ServedCamera, readers_count
from fake_cameras.backends.embedded import EmbeddedBackend
from fake_cameras.reader import read_streams
from tests.fake_cameras.fleet_helpers import alive, records_of
from tests.fake_cameras.test_backends_embedded import lavfi_clip

CLIP_S = 3.0      # lavfi_clip's length: a read of 4.5 s crosses the loop


@pytest.fixture(scope="module")
def looped(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("loop")
    h264 = lavfi_clip(tmp / "a.mp4")
    h265 = lavfi_clip(tmp / "b.mp4", "h265", "352x288")
    cams = [ServedCamera("cam-1", h264, "h264", 10.0), ServedCamera("cam-2", h264, "h264", 10.0),
            ServedCamera("cam-3", h265, "h265", 10.0), ServedCamera("cam-4", h264, "h264", 10.0, online=False)]
    with ProcessSet(state_file=tmp / "procs.json") as procs:
        backend = EmbeddedBackend(host="127.0.0.1", ports={"rtsp": free_port(), "api": free_port()},
                                  procs=procs, work_dir=tmp, max_threads=16, serving="loop")
        backend.start(cams, timeout=30)
        records = records_of([backend.pid])
        yield backend
        backend.stop()
        assert alive(records) == []


def test_every_camera_plays_at_its_frame_rate_across_the_loop_over_tcp_and_udp(looped):
    urls = [looped.url("cam-1"), looped.url("cam-3")]
    for transport in ("tcp", "udp"):
        stats = read_streams(urls, CLIP_S * 1.5, transport, from_open=True)
        for s in stats:
            assert s.error is None, (transport, s)
            assert s.rate_fps is not None and abs(s.rate_fps - 10) < 1.0, (transport, s)
            assert s.packets >= 10 * CLIP_S * 1.5 * 0.9 and s.keyframes >= 4, (transport, s)
        assert (stats[0].width, stats[0].height) == (320, 240)
        assert (stats[1].width, stats[1].height) == (352, 288)


def test_readers_and_bytes_show_in_the_paths_list(looped):
    before = {i["name"]: i for i in looped.paths()}
    seen: list[int] = []

    def watch():
        seen.append(sum(readers_count(i) for i in looped.paths() if i["name"] == "cam-2"))
    stats = read_streams([looped.url("cam-2")] * 2, 3.0, from_open=True)
    watch()
    after = {i["name"]: i for i in looped.paths()}
    assert all(s.error is None for s in stats)
    grew_in = after["cam-2"]["bytesReceived"] - before["cam-2"]["bytesReceived"]
    grew_out = after["cam-2"]["bytesSent"] - before["cam-2"]["bytesSent"]
    read = sum(s.bytes for s in stats)
    assert 0.5 * read < grew_out < 2.0 * read, (grew_out, read)
    assert 0.25 * read < grew_in <= grew_out, (grew_in, grew_out)


def _readers(backend, camera: str) -> int:
    item = next((i for i in backend.paths() if i["name"] == camera), {})
    readers = item.get("readers") or 0
    return len(readers) if isinstance(readers, list) else int(readers)


def test_offline_and_online_apply_and_per_packet_impairments_are_refused(looped):
    items = {i["name"]: i for i in looped.paths()}
    assert items["cam-4"]["ready"] is False and items["cam-1"]["ready"] is True
    with pytest.raises(ResourceError, match="409"):
        looped.set_state("cam-1", "freeze")
    looped.set_state("cam-4", "online")
    time.sleep(0.3)
    # cam-4 shares its clip's pipeline with cam-1: taking cam-4 offline mid-read ends only cam-4's readers
    result: list = []
    reading = threading.Thread(target=lambda: result.extend(
        read_streams([looped.url("cam-1"), looped.url("cam-4")], 4.0, from_open=True)))
    reading.start()
    deadline = time.monotonic() + 20      # opening waits for a keyframe: seconds on a busy machine
    while time.monotonic() < deadline and not _readers(looped, "cam-4"):
        time.sleep(0.1)
    time.sleep(1.5)                       # cam-4's reader receives for a while, then its camera goes
    looped.set_state("cam-4", "offline")
    reading.join(timeout=60)
    kept, cut = result
    assert kept.error is None and kept.rate_fps and abs(kept.rate_fps - 10) < 1.0, kept
    assert cut.packets > 5 and cut.packets < 0.8 * kept.packets, (cut, kept)
    (gone,) = read_streams([looped.url("cam-4")], 1.0, open_timeout_s=3)
    assert gone.error, gone
