"""The embedded RTSP server: GStreamer's RTSP server serving pre-encoded clips from memory.

Runs under Debian's /usr/bin/python3 (where ``gi`` lives), started by ``backends.embedded``:

    /usr/bin/python3 gst_rtsp_server.py CONFIG.json

Each clip is demuxed once into H.264/H.265 access units held in memory. A camera is a shared media
``appsrc ! rtph26Xpay``: access units are pushed with continuously increasing timestamps (the clip
loops, nothing is re-encoded), paced by the pipeline clock; many readers of a camera share one
pipeline. With ``"serving": "loop"`` in the config a camera's clip loops inside GStreamer instead
(``gst_loop_media``: no Python per packet, for dense farms; impairments online/offline only). A small
HTTP server answers ``GET /v3/paths/list`` in MediaMTX's control-API shape and
``POST /v1/impair/<camera>`` with ``{"state": "online"|"offline"|"freeze"|"spike", "factor": F}``;
``GET /v1/process`` gives the server's own CPU seconds and resident memory.

This file imports nothing of the project (it runs outside the venv) but its sibling ``gst_nvr.py``
(NVR sites: vendor paths, digest auth, site faults; the config's ``sites``, ``/v1/sites``, ``/v1/site/<id>``).
"""
from __future__ import annotations

import json
import logging
import math
import os
import signal
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstApp", "1.0")
gi.require_version("GstRtsp", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import GLib, Gst, GstRtsp, GstRtspServer  # noqa: E402
from gst_nvr import NvrSites  # noqa: E402

from gst_loop_media import LoopFactory, LoopMeter, write_elementary_stream  # noqa: E402  (this file's folder)

log = logging.getLogger("gst_rtsp_server")
STATES = ("online", "offline", "freeze", "spike")
SERVING = ("appsrc", "loop")


class Clip:
    """Access units of one clip, demuxed once: (bytes, is_keyframe) in decode order."""

    def __init__(self, path: str, codec: str):
        self.path = path
        self.codec = codec
        parse = "h264parse" if codec == "h264" else "h265parse"
        caps = "video/x-h264" if codec == "h264" else "video/x-h265"
        pipe = Gst.parse_launch(
            f'filesrc location="{path}" ! qtdemux ! {parse} config-interval=-1 ! '
            f"{caps},stream-format=byte-stream,alignment=au ! appsink name=sink sync=false")
        sink = pipe.get_by_name("sink")
        pipe.set_state(Gst.State.PLAYING)
        self.units: list[tuple[bytes, bool]] = []
        while True:
            sample = sink.emit("pull-sample")
            if sample is None:
                break
            buf = sample.get_buffer()
            ok, info = buf.map(Gst.MapFlags.READ)
            if ok:
                self.units.append((bytes(info.data), not buf.has_flags(Gst.BufferFlags.DELTA_UNIT)))
                buf.unmap(info)
        msg = pipe.get_bus().pop_filtered(Gst.MessageType.ERROR)
        pipe.set_state(Gst.State.NULL)
        if msg is not None:
            err, _ = msg.parse_error()
            raise ValueError(f"{path}: cannot demux {codec} video: {err.message}")
        if not self.units or not self.units[0][1]:
            raise ValueError(f"{path}: no {codec} video access units starting with a keyframe")
        self.keyframe = self.units[0][0]
        self.bytes_per_loop = sum(len(u) for u, _ in self.units)
        # one GstBuffer per access unit, made once: each push is a shallow copy sharing the memory
        self.buffers = [self._buffer(data, key) for data, key in self.units]
        self.key_buffer = self.buffers[0]

    @staticmethod
    def _buffer(data: bytes, key: bool) -> Gst.Buffer:
        buf = Gst.Buffer.new_wrapped(data)
        if not key:
            buf.set_flags(Gst.BufferFlags.DELTA_UNIT)
        return buf


def filler(codec: str, size: int) -> bytes:
    """A filler-data NAL unit of about ``size`` bytes (decoders ignore it): inflates the bitrate."""
    size = max(size, 8)
    head = b"\x00\x00\x00\x01" + (b"\x0c" if codec == "h264" else b"\x4c\x01")
    return head + b"\xff" * size + b"\x80"


class Camera:
    """One camera's state, shared by its media pipeline(s), the HTTP thread and the RTSP clients."""

    def __init__(self, cam_id: str, clip: Clip, fps: float, loop: LoopFactory | None = None):
        self.id = cam_id
        self.clip = clip
        self.fps = fps
        self.frame_ns = int(round(1e9 / fps))
        self.state = "online"
        self.factor = 1.0
        self.readers: set[int] = set()
        self.bytes_in = 0       # bytes pushed into the pipeline ("received" from the source)
        self.bytes_out = 0      # bytes pushed times readers at that moment ("sent")
        self.factory: GstRtspServer.RTSPMediaFactory | None = None
        self.appsrcs: list = []
        self.lock = threading.Lock()
        self.loop = loop                # loop serving: the clip variant's shared factory
        self.meter = LoopMeter(clip.bytes_per_loop * fps / len(clip.units)) if loop else None

    def readers_changed(self) -> None:
        """Called with ``lock`` held, before the reader set changes: loop meters count up to now."""
        if self.meter is not None:
            self.meter.update(len(self.readers))

    def make_factory(self, transports) -> GstRtspServer.RTSPMediaFactory:
        if self.loop is not None:
            return self.loop
        pay = "rtph264pay" if self.clip.codec == "h264" else "rtph265pay"
        caps = "video/x-h264" if self.clip.codec == "h264" else "video/x-h265"
        f = GstRtspServer.RTSPMediaFactory()
        f.set_launch(f"( appsrc name=src is-live=true format=time max-buffers=2 max-bytes=0 max-time=0 "
                     f"caps={caps},stream-format=byte-stream,alignment=au "
                     f"! {pay} name=pay0 pt=96 config-interval=-1 )")
        f.set_shared(True)
        f.set_protocols(transports)
        f.connect("media-configure", self._on_media_configure)
        self.factory = f
        return f

    def _on_media_configure(self, factory, media) -> None:
        src = media.get_element().get_by_name("src")
        feed = {"i": 0, "ts": None}
        src.connect("need-data", self._on_need_data, feed)
        with self.lock:
            self.appsrcs.append(src)
        media.connect("unprepared", self._forget, src)

    def _forget(self, _media, src) -> None:
        with self.lock:
            if src in self.appsrcs:
                self.appsrcs.remove(src)

    def _on_need_data(self, src, _length, feed) -> None:
        clip = self.clip
        state = self.state
        if state == "offline":
            return
        if state == "freeze":
            buf = clip.key_buffer.copy()
        else:
            i = feed["i"] % len(clip.units)
            feed["i"] += 1
            if state == "spike":
                data, key = clip.units[i]
                buf = clip._buffer(data + filler(clip.codec, int(len(data) * (self.factor - 1.0))), key)
            else:
                buf = clip.buffers[i].copy()
        if feed["ts"] is None:  # a live source: start at the pipeline's running time now
            clock = src.get_clock()
            feed["ts"] = max(clock.get_time() - src.get_base_time(), 0) if clock is not None else 0
        buf.pts = buf.dts = feed["ts"]
        buf.duration = self.frame_ns
        feed["ts"] += self.frame_ns
        n = buf.get_size()
        self.bytes_in += n
        self.bytes_out += n * len(self.readers)
        src.emit("push-buffer", buf)

    def end_streams(self) -> None:
        with self.lock:
            srcs = list(self.appsrcs)
            self.appsrcs.clear()
        for src in srcs:
            src.emit("end-of-stream")


class Server:
    def __init__(self, cfg: dict):
        self.cfg = cfg
        self.cameras: dict[str, Camera] = {}
        self.serving = cfg.get("serving", "appsrc")
        if self.serving not in SERVING:
            raise ValueError(f"serving must be one of {SERVING}, got {self.serving!r}")
        self.transports = (GstRtsp.RTSPLowerTrans.TCP | GstRtsp.RTSPLowerTrans.UDP)
        clips: dict[tuple[str, str], Clip] = {}
        loops: dict[tuple[str, str], LoopFactory | None] = {}
        for cam in cfg["cameras"]:
            key = (cam["clip"], cam["codec"])
            if key not in clips:
                clips[key] = Clip(cam["clip"], cam["codec"])
                loops[key] = None
                if self.serving == "loop":
                    out = Path(cfg["work_dir"]) / f"loop-{len(loops)}.{cam['codec']}"
                    es = write_elementary_stream([u for u, _ in clips[key].units], cam["codec"], out)
                    loops[key] = LoopFactory(es, cam["codec"], float(cam["fps"]), self.transports)
            self.cameras[cam["id"]] = Camera(cam["id"], clips[key], float(cam["fps"]), loops[key])
        self.offline_at_start = set(cfg.get("offline", []))
        self.server = GstRtspServer.RTSPServer()
        self.server.set_address(cfg["host"])
        self.server.set_service(str(cfg["rtsp_port"]))
        self.server.get_thread_pool().set_max_threads(int(cfg.get("max_threads", 64)))
        self.mounts = self.server.get_mount_points()
        for cam in self.cameras.values():
            if cam.id in self.offline_at_start:
                cam.state = "offline"
            else:
                self.mounts.add_factory("/" + cam.id, cam.make_factory(self.transports))
        self.server.connect("client-connected", self._on_client)
        self.clients: dict[int, tuple] = {}
        self.nvr = NvrSites(self.cameras, cfg.get("sites", []))

    # --- readers, tracked from the RTSP client signals ---
    def _on_client(self, _server, client) -> None:
        client.connect("play-request", self._on_play)
        client.connect("teardown-request", self._on_gone)
        client.connect("closed", self._on_closed)

    def _cam_of(self, ctx) -> Camera | None:
        path = ctx.uri.abspath if ctx.uri is not None else ""
        return self.cameras.get(path.strip("/").split("/")[0])

    def _on_play(self, client, ctx) -> None:
        cam = self._cam_of(ctx)
        if cam is not None:
            with cam.lock:
                cam.readers_changed()
                cam.readers.add(id(client))
            self.clients[id(client)] = (cam.id, client)  # holding the wrapper keeps id() stable

    def _on_gone(self, client, ctx) -> None:
        self._on_closed(client)

    def _on_closed(self, client) -> None:
        cam_id, _ = self.clients.pop(id(client), (None, None))
        cam = self.cameras.get(cam_id) if cam_id else None
        if cam is not None:
            with cam.lock:
                cam.readers_changed()
                cam.readers.discard(id(client))

    # --- impairments (called from the HTTP thread, applied in the main loop) ---
    def set_state(self, cam_id: str, state: str, factor: float = 1.0) -> None:
        cam = self.cameras[cam_id]
        GLib.idle_add(self._apply_state, cam, state, factor)

    def _apply_state(self, cam: Camera, state: str, factor: float) -> bool:
        was = cam.state
        cam.factor = max(factor, 1.0)
        cam.state = state
        if state == "offline" and was != "offline":
            self.mounts.remove_factory("/" + cam.id)
            cam.end_streams()
            if cam.loop is not None:      # its media is shared with the variant's other cameras: close its readers
                for cam_id, client in list(self.clients.values()):
                    if cam_id == cam.id:
                        client.close()
            with cam.lock:
                cam.readers_changed()
                cam.readers.clear()
        elif state != "offline" and was == "offline":
            self.mounts.add_factory("/" + cam.id, cam.make_factory(self.transports))
        return False

    def paths(self) -> list[dict]:
        out = []
        for cam in self.cameras.values():
            ready = cam.state != "offline"
            if cam.meter is not None:
                with cam.lock:
                    cam.readers_changed()
                cam.bytes_in, cam.bytes_out = int(cam.meter.bytes_in), int(cam.meter.bytes_out)
            out.append({
                "name": cam.id, "confName": cam.id,
                "source": {"type": "embeddedSource", "id": ""} if ready else None,
                "ready": ready, "tracks": [cam.clip.codec.upper()],
                "bytesReceived": cam.bytes_in, "bytesSent": cam.bytes_out,
                "readers": [{"type": "rtspSession", "id": str(r)} for r in list(cam.readers)],
                "state": cam.state,
            })
        return out

    def attach(self) -> None:
        if self.server.attach(None) == 0:
            raise OSError(f"cannot listen on {self.cfg['host']}:{self.cfg['rtsp_port']} (port in use?)")
        self.nvr.attach()
        GLib.timeout_add_seconds(2, self._cleanup)

    def _cleanup(self) -> bool:
        self.server.get_session_pool().cleanup()
        return True


def process_stats() -> dict:
    """This server's own CPU seconds and resident memory, so that a host running it elsewhere can be
    measured over the control API (``GET /v1/process``)."""
    t = os.times()
    with open("/proc/self/statm") as f:
        rss_pages = int(f.read().split()[1])
    return {"pid": os.getpid(), "cpu_s": round(t.user + t.system, 3),
            "rss_bytes": rss_pages * os.sysconf("SC_PAGE_SIZE"), "cores": os.cpu_count()}


def make_http(server: Server, host: str, port: int) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args) -> None:
            pass

        def _json(self, code: int, body: dict) -> None:
            data = json.dumps(body).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            url = urlsplit(self.path)
            if url.path == "/v1/process":
                return self._json(200, process_stats())
            if url.path == "/v1/sites":
                return self._json(200, {"items": server.nvr.status()})
            if url.path != "/v3/paths/list":
                return self._json(404, {"error": "not found"})
            q = parse_qs(url.query)
            try:
                page = int(q.get("page", ["0"])[0])
                per = int(q.get("itemsPerPage", ["100"])[0])
            except ValueError:
                return self._json(400, {"error": "page and itemsPerPage must be integers"})
            if page < 0 or per < 1:
                return self._json(400, {"error": "page must be >= 0 and itemsPerPage >= 1"})
            items = server.paths()
            self._json(200, {"itemCount": len(items), "pageCount": math.ceil(len(items) / per),
                             "items": items[page * per:(page + 1) * per]})

        def do_POST(self) -> None:
            parts = urlsplit(self.path).path.strip("/").split("/")
            if len(parts) == 3 and parts[:2] == ["v1", "site"] and parts[2] in server.nvr.sites:
                try:
                    body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
                    server.nvr.set_state(parts[2], body["state"], float(body.get("factor", 0.0)))
                except (ValueError, KeyError, TypeError) as e:
                    return self._json(400, {"error": f'expected {{"state": ..., "factor": ...}}: {e}'})
                return self._json(200, {"site": parts[2], "state": body["state"]})
            if len(parts) != 3 or parts[:2] != ["v1", "impair"] or parts[2] not in server.cameras:
                return self._json(404, {"error": f"no such camera path {self.path}"})
            try:
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
                state, factor = body["state"], float(body.get("factor", 1.0))
            except (ValueError, KeyError, TypeError):
                return self._json(400, {"error": 'expected {"state": ..., "factor": ...}'})
            if state not in STATES:
                return self._json(400, {"error": f"state must be one of {STATES}"})
            if server.cameras[parts[2]].loop is not None and state not in ("online", "offline"):
                return self._json(409, {"error": f"camera {parts[2]} is served by loop (no Python per packet): "
                                                 f"only online and offline apply, not {state!r}"})
            server.set_state(parts[2], state, factor)
            self._json(200, {"name": parts[2], "state": state})

    httpd = ThreadingHTTPServer((host, port), Handler)
    httpd.daemon_threads = True
    return httpd


def main(argv: list[str]) -> int:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s gst_rtsp_server: %(message)s")
    cfg = json.loads(open(argv[1]).read())
    Gst.init(None)
    try:
        server = Server(cfg)
    except ValueError as e:
        print(f"FOOTAGE-ERROR {e}", file=sys.stderr, flush=True)
        return 2
    try:
        server.attach()
        httpd = make_http(server, cfg["host"], int(cfg["api_port"]))
    except OSError as e:
        print(f"PORT-ERROR {e}", file=sys.stderr, flush=True)
        return 4
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    loop = GLib.MainLoop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, sig, loop.quit)
    print(f"READY {len(server.cameras)} cameras", flush=True)
    loop.run()
    httpd.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
