"""The Locust HTTP session that applies the load-target guard (``benchmarks.load.guard``) to every
request and never follows a redirect by itself."""
from __future__ import annotations

import logging

from locust.contrib.fasthttp import FastHttpSession

from benchmarks.load.guard import OffTarget, OriginGuard

log = logging.getLogger(__name__)


class GuardedSession(FastHttpSession):
    """A FastHttpSession that sends only to allowed origins and never follows redirects itself."""

    def __init__(self, *args, guard: OriginGuard, **kwargs):
        super().__init__(*args, **kwargs)
        self.guard = guard

    def request(self, method: str, url: str, name: str | None = None, **kwargs):
        built = self._build_url(url)
        why = self.guard.refusal(built)
        if why is not None:
            log.warning("refused %s %s: %s", method, built, why)
            self.request_event.fire(request_type=method, name="refused", response_time=0.0, response_length=0,
                                    response=None, context={}, exception=OffTarget(why), url=built)
            raise OffTarget(why)
        kwargs["allow_redirects"] = False
        return super().request(method, url, name=name, **kwargs)
