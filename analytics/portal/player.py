"""The portal's player page: what a citizen's browser runs to watch a camera, and what it measures.

``GET /watch/{camera_id}`` is a small HTML page that opens the camera's card (``POST
/live/{id}/warm``: the pre-warm policy's cue), waits ``card_s`` seconds as a person reading the card
would, then plays the live view in a muted ``<video>``: HLS through hls.js (``mode=hls``, the default)
or WebRTC (``mode=webrtc``, see ``analytics.portal.webrtc``). ``players=N`` puts N independent players
on one page (each its own sid, hls.js instance or peer connection), so that many viewers fit in a
bounded number of browser pages.

Each player reports in ``window.tilikReport()``:

- ``ttff_ms``: from pressing play to the first *decoded* frame handed to the compositor
  (``requestVideoFrameCallback``), not to a fetched playlist;
- ``frames``: frames presented since (rVFC's ``presentedFrames``), so a frozen picture shows;
- ``stalls`` and ``stall_ms``: HLS: a ``waiting`` event after the first frame until ``playing``;
  WebRTC: the receiver's ``freezeCount`` and ``totalFreezesDuration`` (Chromium's inbound-rtp stats);
- ``rebuffer_ratio``: stall time over watched time since the first frame;
- ``start``: the portal's ``X-Tilik-Start`` header of the first playlist (``cold`` or ``warm``; HLS).

hls.js is installed from the npm registry by ``scripts/setup.sh`` into ``vendor/npm`` (pinned
``HLSJS_VERSION``) and served by the portal at ``/static/hls.min.js``; no page loads anything from
another host.
"""
from __future__ import annotations

import html
import os
from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, JSONResponse

REPO = Path(__file__).resolve().parents[2]
HLSJS_VERSION = "1.7.4"
HLSJS = Path(os.environ.get("TILIK_HLSJS", REPO / "vendor/npm/node_modules/hls.js/dist/hls.min.js"))
MAX_PLAYERS_PER_PAGE = 10

PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><title>Live: __CAM__</title>
<style>body{margin:0;background:#111}video{width:160px;height:90px;margin:2px;background:#000}</style>
<script src="/static/hls.min.js"></script></head>
<body>
<script>
"use strict";
const CAM = "__CAM__", MODE = "__MODE__", N = __PLAYERS__, CARD_S = __CARD_S__;
const players = [];
function sid() { return Array.from(crypto.getRandomValues(new Uint8Array(8)),
                                   b => b.toString(16).padStart(2, "0")).join(""); }
function frameWatch(p) {
  const cb = (now, meta) => {
    if (p.ttff_ms === null) { p.ttff_ms = now - p.t_play; p.t_first = now; }
    p.frames = meta.presentedFrames;
    p.video.requestVideoFrameCallback(cb);
  };
  p.video.requestVideoFrameCallback(cb);
}
async function playHls(p) {
  let first = true;
  const hls = new Hls({enableWorker: true, lowLatencyMode: false, backBufferLength: 10,
    xhrSetup: (xhr, url) => { if (first && url.includes(".m3u8")) { first = false;
      xhr.addEventListener("load", () => { p.start = xhr.getResponseHeader("X-Tilik-Start"); }); } }});
  p.hls = hls;
  hls.on(Hls.Events.ERROR, (_e, d) => { if (d.fatal) { p.error = d.type + ": " + d.details; } });
  p.video.addEventListener("waiting", () => {
    if (p.ttff_ms !== null && p.stall_t0 === null) { p.stall_t0 = performance.now(); p.stalls++; } });
  p.video.addEventListener("playing", () => {
    if (p.stall_t0 !== null) { p.stall_ms += performance.now() - p.stall_t0; p.stall_t0 = null; } });
  hls.loadSource(`/live/${CAM}/index.m3u8?sid=${p.sid}`);
  hls.attachMedia(p.video);
  p.video.play().catch(() => {});
}
async function playWebrtc(p) {
  const pc = new RTCPeerConnection();
  p.pc = pc;
  pc.addTransceiver("video", {direction: "recvonly"});
  pc.ontrack = (e) => { p.video.srcObject = new MediaStream([e.track]); p.video.play().catch(() => {}); };
  await pc.setLocalDescription(await pc.createOffer());
  await new Promise((ok) => { if (pc.iceGatheringState === "complete") ok();
    pc.onicegatheringstatechange = () => { if (pc.iceGatheringState === "complete") ok(); }; });
  const r = await fetch(`/webrtc/${CAM}/offer?sid=${p.sid}`, {method: "POST",
    headers: {"Content-Type": "application/json"}, body: JSON.stringify({sdp: pc.localDescription.sdp})});
  if (!r.ok) { p.error = "offer: HTTP " + r.status; return; }
  p.start = r.headers.get("X-Tilik-Start");
  await pc.setRemoteDescription({type: "answer", sdp: (await r.json()).sdp});
}
async function webrtcStalls(p) {
  if (!p.pc) return;
  (await p.pc.getStats()).forEach((s) => { if (s.type === "inbound-rtp" && s.kind === "video") {
    p.stalls = s.freezeCount || 0; p.stall_ms = 1000 * (s.totalFreezesDuration || 0); } });
}
window.tilikReport = async function () {
  const now = performance.now();
  const out = [];
  for (const p of players) {
    if (MODE === "webrtc") await webrtcStalls(p);
    const open = p.stall_t0 !== null ? now - p.stall_t0 : 0;
    const watched = p.t_first === null ? 0 : now - p.t_first;
    out.push({sid: p.sid, ttff_ms: p.ttff_ms, frames: p.frames, stalls: p.stalls,
              stall_ms: p.stall_ms + open, watched_ms: watched, ready_state: p.video.readyState,
              current_time: p.video.currentTime, start: p.start, error: p.error,
              rebuffer_ratio: watched > 0 ? Math.min(1, (p.stall_ms + open) / watched) : null});
  }
  return out;
};
window.tilikStop = async function () {
  for (const p of players) {
    if (p.hls) { p.hls.destroy(); await fetch(`/live/${CAM}/session?sid=${p.sid}`, {method: "DELETE"}); }
    if (p.pc) { p.pc.close(); await fetch(`/webrtc/${CAM}/session?sid=${p.sid}`, {method: "DELETE"}); }
  }
};
(async function main() {
  await fetch(`/live/${CAM}/warm`, {method: "POST"}).catch(() => {});
  await new Promise((ok) => setTimeout(ok, 1000 * CARD_S));
  for (let i = 0; i < N; i++) {
    const video = document.createElement("video");
    video.muted = true; video.playsInline = true; video.autoplay = true;
    document.body.appendChild(video);
    const p = {sid: sid(), video, t_play: performance.now(), t_first: null, ttff_ms: null, frames: 0,
               stalls: 0, stall_ms: 0, stall_t0: null, start: null, error: null, hls: null, pc: null};
    players.push(p);
    frameWatch(p);
    (MODE === "webrtc" ? playWebrtc(p) : playHls(p)).catch((e) => { p.error = String(e); });
  }
  window.tilikStarted = true;
})();
</script></body></html>
"""


def player_page(request: Request, camera_id: str) -> HTMLResponse | JSONResponse:
    """The page for one camera; 400 on a bad mode, player count or card time."""
    q = request.query_params
    mode = q.get("mode", "hls")
    if mode not in ("hls", "webrtc"):
        return JSONResponse({"error": "mode must be hls or webrtc"}, status_code=400)
    try:
        players = int(q.get("players", 1))
        card_s = float(q.get("card_s", 0))
    except ValueError:
        return JSONResponse({"error": "players must be an integer and card_s a number"}, status_code=400)
    if not 1 <= players <= MAX_PLAYERS_PER_PAGE or not 0 <= card_s <= 60:
        return JSONResponse({"error": f"players must be 1..{MAX_PLAYERS_PER_PAGE} and card_s 0..60"},
                            status_code=400)
    page = (PAGE.replace("__CAM__", html.escape(camera_id)).replace("__MODE__", mode)
            .replace("__PLAYERS__", str(players)).replace("__CARD_S__", f"{card_s:g}"))
    return HTMLResponse(page, headers={"Cache-Control": "no-store"})


def hlsjs_file() -> FileResponse | JSONResponse:
    if not HLSJS.exists():
        return JSONResponse({"error": f"hls.js {HLSJS_VERSION} is not installed at {HLSJS}; "
                                      "scripts/setup.sh installs it from the npm registry"}, status_code=503)
    return FileResponse(HLSJS, media_type="text/javascript", headers={"Cache-Control": "max-age=3600"})
