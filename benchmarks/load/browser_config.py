"""Config of the browser viewers that ride along with the Locust users (the scenario's ``load.browsers``)."""
from __future__ import annotations

from typing import Literal

from pydantic import Field

from common.config import StrictModel

MAX_BROWSER_VIEWERS = 60
MAX_WATCH_S = 300.0


class BrowserViewersConfig(StrictModel):
    """A few headless Chromium players per trial, bounded in count and time (``benchmarks.load.browser``)."""

    count: int = Field(3, ge=1, le=MAX_BROWSER_VIEWERS, description="players per trial")
    players_per_page: int = Field(1, ge=1, le=10, description="players sharing one browser page (one camera)")
    mode: Literal["hls", "webrtc"] = Field("hls", description="hls (hls.js) or webrtc (the low-latency view)")
    card_s: float = Field(1.0, ge=0, le=10, description="seconds from opening a camera's card to pressing play "
                                                        "(the pre-warm policy's head start)")
    watch_s: float = Field(20.0, gt=0, le=MAX_WATCH_S, description="most seconds a player watches in a trial "
                                                                   "(a run's trial may shorten it)")
    ttff_timeout_s: float = Field(20.0, gt=0, le=120, description="a player without a first frame by then has failed; "
                                                                  "its time to first frame counts as this")
