"""Which camera a citizen opens: a popularity law over the ranked cameras (the scenario's
``load.popularity``).

Zipf (the default law): the camera of rank r (1 = most popular) of n is opened with probability

    p(r) = r^-s / H(n, s),   H(n, s) = sum_{k=1..n} k^-s

With s = 1 (the default, an assumption: view counts of web video and of city camera portals are
commonly reported as Zipf-like with s between about 0.6 and 1.2; no Semarang view counts were
available) and 10 cameras, rank 1 gets 34% of views and rank 10 gets 3.4%; s = 0 is uniform.
The ranking: ``load.hot_cameras`` first (in their order: the streets everyone opens), then the
catalogue's order. ``hot_list`` keeps the earlier behaviour (``hot_share`` of views to the hot
list, the rest uniform).

Every view that finds its camera not yet packaged is a cold start; with a popularity law most views
go to a few cameras, so the share of cold starts depends on the law, on how long viewers stay and on
the portal's packaging policy. The portal counts them (``/api/viewer-path``).
"""
from __future__ import annotations

import bisect
import itertools
import random
from collections.abc import Sequence
from typing import Literal

from pydantic import Field

from common.config import StrictModel


class PopularityConfig(StrictModel):
    law: Literal["zipf", "hot_list", "uniform"] = Field(
        "zipf", description="zipf: rank r opened with probability proportional to r^-zipf_s; "
                            "hot_list: hot_share of views to hot_cameras, the rest uniform; uniform")
    zipf_s: float = Field(1.0, ge=0, le=5, description="Zipf exponent (assumption: 1.0; 0 is uniform)")


def ranked(catalogue: Sequence[str], hot: Sequence[str]) -> list[str]:
    """The popularity ranking: the hot cameras that exist (in order), then the rest in catalogue order."""
    known = set(catalogue)
    head = [c for c in dict.fromkeys(hot) if c in known]
    return head + [c for c in catalogue if c not in set(head)]


def zipf_probabilities(n: int, s: float) -> list[float]:
    w = [r ** -s for r in range(1, n + 1)]
    total = sum(w)
    return [x / total for x in w]


class CameraChooser:
    """Draws cameras by the configured law from a ranking (most popular first)."""

    def __init__(self, cfg: PopularityConfig, ranking: Sequence[str], hot: Sequence[str] = (),
                 hot_share: float = 0.0, rng: random.Random | None = None):
        if not ranking:
            raise ValueError("popularity: no cameras to choose from")
        self.cfg = cfg
        self.ranking = list(ranking)
        self.hot = [c for c in hot if c in set(self.ranking)]
        self.hot_share = hot_share
        self.rng = rng or random.Random()
        s = cfg.zipf_s if cfg.law == "zipf" else 0.0
        self._cum = list(itertools.accumulate(zipf_probabilities(len(self.ranking), s)))

    def choose(self) -> str:
        if self.cfg.law == "hot_list" and self.hot and self.rng.random() < self.hot_share:
            return self.rng.choice(self.hot)
        if self.cfg.law == "hot_list":
            return self.rng.choice(self.ranking)
        i = bisect.bisect_left(self._cum, self.rng.random() * self._cum[-1])
        return self.ranking[min(i, len(self.ranking) - 1)]
