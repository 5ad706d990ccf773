"""Routes of the citizen's viewing path beyond plain HLS: the player page and hls.js, the card's
pre-warm cue, the WebRTC live view and the view-start counts (cold-start share) of the packaging policy.
"""
from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from analytics.portal.hls import VIEWER_RE
from analytics.portal.packaging import record_view_start, total_view_starts, view_starts
from analytics.portal.player import hlsjs_file, player_page

if TYPE_CHECKING:
    from analytics.portal.state import PortalState


def _no_camera() -> JSONResponse:
    return JSONResponse({"error": "no such camera"}, status_code=404)


def viewer_routes(portal: PortalState) -> list[Route]:
    cat = portal.catalogue

    async def watch(request: Request):
        cam = request.path_params["camera_id"]
        return player_page(request, cam) if cam in cat.by_id else _no_camera()

    async def hlsjs(request: Request):
        return hlsjs_file()

    async def warm(request: Request):
        """A camera's card was opened: pre-warm its packager if the policy says so (never waits)."""
        cam = request.path_params["camera_id"]
        if cam not in cat.by_id:
            return _no_camera()
        on = await asyncio.to_thread(portal.policy.card_opened, cam)
        return Response(status_code=204, headers={"X-Tilik-Prewarm": "on" if on else "off"})

    async def webrtc_offer(request: Request):
        cam, sid = request.path_params["camera_id"], request.query_params.get("sid", "")
        e = cat.by_id.get(cam)
        if e is None:
            return _no_camera()
        if not VIEWER_RE.match(sid):
            return JSONResponse({"error": "sid must be 1-64 letters, digits, _ or -"}, status_code=400)
        try:
            sdp = str((await request.json())["sdp"])
        except (ValueError, KeyError, TypeError):
            return JSONResponse({"error": "body must be JSON with the offer's sdp"}, status_code=400)
        try:
            got = await portal.webrtc.answer(cam, e.url, sid, sdp)
        except ValueError as err:
            return JSONResponse({"error": str(err)}, status_code=400)
        except ConnectionError as err:
            return JSONResponse({"error": str(err)}, status_code=502,
                                headers={"Retry-After": str(portal.cfg.retry_after_s)})
        if got is None:
            return JSONResponse({"error": "too many WebRTC viewers on this worker"}, status_code=503,
                                headers={"Retry-After": str(portal.cfg.retry_after_s)})
        answer, cold = got
        record_view_start(portal.hls.cam_dir(cam), cold)
        return JSONResponse({"sdp": answer, "type": "answer"}, headers={"X-Tilik-Start": "cold" if cold else "warm"})

    async def webrtc_leave(request: Request):
        if request.path_params["camera_id"] not in cat.by_id:
            return _no_camera()
        await portal.webrtc.close_peer(request.query_params.get("sid", ""))
        return Response(status_code=204)

    async def viewer_path(request: Request):
        """Policy, packagers and view starts (cold/warm) since the portal started."""
        root = portal.hls.root
        per, tot = await asyncio.to_thread(lambda: (view_starts(root), total_view_starts(root)))
        return JSONResponse({
            "policy": portal.cfg.packaging.name, "packagers": portal.hls.packager_count(), "time": time.time(),
            "view_starts": {"cold": tot.cold, "warm": tot.warm, "cold_share": tot.cold_share},
            "cameras": {c: {"cold": v.cold, "warm": v.warm} for c, v in sorted(per.items())}})

    return [
        Route("/watch/{camera_id}", watch), Route("/static/hls.min.js", hlsjs),
        Route("/live/{camera_id}/warm", warm, methods=["POST"]),
        Route("/webrtc/{camera_id}/offer", webrtc_offer, methods=["POST"]),
        Route("/webrtc/{camera_id}/session", webrtc_leave, methods=["DELETE"]),
        Route("/api/viewer-path", viewer_path),
    ]
