"""Signed-in views: the caller's cameras, events and per-camera event counts.

RT heads see only their own cameras; operators see every camera.
"""
from __future__ import annotations

from dataclasses import asdict

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from analytics.portal.auth import Principal
from analytics.portal.limits import BadParam, float_param, int_param
from analytics.portal.routes.guard import MAX_OFFSET, error, named, requires
from analytics.portal.state import portal_of


@named("my_cameras")
@requires()
async def my_cameras(request: Request, who: Principal) -> Response:
    cat = portal_of(request).catalogue
    ids = portal_of(request).allowed_ids(who)
    found = cat.entries if ids is None else [e for e in cat.entries if e.id in ids]
    return JSONResponse({"total": len(found), "items": [e.public() for e in found[:500]]})


@named("events")
@requires(store=True)
async def events(request: Request, who: Principal) -> Response:
    portal = portal_of(request)
    store = portal.store
    q = request.query_params
    try:
        limit = int_param(request, "limit", 50, 1, portal.cfg.page_max)
        offset = int_param(request, "offset", 0, 0, MAX_OFFSET)
        since, until = float_param(request, "since"), float_param(request, "until")
    except BadParam as e:
        return error(400, str(e))
    types = q.getlist("type") or None
    cam = q.get("camera_id")
    ids = portal.allowed_ids(who)
    if cam and ids is not None and cam not in ids:
        return error(403, "camera not in your area")
    cams = [cam] if cam else (sorted(ids) if ids is not None else [None])

    def run():
        items, total = [], 0
        for c in cams:
            items += store.query(camera_id=c, types=types, since=since, until=until, limit=offset + limit, offset=0)
            total += store.count(camera_id=c, types=types, since=since, until=until)
        items.sort(key=lambda ev: ev.t_frame, reverse=True)
        return items[offset:offset + limit], total

    items, total = await run_in_threadpool(run)
    nxt = offset + limit if offset + limit < total else None
    return JSONResponse({"total": total, "limit": limit, "offset": offset, "next_offset": nxt,
                         "items": [asdict(ev) for ev in items]})


@named("event_counts")
@requires(store=True)
async def event_counts(request: Request, who: Principal) -> Response:
    portal = portal_of(request)
    try:
        since, until = float_param(request, "since"), float_param(request, "until")
    except BadParam as e:
        return error(400, str(e))
    counts = await run_in_threadpool(portal.store.counts_by_camera, since, until)
    ids = portal.allowed_ids(who)
    if ids is not None:
        counts = {k: v for k, v in counts.items() if k in ids}
    return JSONResponse(counts)


ROUTES = [
    Route("/api/me/cameras", my_cameras),
    Route("/api/events", events), Route("/api/events/counts", event_counts),
]
