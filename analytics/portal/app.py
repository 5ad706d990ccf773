"""The portal's HTTP application (Starlette, served by uvicorn with uvloop and httptools).

Public: catalogue, search, live view (HLS), snapshots, health, metrics. With a bearer token:
events and per-camera counts (RT heads: only their own cameras), operator endpoints.

The handlers live in ``analytics.portal.routes`` (one module per area, each guarded by
``routes.guard.requires`` where it needs a signed-in caller); they reach the worker's state through
``app.state.portal`` (``PortalState``). ``portal_routes`` is the one place the route lists are joined.
"""
from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import time
from pathlib import Path

from starlette.applications import Starlette
from starlette.routing import BaseRoute

from analytics.portal.config import PortalConfig
from analytics.portal.limits import BodyLimit
from analytics.portal.overload import OverloadGuard
from analytics.portal.routes import catalogue, events, login, media, operator, ops
from analytics.portal.state import PortalState
from analytics.portal.viewer_routes import viewer_routes

log = logging.getLogger(__name__)
CONFIG_ENV = "TILIK_PORTAL_CONFIG"


def portal_routes(portal: PortalState) -> list[BaseRoute]:
    """Every route the portal serves, area by area (the first route that matches a path wins)."""
    return [
        *ops.ROUTES,
        *catalogue.ROUTES,
        *media.ROUTES,
        *login.ROUTES,
        *events.ROUTES,
        *operator.ROUTES,
        *viewer_routes(portal),          # the player page, hls.js, card pre-warm, WebRTC, viewer-path figures
    ]


@contextlib.asynccontextmanager
async def lifespan(app: Starlette):
    """Every second: keep the packaging policy's cameras packaged, reap idle HLS packagers and WebRTC
    peers, flush metrics; stop and close everything at shutdown."""
    portal: PortalState = app.state.portal

    async def reaper():
        while True:
            await asyncio.sleep(1.0)
            try:
                await asyncio.to_thread(portal.policy.tick, time.time())
                await asyncio.to_thread(portal.hls.reap)
                await portal.webrtc.reap()
                portal.metrics.dump()
            except Exception:   # keep reaping; a bad file must not stop it
                log.exception("HLS reaper")
    task = asyncio.create_task(reaper())
    try:
        yield
    finally:
        task.cancel()
        await portal.webrtc.close_all()
        await asyncio.to_thread(portal.hls.stop_all)
        if portal.store is not None:
            portal.store.close()
        portal.limiter.close()


def create_app(cfg: PortalConfig, records: list[dict]):
    """The portal as an ASGI app: the routes behind the body limit and the overload guard."""
    portal = PortalState(cfg, records)
    app = Starlette(routes=portal_routes(portal), lifespan=lifespan)
    app.state.portal = portal
    return OverloadGuard(BodyLimit(app, cfg.max_body_bytes), max_concurrency=cfg.max_concurrency,
                         retry_after_s=cfg.retry_after_s, metrics=portal.metrics)


def app_from_env():
    """uvicorn factory: reads the JSON written by ``analytics.portal.serve`` (path in $TILIK_PORTAL_CONFIG)."""
    data = json.loads(Path(os.environ[CONFIG_ENV]).read_text())
    return create_app(PortalConfig.model_validate(data["portal"]), data["cameras"])
