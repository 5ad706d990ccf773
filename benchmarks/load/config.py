"""Config of viewer load (the scenario's ``load:`` section) and the endpoint mapping of a deployment.

Hard caps bound every run whatever the file or command line says: at most ``MAX_USERS`` users,
``MAX_RUN_TIME_S`` seconds and ``MAX_REQUESTS`` requests.
"""
from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator, model_validator

from benchmarks.load.browser_config import BrowserViewersConfig
from benchmarks.load.popularity import PopularityConfig
from common.config import StrictModel

MAX_USERS = 5000
MAX_RUN_TIME_S = 4 * 3600
MAX_REQUESTS = 5_000_000
ShapeName = Literal["constant", "step", "diurnal", "spike"]


class Credentials(StrictModel):
    username: str = Field(..., min_length=1, description="login name")
    password: str = Field(..., min_length=1, description="password (test accounts only)")


class StepShapeConfig(StrictModel):
    start_users: int = Field(10, ge=1, le=MAX_USERS, description="users in the first step")
    step_users: int = Field(10, ge=1, le=MAX_USERS, description="users added per step")
    step_s: float = Field(30.0, gt=0, le=3600, description="length of one step")
    steps: int = Field(10, ge=1, le=1000, description="number of steps")


class DiurnalShapeConfig(StrictModel):
    peak_users: int = Field(200, ge=1, le=MAX_USERS, description="users at the evening peak")
    night_share: float = Field(0.05, ge=0, le=1, description="users at 03:00 as a share of the peak")
    day_s: float = Field(240.0, gt=0, le=MAX_RUN_TIME_S, description="a 24 h day compressed into this many seconds")
    peak_hour: float = Field(19.5, ge=0, lt=24, description="hour of the evening peak (local time)")


class SpikeShapeConfig(StrictModel):
    base_users: int = Field(20, ge=0, le=MAX_USERS, description="users before and after the spike")
    spike_users: int = Field(200, ge=1, le=MAX_USERS, description="users during the spike")
    spike_at_s: float = Field(20.0, ge=0, description="when the spike starts")
    spike_s: float = Field(60.0, gt=0, description="how long it lasts")
    after_s: float = Field(30.0, ge=0, description="time at base load after the spike")
    spawn_rate: float = Field(50.0, gt=0, description="users started per second when the spike begins")


class EndpointMapping(StrictModel):
    """Paths of a deployment's endpoints; ``{camera_id}`` is substituted. Defaults: tilikbench's portal."""

    groups: str = Field("/api/groups", description="camera groups")
    cameras: str = Field("/api/cameras", description="camera list; query group, q, limit")
    camera_items_key: str = Field("items", description="key of the camera list in the cameras response")
    camera_id_key: str = Field("id", description="key of a camera's id in a list item")
    playlist: str = Field("/live/{camera_id}/index.m3u8", description="HLS playlist of a live view")
    leave: str | None = Field("/live/{camera_id}/session", description="DELETE when a viewer leaves (None: not sent)")
    card: str | None = Field("/live/{camera_id}/warm", description="POST when a citizen opens a camera's card "
                                                                  "before playing (None: not sent)")
    snapshot: str = Field("/snapshot/{camera_id}.jpg", description="latest-frame JPEG")
    login: str = Field("/api/login", description="POST {username, password} -> {token}")
    token_key: str = Field("token", description="key of the bearer token in the login response")
    my_cameras: str = Field("/api/me/cameras", description="cameras of the logged-in user")
    events: str = Field("/api/events", description="events; query camera_id, since, until, limit, offset")
    event_counts: str = Field("/api/events/counts", description="per-camera event counts; query since, until")
    wall: str = Field("/api/operator/wall", description="operator video wall; query n")
    camera_ids: list[str] = Field(default_factory=list,
                                  description="cameras to view; empty: discovered from the cameras endpoint")

    @field_validator("groups", "cameras", "playlist", "leave", "snapshot", "login", "my_cameras", "events",
                     "event_counts", "wall")
    @classmethod
    def _relative_path(cls, v: str | None) -> str | None:
        """A path on the target, never a URL of its own: the load guard checks only the target."""
        if v is None:
            return v
        if not v.startswith("/") or v.startswith("//") or "\\" in v or "://" in v or "@" in v \
                or any(ch.isspace() or ord(ch) < 32 for ch in v):
            raise ValueError(f"{v!r} must be a path on the target starting with a single '/' "
                             "(no scheme, host, '@' or spaces)")
        try:
            v.format(camera_id="x")
        except (KeyError, IndexError, ValueError):
            raise ValueError(f"{v!r}: the only placeholder allowed is {{camera_id}}") from None
        return v


class LoadConfig(StrictModel):
    shape: ShapeName = Field("step", description="constant (users/spawn_rate), step, diurnal or spike")
    users: int = Field(20, ge=1, le=MAX_USERS, description="users of a constant run")
    spawn_rate: float = Field(10.0, gt=0, le=1000, description="users started per second (constant run)")
    run_time_s: float = Field(120.0, gt=0, le=MAX_RUN_TIME_S, description="hard stop of the run")
    max_requests: int = Field(1_000_000, ge=1, le=MAX_REQUESTS, description="hard stop after this many requests")
    weights: dict[Literal["citizen", "operator", "rt_head", "browser", "viewer"], int] = Field(
        default_factory=lambda: {"citizen": 1},
        description="relative numbers of each kind of user (e.g. citizen 90, operator 5, rt_head 5); "
                    "browser: catalogue and snapshots only; viewer: live view only")
    card_s: float = Field(0.0, ge=0, le=60, description="seconds a citizen spends on a camera's card (opened with "
                                                        "endpoints.card) before the live view starts; 0: no card")
    citizen_watch_s: float = Field(20.0, gt=0, le=3600, description="how long a citizen follows a live view")
    operator_wall_s: float = Field(20.0, gt=0, le=3600, description="how long an operator watches the wall")
    wall_size: int = Field(16, ge=1, le=64, description="streams on an operator's video wall")
    wait_min_s: float = Field(1.0, ge=0, le=600, description="think time between tasks, lower bound")
    wait_max_s: float = Field(5.0, ge=0, le=600, description="think time between tasks, upper bound")
    hot_cameras: list[str] = Field(default_factory=list,
                                   description="cameras everyone opens in a spike (e.g. Jalan Pahlawan, a flood)")
    hot_share: float = Field(0.8, ge=0, le=1, description="share of live views that go to hot_cameras "
                                                          "(popularity law hot_list only)")
    popularity: PopularityConfig = Field(default_factory=PopularityConfig,
                                         description="which camera a live view opens (default: Zipf, s = 1)")
    browsers: BrowserViewersConfig | None = Field(None, description="headless Chromium viewers riding along "
                                                                   "with the Locust users in a run (none: off)")
    operator: Credentials | None = Field(None, description="operator account used by Operator users")
    rt_heads: list[Credentials] = Field(default_factory=list, description="RT-head accounts used by RTHead users")
    slo_p95_ms: float = Field(200.0, gt=0, description="p95 response time that defines the knee")
    knee_max_fail_ratio: float | None = Field(0.01, ge=0, le=1,
                                              description="a step with more failures (e.g. 503s) than this share "
                                                          "also counts as past the knee; null: p95 only")
    step: StepShapeConfig = Field(default_factory=StepShapeConfig, description="step shape")
    diurnal: DiurnalShapeConfig = Field(default_factory=DiurnalShapeConfig, description="diurnal shape")
    spike: SpikeShapeConfig = Field(default_factory=SpikeShapeConfig, description="spike shape")
    endpoints: EndpointMapping = Field(default_factory=EndpointMapping, description="the target's endpoint paths")
    extra_origins: list[str] = Field(default_factory=list,
                                     description="other http(s)://host:port the users may follow (e.g. the MediaMTX "
                                                 "HLS server the portal redirects live views to); each passes "
                                                 "the same target check as the URL")

    @field_validator("extra_origins")
    @classmethod
    def _origins(cls, v: list[str]) -> list[str]:
        from common.errors import InputError
        from common.netguard import origin_of
        for url in v:
            try:
                origin_of(url)
            except InputError as e:
                raise ValueError(f"{url!r}: {e.message}") from None
        return v

    @model_validator(mode="after")
    def _check(self) -> "LoadConfig":
        if self.wait_max_s < self.wait_min_s:
            raise ValueError(f"wait_max_s ({self.wait_max_s}) must be >= wait_min_s ({self.wait_min_s})")
        if not any(self.weights.values()):
            raise ValueError("weights: at least one kind of user needs a weight > 0")
        if self.weights.get("operator", 0) and self.operator is None:
            raise ValueError("operator users need operator credentials (load.operator)")
        if self.weights.get("rt_head", 0) and not self.rt_heads:
            raise ValueError("rt_head users need at least one account (load.rt_heads)")
        return self
