"""Operator endpoints: the video wall's page of cameras and the live-view status."""
from __future__ import annotations

import asyncio

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from analytics.portal.auth import Principal
from analytics.portal.limits import BadParam, int_param
from analytics.portal.routes.guard import MAX_OFFSET, error, named, requires
from analytics.portal.state import portal_of


@named("operator_wall")
@requires("operator")
async def operator_wall(request: Request, who: Principal) -> Response:
    try:
        n, page = int_param(request, "n", 16, 1, 64), int_param(request, "page", 0, 0, MAX_OFFSET)
    except BadParam as e:
        return error(400, str(e))
    found = portal_of(request).catalogue.find(group=request.query_params.get("group"))
    start = (page * n) % max(len(found), 1)
    return JSONResponse({"items": [e.public() for e in (found[start:] + found[:start])[:n]]})


@named("operator_status")
@requires("operator")
async def operator_status(request: Request, who: Principal) -> Response:
    portal = portal_of(request)
    leases = await asyncio.to_thread(portal.hls.active_leases)
    return JSONResponse({"hls_viewers": {k: v for k, v in leases.items() if v},
                         "hls_packagers": portal.hls.packager_count(), "snapshot_grabs": portal.snapshots.grabs})


ROUTES = [Route("/api/operator/wall", operator_wall), Route("/api/operator/status", operator_status)]
