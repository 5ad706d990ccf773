"""Login: a bearer token for a user name and password, rate-limited per user and client address."""
from __future__ import annotations

import json

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from analytics.portal.auth import verify_login
from analytics.portal.routes.guard import error, named
from analytics.portal.state import portal_of

MAX_USERNAME, MAX_PASSWORD = 64, 1024


@named("login")
async def login(request: Request) -> Response:
    portal = portal_of(request)
    try:
        body = json.loads(await request.body())
        username, password = body["username"], body["password"]
    except (ValueError, KeyError, TypeError, RecursionError):
        return error(400, "body must be JSON with username and password")
    if not isinstance(username, str) or not isinstance(password, str) \
            or not 0 < len(username) <= MAX_USERNAME or len(password) > MAX_PASSWORD:
        return error(400, f"username (1..{MAX_USERNAME} characters) and password "
                          f"(up to {MAX_PASSWORD}) must be strings")
    ip = request.client.host if request.client else "?"
    wait = await run_in_threadpool(portal.limiter.allow, username, ip)
    if wait > 0:
        return error(429, "too many login attempts", **{"Retry-After": str(max(1, int(wait + 0.999)))})
    user = portal.users.get(username)
    ok = await run_in_threadpool(verify_login, password, user.password_hash if user is not None else None)
    if not ok or user is None:
        return error(401, "wrong username or password")
    token, expires = portal.tokens.issue(user.username, portal.fingerprints[user.username])
    return JSONResponse({"token": token, "expires": expires, "role": user.role})


ROUTES = [Route("/api/login", login, methods=["POST"])]
