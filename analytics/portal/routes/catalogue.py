"""The public camera catalogue: groups, search with paging, one camera."""
from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from analytics.portal.limits import BadParam, int_param
from analytics.portal.routes.guard import MAX_OFFSET, error, named
from analytics.portal.state import portal_of


@named("groups")
async def groups(request: Request) -> Response:
    return JSONResponse(portal_of(request).catalogue.groups())


@named("cameras")
async def cameras(request: Request) -> Response:
    q = request.query_params
    try:
        limit, offset = int_param(request, "limit", 50, 1, 500), int_param(request, "offset", 0, 0, MAX_OFFSET)
    except BadParam as e:
        return error(400, str(e))
    found = portal_of(request).catalogue.find(group=q.get("group"), kecamatan=q.get("kecamatan"),
                                              kelurahan=q.get("kelurahan"), q=q.get("q"))
    return JSONResponse({"total": len(found), "limit": limit, "offset": offset,
                         "items": [e.public() for e in found[offset:offset + limit]]})


@named("camera")
async def camera(request: Request) -> Response:
    e = portal_of(request).catalogue.by_id.get(request.path_params["camera_id"])
    return JSONResponse(e.public()) if e else error(404, "no such camera")


ROUTES = [Route("/api/groups", groups), Route("/api/cameras", cameras), Route("/api/cameras/{camera_id}", camera)]
