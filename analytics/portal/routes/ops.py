"""Health and Prometheus metrics (public, never refused by the overload guard)."""
from __future__ import annotations

import asyncio
import os

from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from analytics.portal.metrics import render
from analytics.portal.routes.guard import named
from analytics.portal.state import portal_of


@named("health")
async def health(request: Request) -> Response:
    portal = portal_of(request)
    return JSONResponse({"status": "ok", "cameras": len(portal.catalogue), "worker": os.getpid(),
                         "hls": "mediamtx" if portal.cfg.mediamtx_hls_url else "ffmpeg",
                         "events": portal.store is not None})


@named("metrics")
async def metrics(request: Request) -> Response:
    portal = portal_of(request)
    portal.metrics.dump()
    leases = await asyncio.to_thread(portal.hls.active_leases)
    text = render(portal.metrics.root, {
        "tilik_hls_active_sessions": ("Viewers whose HLS lease is live.", sum(leases.values())),
        "tilik_hls_packagers": ("Running on-demand HLS packagers.", portal.hls.packager_count()),
        "tilik_hls_viewers": ("Live HLS leases by camera.", {k: v for k, v in leases.items() if v}),
    })
    return PlainTextResponse(text, media_type="text/plain; version=0.0.4")


ROUTES = [Route("/health", health), Route("/metrics", metrics)]
