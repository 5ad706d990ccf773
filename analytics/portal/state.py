"""The portal worker's state, held in one object on ``app.state.portal``.

Handlers are module-level functions (``analytics.portal.routes``) that reach this object through
``portal_of(request)``, so no handler closes over variables of the app factory.
"""
from __future__ import annotations

import logging
from pathlib import Path

from starlette.requests import Request

from analytics.portal.auth import LoginLimiter, Principal, TokenSigner, account_fingerprint
from analytics.portal.catalogue import Catalogue
from analytics.portal.config import PortalConfig
from analytics.portal.hls import HlsPackagers, HlsSettings
from analytics.portal.metrics import WorkerMetrics
from analytics.portal.packaging import PolicyKeeper
from analytics.portal.snapshots import SnapshotCache
from analytics.portal.webrtc import WebRtcRelay

log = logging.getLogger(__name__)


class PortalState:
    """State of one worker process: catalogue, shared-state helpers, event store, users."""

    def __init__(self, cfg: PortalConfig, records: list[dict]):
        self.cfg = cfg
        self.state = Path(cfg.state_dir)
        self.catalogue = Catalogue(records)
        self.hls = HlsPackagers(self.state / "hls", HlsSettings(cfg.hls_segment_s, cfg.hls_list_size,
                                                                  cfg.hls_idle_timeout_s, cfg.hls_start_timeout_s,
                                                                  cfg.hls_max_packagers, cfg.hls_max_leases))
        self.snapshots = SnapshotCache(self.state / "snap", cfg.snapshot_refresh_s, cfg.snapshot_timeout_s,
                                       local_source=self._local_segment)
        self.metrics = WorkerMetrics(self.state / "metrics")
        self.tokens = TokenSigner.from_state_dir(self.state, cfg.token_ttl_s)
        self.limiter = LoginLimiter(self.state / "logins.db", cfg.login_attempts, cfg.login_window_s,
                                    cfg.login_attempts_per_ip)
        self.users = {u.username: u for u in cfg.users}
        self.fingerprints = {u.username: account_fingerprint(u.role, u.password_hash, u.cameras, u.kecamatan)
                             for u in cfg.users}
        self.visible: dict[str, frozenset[str]] = {}
        for u in cfg.users:
            if u.role == "rt_head":
                ids = set(u.cameras) & set(self.catalogue.by_id)
                ids |= {e.id for e in self.catalogue.entries if e.group == "CCTV RT" and e.kecamatan in u.kecamatan}
                self.visible[u.username] = frozenset(ids)
        self.policy = PolicyKeeper(cfg.packaging, self.hls, {e.id: e.url for e in self.catalogue.entries})
        self.webrtc = WebRtcRelay(idle_s=cfg.hls_idle_timeout_s)
        self.store = None
        if cfg.events_dsn:
            from analytics.store import open_store  # the event store's database drivers load only when used
            self.store = open_store(cfg.events_dsn)

    def _local_segment(self, camera_id: str) -> Path | None:
        return self.hls.newest_segment(camera_id) if self.hls.running(camera_id) else None

    def principal(self, request: Request) -> Principal | None:
        """The caller behind the bearer token, with the role from the current config; None if none."""
        auth = request.headers.get("authorization", "")
        if not auth.lower().startswith("bearer "):
            return None
        claims = self.tokens.check(auth[7:].strip())
        if claims is None or self.fingerprints.get(claims.username) != claims.fingerprint:
            return None       # unknown user, or the account changed since the token was issued
        return Principal(claims.username, self.users[claims.username].role, claims.expires)

    def allowed_ids(self, p: Principal) -> frozenset[str] | None:
        """None: every camera (operators)."""
        return None if p.role == "operator" else self.visible.get(p.username, frozenset())


def portal_of(request: Request) -> PortalState:
    return request.app.state.portal
