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
from pathlib import Path

from starlette.applications import Starlette
from starlette.routing import BaseRoute

from analytics.portal.config import PortalConfig
from analytics.portal.limits import BodyLimit
from analytics.portal.overload import OverloadGuard
from analytics.portal.routes import catalogue, events, login, media, operator, ops
from analytics.portal.state import PortalState

log = logging.getLogger(__name__)
CONFIG_ENV = "TILIK_PORTAL_CONFIG"


def portal_routes() -> list[BaseRoute]:
    """Every route the portal serves, area by area (the first route that matches a path wins)."""
    return [
        *ops.ROUTES,
        *catalogue.ROUTES,
        *media.ROUTES,
        *login.ROUTES,
        *events.ROUTES,
        *operator.ROUTES,
    ]


@contextlib.asynccontextmanager
async def lifespan(app: Starlette):
    """Reap idle HLS packagers and flush metrics every second; stop and close everything at shutdown."""
    portal: PortalState = app.state.portal

    async def reaper():
        while True:
            await asyncio.sleep(1.0)
            try:
                await asyncio.to_thread(portal.hls.reap)
                portal.metrics.dump()
            except Exception:   # keep reaping; a bad file must not stop it
                log.exception("HLS reaper")
    task = asyncio.create_task(reaper())
    try:
        yield
    finally:
        task.cancel()
        await asyncio.to_thread(portal.hls.stop_all)
        if portal.store is not None:
            portal.store.close()
        portal.limiter.close()


def create_app(cfg: PortalConfig, records: list[dict]):
    """The portal as an ASGI app: the routes behind the body limit and the overload guard."""
    portal = PortalState(cfg, records)
    app = Starlette(routes=portal_routes(), lifespan=lifespan)
    app.state.portal = portal
    return OverloadGuard(BodyLimit(app, cfg.max_body_bytes), max_concurrency=cfg.max_concurrency,
                         retry_after_s=cfg.retry_after_s, metrics=portal.metrics)


def app_from_env():
    """uvicorn factory: reads the JSON written by ``analytics.portal.serve`` (path in $TILIK_PORTAL_CONFIG)."""
    data = json.loads(Path(os.environ[CONFIG_ENV]).read_text())
    return create_app(PortalConfig.model_validate(data["portal"]), data["cameras"])
