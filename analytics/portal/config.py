"""Config of the portal (the scenario's ``portal:`` section)."""
from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator, model_validator

from analytics.portal.packaging import PackagingConfig
from common.config import StrictModel
from common.netguard import check_host

Role = Literal["operator", "rt_head"]


class PortalUser(StrictModel):
    """One account. ``password_hash`` is what ``analytics.portal.auth.hash_password`` returns;
    ``password`` (plain) is accepted in scenario files for demos and hashed at start-up, never stored."""

    username: str = Field(..., min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$",
                          description="login name")
    role: Role = Field(..., description="operator (sees every camera) or rt_head (sees only own cameras)")
    password: str | None = Field(None, min_length=8, description="plain password for demos; hashed at start-up")
    password_hash: str | None = Field(None, description="scrypt$N$r$p$salt$hash as written by hash_password")
    cameras: list[str] = Field(default_factory=list, description="camera ids an RT head may see")
    kecamatan: list[str] = Field(default_factory=list,
                                 description="districts whose RT cameras an RT head may see (in addition)")

    @model_validator(mode="after")
    def _one_secret(self) -> "PortalUser":
        if (self.password is None) == (self.password_hash is None):
            raise ValueError(f"user {self.username!r}: give exactly one of password or password_hash")
        return self


class PortalConfig(StrictModel):
    host: str = Field("127.0.0.1", description="address the portal listens on")
    port: int = Field(8080, ge=1, le=65535, description="TCP port of the portal")
    workers: int = Field(2, ge=1, le=64, description="uvicorn worker processes (share state through state_dir)")
    max_concurrency: int = Field(64, ge=1, le=100_000,
                                 description="requests in flight per worker before fast 503s")
    retry_after_s: int = Field(2, ge=1, le=3600, description="Retry-After header of overload 503s")
    snapshot_refresh_s: float = Field(5.0, ge=0.1, le=3600,
                                      description="a camera's snapshot is re-grabbed at most this often")
    snapshot_timeout_s: float = Field(8.0, gt=0, le=120, description="give up on a snapshot grab after this long")
    hls_idle_timeout_s: float = Field(20.0, gt=0, le=3600,
                                      description="a packager stops this long after its last viewer's last request")
    hls_segment_s: float = Field(2.0, gt=0, le=30, description="target HLS segment length")
    hls_list_size: int = Field(5, ge=2, le=60, description="segments kept in a live playlist")
    hls_start_timeout_s: float = Field(15.0, gt=0, le=120, description="wait this long for a first playlist")
    packaging: PackagingConfig = Field(default_factory=PackagingConfig,
                                       description="which cameras stay packaged (default: on demand)")
    mediamtx_hls_url: str | None = Field(None, description="MediaMTX HLS base URL (e.g. http://127.0.0.1:8888); "
                                                           "when set, live views redirect there instead of packaging")
    events_dsn: str | None = Field(None, description="event store DSN (sqlite:///path.db or postgresql://...)")
    token_ttl_s: int = Field(3600, ge=10, le=7 * 86400, description="bearer token lifetime")
    login_attempts: int = Field(5, ge=1, le=1000, description="login attempts per user ...")
    login_attempts_per_ip: int = Field(50, ge=1, le=100_000,
                                       description="... and per client IP (a load generator's IP needs more) ...")
    login_window_s: float = Field(60.0, gt=0, le=86400, description="... within this window")
    page_max: int = Field(500, ge=1, le=10_000, description="largest page of events a query may ask for")
    users: list[PortalUser] = Field(default_factory=list, description="operator and RT-head accounts")
    state_dir: str = Field(".state/portal",
                           description="HLS output, snapshot cache, tokens, metrics (shared by workers); "
                                       "a directory of its own: the portal refuses one it did not "
                                       "create unless it is empty")
    max_body_bytes: int = Field(64 * 1024, ge=1024, le=16 * 1024 * 1024,
                                description="largest request body accepted (413 beyond)")
    max_connections: int = Field(4096, ge=16, le=1_000_000,
                                 description="open connections per worker before uvicorn answers 503")
    hls_max_packagers: int = Field(128, ge=1, le=100_000,
                                   description="on-demand HLS packagers (ffmpeg) running at once, all workers; "
                                               "a live view beyond it gets 503 + Retry-After")
    hls_max_leases: int = Field(20_000, ge=1, le=10_000_000,
                                description="live viewer leases at once, all cameras; a new viewer beyond it gets 503")

    @field_validator("host")
    @classmethod
    def _host(cls, v: str) -> str:
        return check_host(v)

    @field_validator("events_dsn")
    @classmethod
    def _dsn(cls, v: str | None) -> str | None:
        if v is not None and not v.startswith(("sqlite://", "postgresql://", "postgres://")):
            raise ValueError("event store DSN must be sqlite:///PATH or postgresql://...")
        return v

    @field_validator("mediamtx_hls_url")
    @classmethod
    def _hls_url(cls, v: str | None) -> str | None:
        from urllib.parse import urlsplit
        if v is not None and (urlsplit(v).scheme not in ("http", "https") or not urlsplit(v).hostname
                              or "@" in urlsplit(v).netloc):
            raise ValueError("must be an http(s)://host:port URL")
        return v

    @field_validator("state_dir")
    @classmethod
    def _state_dir(cls, v: str) -> str:
        p = Path(v).expanduser().resolve()
        if not v.strip() or p == Path(p.anchor) or p == Path.home().resolve() or p == Path.cwd().resolve():
            raise ValueError(f"{v!r} is not a directory of its own (the portal clears its state_dir at start); "
                             "name a dedicated directory such as .state/portal")
        return v

    @model_validator(mode="after")
    def _unique_users(self) -> "PortalConfig":
        names = [u.username for u in self.users]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"user names must be unique; repeated: {', '.join(dupes)}")
        return self
