"""What every handler shares: the ``requires`` access guard, route names for the metrics, error bodies.

``requires(role)`` is the one place that reads the bearer token: it looks the caller's role up in
the current config (``PortalState.principal``) and answers a refusal the same way on every route:
401 with ``WWW-Authenticate: Bearer`` without a valid token, 403 for the wrong role, 503 when the
route needs the event store and none is configured. The handler receives the caller's ``Principal``.
"""
from __future__ import annotations

import functools
from typing import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from analytics.portal.auth import Principal
from analytics.portal.state import portal_of

Handler = Callable[[Request], Awaitable[Response]]
GuardedHandler = Callable[[Request, Principal], Awaitable[Response]]

MAX_OFFSET = 10 ** 9


def named(name: str) -> Callable[[Handler], Handler]:
    """Label a handler for the per-route metrics (read by ``OverloadGuard``)."""
    def deco(fn: Handler) -> Handler:
        fn.route_name = name  # type: ignore[attr-defined]
        return fn
    return deco


def error(status: int, message: str, **headers: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status, headers=headers or None)


def requires(role: str | None = None, *, store: bool = False) -> Callable[[GuardedHandler], Handler]:
    """Admit a signed-in caller (of ``role``, when given; with the event store, when ``store``)."""
    def deco(fn: GuardedHandler) -> Handler:
        @functools.wraps(fn)
        async def guarded(request: Request) -> Response:
            portal = portal_of(request)
            who = portal.principal(request)
            if who is None:
                return error(401, "missing or invalid bearer token", **{"WWW-Authenticate": "Bearer"})
            if role is not None and who.role != role:
                return error(403, f"needs role {role}")
            if store and portal.store is None:
                return error(503, "no event store configured")
            return await fn(request, who)
        return guarded
    return deco
