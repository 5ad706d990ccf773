"""Graceful overload: a bound on requests admitted per worker; beyond it, an immediate 503 with
Retry-After instead of a growing queue.

After admitting a request the guard yields to the event loop once, so every request the loop has
already read is admitted (or refused) before any is served: the in-flight count then measures the
backlog of the worker, not only requests waiting on I/O. Also records per-route metrics.
"""
from __future__ import annotations

import asyncio
import time

from analytics.portal.metrics import WorkerMetrics

UNBOUNDED_PATHS = ("/health", "/metrics")


class OverloadGuard:
    def __init__(self, app, *, max_concurrency: int, retry_after_s: int, metrics: WorkerMetrics):
        self.app = app
        self.max = max_concurrency
        self.retry_after = str(retry_after_s).encode()
        self.metrics = metrics

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        m = self.metrics
        t0 = time.perf_counter()
        path = scope["path"]
        bounded = path not in UNBOUNDED_PATHS
        if bounded and m.inflight >= self.max:
            m.rejected += 1
            await send({"type": "http.response.start", "status": 503,
                        "headers": [(b"retry-after", self.retry_after), (b"content-type", b"text/plain"),
                                    (b"content-length", b"12")]})
            await send({"type": "http.response.body", "body": b"overloaded\r\n"})
            m.observe("overload", scope["method"], 503, time.perf_counter() - t0)
            return
        status = 500

        async def send_wrapped(message):
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        if bounded:
            m.inflight += 1
        try:
            if bounded:
                await asyncio.sleep(0)
            await self.app(scope, receive, send_wrapped)
        finally:
            if bounded:
                m.inflight -= 1
            endpoint = scope.get("endpoint")
            route = getattr(endpoint, "route_name", None) or ("not_found" if status == 404 else "other")
            m.observe(route, scope["method"], status, time.perf_counter() - t0)
