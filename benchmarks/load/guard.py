"""The load-target guard inside the load generator: every URL a Locust user requests is checked.

This module imports nothing of Locust (importing Locust monkey-patches the standard library with
gevent, which a test process must not get by importing the guard); the Locust session that applies it
is ``benchmarks.load.guarded_session.GuardedSession``.

``tilikbench load`` checks the target URL once (``common.netguard.check_target``); the URLs that
users then build come from elsewhere (the endpoint mapping, playlists' segment lines, redirects),
so ``GuardedSession`` checks each one against the allowed origins (scheme, host, port) before it
is sent, and never follows a redirect by itself. A refused URL is recorded as a failed request
named ``refused`` and raises ``OffTarget`` (users skip that URL and go on): nothing reaches the
other host.
"""
from __future__ import annotations

import logging
from urllib.parse import urljoin

from common.errors import InputError
from common.netguard import Origin, origin_of

log = logging.getLogger(__name__)
REDIRECT_CODES = frozenset((301, 302, 303, 307, 308))


class OffTarget(Exception):
    """A URL outside the load's allowed origins (recorded as the failure of a ``refused`` request)."""


class OriginGuard:
    def __init__(self, allowed: list[str]):
        self.allowed: set[Origin] = {origin_of(u) for u in allowed}

    def refusal(self, url: str) -> str | None:
        """None if ``url`` may be requested, else why not."""
        try:
            origin = origin_of(url)
        except InputError as e:
            return e.message
        if origin not in self.allowed:
            return f"{origin[0]}://{origin[1]}:{origin[2]} is not the load target"
        return None


def redirect_target(response, request_url: str) -> str | None:
    """The absolute URL a 3xx response points to (None if it is not a redirect)."""
    if response.status_code not in REDIRECT_CODES:
        return None
    location = response.headers.get("location") if response.headers else None
    return urljoin(request_url, location) if location else None
