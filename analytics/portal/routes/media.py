"""Live view (HLS playlist, segments, leaving) and snapshots, public.

A viewer is the ``sid`` query parameter when it is well formed, else a digest of the client
address and user agent; HLS leases are counted per viewer so capacity limits hold per person.
"""
from __future__ import annotations

import asyncio
import hashlib

from starlette.requests import Request
from starlette.responses import FileResponse, RedirectResponse, Response
from starlette.routing import Route

from analytics.portal.hls import VIEWER_RE, HlsBusy
from analytics.portal.packaging import record_view_start
from analytics.portal.routes.guard import error, named
from analytics.portal.state import portal_of


def viewer_of(request: Request) -> str:
    sid = request.query_params.get("sid", "")
    if VIEWER_RE.fullmatch(sid):
        return sid
    who = f"{request.client.host if request.client else ''}|{request.headers.get('user-agent', '')}"
    return hashlib.sha1(who.encode()).hexdigest()[:16]


def _busy(request: Request, message: str) -> Response:
    return error(503, message, **{"Retry-After": str(portal_of(request).cfg.retry_after_s)})


@named("live_playlist")
async def live_playlist(request: Request) -> Response:
    portal = portal_of(request)
    cam_id = request.path_params["camera_id"]
    e = portal.catalogue.by_id.get(cam_id)
    if e is None:
        return error(404, "no such camera")
    if portal.cfg.mediamtx_hls_url:
        return RedirectResponse(f"{portal.cfg.mediamtx_hls_url.rstrip('/')}/{cam_id}/index.m3u8", status_code=302)
    viewer = viewer_of(request)
    try:
        starts = portal.hls.touch_lease(cam_id, viewer)
        cold = not (portal.hls.cam_dir(cam_id) / "index.m3u8").exists() or not portal.hls.running(cam_id)
        path = await portal.hls.playlist(cam_id, e.url)
    except HlsBusy as busy:
        return _busy(request, f"live view at capacity: {busy}")
    if path is None:
        return error(502, "camera stream did not start", **{"Retry-After": str(portal.cfg.retry_after_s)})
    if starts:                          # a view starts: counted as cold or warm (the packaging policy's figure)
        await asyncio.to_thread(record_view_start, portal.hls.cam_dir(cam_id), cold)
    text = await asyncio.to_thread(path.read_text)
    if "sid" in request.query_params:
        text = "\n".join(f"{ln}?sid={viewer}" if ln.endswith(".ts") else ln for ln in text.splitlines()) + "\n"
    return Response(text, media_type="application/vnd.apple.mpegurl",
                    headers={"Cache-Control": "no-cache", "X-Tilik-Start": "cold" if cold else "warm"})


@named("live_segment")
async def live_segment(request: Request) -> Response:
    portal = portal_of(request)
    cam_id, name = request.path_params["camera_id"], request.path_params["segment"]
    if cam_id not in portal.catalogue.by_id:
        return error(404, "no such camera")
    path = portal.hls.segment(cam_id, name)
    if path is None:
        return error(404, "no such segment")
    try:
        portal.hls.touch_lease(cam_id, viewer_of(request))
    except HlsBusy as busy:
        return _busy(request, f"live view at capacity: {busy}")
    return FileResponse(path, media_type="video/mp2t", headers={"Cache-Control": "max-age=60"})


@named("live_leave")
async def live_leave(request: Request) -> Response:
    portal = portal_of(request)
    cam_id = request.path_params["camera_id"]
    if cam_id not in portal.catalogue.by_id:
        return error(404, "no such camera")
    portal.hls.end_lease(cam_id, viewer_of(request))
    return Response(status_code=204)


@named("snapshot")
async def snapshot(request: Request) -> Response:
    portal = portal_of(request)
    e = portal.catalogue.by_id.get(request.path_params["camera_id"])
    if e is None:
        return error(404, "no such camera")
    data = await portal.snapshots.get(e.id, e.url)
    if data is None:
        return error(502, "no snapshot from camera", **{"Retry-After": str(portal.cfg.retry_after_s)})
    return Response(data, media_type="image/jpeg",
                    headers={"Cache-Control": f"max-age={int(portal.cfg.snapshot_refresh_s)}"})


# the leave route comes before the segment route, whose pattern would also match "session"
ROUTES = [
    Route("/live/{camera_id}/index.m3u8", live_playlist),
    Route("/live/{camera_id}/session", live_leave, methods=["DELETE"]),
    Route("/live/{camera_id}/{segment}", live_segment),
    Route("/snapshot/{camera_id}.jpg", snapshot),
]
