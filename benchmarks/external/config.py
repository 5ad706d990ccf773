"""Config of an external system under test (the scenario's ``stack:`` section with ``type: external``).

Three questions, one section each:

- ``cameras_via``: how a step's cameras reach the system: a camera manifest the runner writes (and serves
  over HTTP), a config file rendered from the user's Jinja2 template followed by a reload command, or a
  user command run at every step;
- ``process``: ``owned`` (the runner starts it with a command, measures its PID tree, stops it) or
  ``observed`` (already running; the runner never starts or stops it);
- ``health``: Prometheus text endpoints and/or HTTP JSON APIs, each value mapped to one quantity of the
  run's vocabulary (per camera: frames decoded and analysed, fps, lag, drops, errors, online; for the
  system: CPU seconds, memory, network bytes).

Templates, commands and URLs are Jinja2 text rendered with the step's variables (docs/external.md lists
them); commands are split like a shell would but run without one.
"""
from __future__ import annotations

from typing import Annotated, Literal, get_args

from pydantic import Field, model_validator

from common.config import StrictModel

CameraQuantity = Literal["decoded_frames", "analysed_frames", "fps", "lag_s", "dropped_frames", "errors", "online"]
SystemQuantity = Literal["cpu_seconds", "memory_bytes", "host_cpu_seconds", "rx_bytes", "tx_bytes"]
Quantity = Literal["decoded_frames", "analysed_frames", "fps", "lag_s", "dropped_frames", "errors", "online",
                   "cpu_seconds", "memory_bytes", "host_cpu_seconds", "rx_bytes", "tx_bytes"]
CAMERA_QUANTITIES: tuple[str, ...] = get_args(CameraQuantity)
SYSTEM_QUANTITIES: tuple[str, ...] = get_args(SystemQuantity)
# counters become rates over the trial; the others are read at the trial's end (lag_s: also a histogram)
COUNTERS = frozenset({"decoded_frames", "analysed_frames", "dropped_frames", "errors", "cpu_seconds",
                      "host_cpu_seconds", "rx_bytes", "tx_bytes"})
FRAME_QUANTITIES = ("decoded_frames", "analysed_frames", "fps")


# --------------------------------------------------------------------------- how cameras reach it
class ManifestDelivery(StrictModel):
    type: Literal["manifest"]
    path: str | None = Field(None, description="file the runner writes the step's camera manifest to (JSON; "
                             "default: <run>/external/cameras.json); template variable `manifest_path`")
    serve: bool = Field(True, description="also serve the manifest over HTTP on a free loopback port "
                        "(template variable `manifest_url`)")


class ConfigFileDelivery(StrictModel):
    type: Literal["config_file"]
    template: str = Field(..., min_length=1, description="Jinja2 template of the system's own config file, "
                          "rendered with the step's cameras (docs/external.md lists the variables)")
    path: str | None = Field(None, description="where the rendered config is written (default: "
                             "<run>/external/<template name without .j2>); template variable `config_path`")
    reload: str | None = Field(None, description="command run after each rewrite so the system re-reads it "
                               "(e.g. `kill -HUP {{ pid }}`); null: it watches the file itself")
    timeout_s: float = Field(30.0, gt=0, description="longest the reload command may take")


class CommandDelivery(StrictModel):
    type: Literal["command"]
    command: str = Field(..., min_length=1, description="command run at every step to give the system the "
                         "step's cameras (e.g. a call to its HTTP API with curl); must exit 0")
    timeout_s: float = Field(30.0, gt=0, description="longest the command may take")


CameraDelivery = Annotated[ManifestDelivery | ConfigFileDelivery | CommandDelivery, Field(discriminator="type")]


# --------------------------------------------------------------------------- who runs it
class OwnedProcess(StrictModel):
    type: Literal["owned"]
    start: str = Field(..., min_length=1, description="command that starts the system in the foreground; "
                       "the runner records its PID and measures its whole process tree")
    stop: str | None = Field(None, description="command that stops it (default: SIGTERM, then SIGKILL, to "
                             "its process tree by PID)")
    restart_on_step: bool = Field(False, description="restart it at every step (for systems that take their "
                                  "cameras only on the command line)")
    ready_timeout_s: float = Field(30.0, gt=0, description="longest wait for its health endpoints to answer "
                                   "after a start")
    cwd: str | None = Field(None, description="working directory of its commands (default: the current one)")
    env: dict[str, str] = Field(default_factory=dict, description="extra environment variables")


class ObservedProcess(StrictModel):
    type: Literal["observed"]
    pid: int | None = Field(None, ge=1, description="PID of the running system on this host: its process "
                            "tree's CPU and memory are measured (never signalled)")
    pid_file: str | None = Field(None, description="file holding that PID (read at the start of the run)")

    @model_validator(mode="after")
    def _one_pid_source(self) -> ObservedProcess:
        if self.pid is not None and self.pid_file is not None:
            raise ValueError("give pid or pid_file, not both")
        return self


ProcessConfig = Annotated[OwnedProcess | ObservedProcess, Field(discriminator="type")]


# --------------------------------------------------------------------------- how health is read
class PromMetric(StrictModel):
    name: str = Field(..., min_length=1, description="metric name as the endpoint serves it (a counter's "
                      "`_total` may be left out; a histogram by its base name)")
    labels: dict[str, str | list[str]] = Field(default_factory=dict, description="only samples with these "
                                               "label values (a list: any of them); the rest are summed")
    scale: float = Field(1.0, gt=0, description="factor to the quantity's unit (e.g. 0.001 for ms -> s)")


class PrometheusSource(StrictModel):
    url: str = Field(..., min_length=1, description="Prometheus text endpoint (Jinja2: e.g. "
                     "`http://127.0.0.1:{{ ports.metrics }}/metrics`)")
    camera_label: str = Field("camera", description="label whose value is the camera id (or its RTSP URL) "
                              "on per-camera metrics")
    metrics: dict[Quantity, str | PromMetric] = Field(..., min_length=1, description="quantity -> metric "
                                                      "name (or {name, labels, scale})")

    def metric(self, quantity: str) -> PromMetric:
        ref = self.metrics[quantity]         # type: ignore[index]
        return PromMetric.model_validate({"name": ref}) if isinstance(ref, str) else ref


class JsonField(StrictModel):
    path: str = Field(..., min_length=1, description="dotted path inside the object (`stats.frames`)")
    scale: float = Field(1.0, gt=0, description="factor to the quantity's unit")


class JsonSource(StrictModel):
    url: str = Field(..., min_length=1, description="HTTP JSON endpoint (Jinja2 like the Prometheus URL)")
    items: str = Field("", description="dotted path to the per-camera list or mapping ('' : the document)")
    camera_key: str = Field("id", description="key holding the camera id (or RTSP URL) in each item; for a "
                            "mapping, its keys are the ids")
    cameras: dict[CameraQuantity, str | JsonField] = Field(default_factory=dict, description="per-camera "
                                                           "quantity -> field path in an item")
    system: dict[SystemQuantity, str | JsonField] = Field(default_factory=dict, description="system quantity "
                                                          "-> field path from the document's root")

    def field(self, quantity: str) -> JsonField:
        ref = self.cameras.get(quantity) or self.system.get(quantity)    # type: ignore[call-overload]
        if ref is None:
            raise KeyError(quantity)
        return JsonField.model_validate({"path": ref}) if isinstance(ref, str) else ref

    @model_validator(mode="after")
    def _maps_something(self) -> JsonSource:
        if not self.cameras and not self.system:
            raise ValueError("map at least one quantity (cameras: or system:)")
        return self


class HealthConfig(StrictModel):
    prometheus: list[PrometheusSource] = Field(default_factory=list, description="Prometheus text endpoints")
    json_api: list[JsonSource] = Field(default_factory=list, description="HTTP JSON endpoints")
    timeout_s: float = Field(3.0, gt=0, description="longest wait for one endpoint to answer")

    def quantities(self) -> set[str]:
        out = {q for s in self.prometheus for q in s.metrics}
        return out | {q for s in self.json_api for q in (*s.cameras, *s.system)}

    @model_validator(mode="after")
    def _frames_mapped(self) -> HealthConfig:
        if not self.prometheus and not self.json_api:
            raise ValueError("declare at least one health source (prometheus: or json_api:)")
        if not set(FRAME_QUANTITIES) & self.quantities():
            raise ValueError("map at least one per-camera frame quantity (decoded_frames, analysed_frames or "
                             "fps): without it no camera's throughput can be measured")
        return self


# --------------------------------------------------------------------------- the section
class ExternalStackConfig(StrictModel):
    """A system under test we did not write, driven and measured like the built-in stack."""

    type: Literal["external"]
    name: str = Field(..., min_length=1, description="what the system is (product, version); shown in the "
                      "results and the report")
    cameras_via: CameraDelivery = Field(..., description="how a step's cameras reach the system")
    process: ProcessConfig = Field(..., description="owned (started and stopped by the runner) or observed")
    health: HealthConfig = Field(..., description="where its health is read and how it maps to the run's metrics")
    ports: list[str] = Field(default_factory=list, description="names of free loopback ports the runner picks "
                             "for the system before it starts (template variable `ports.NAME`)")
    expected_fps: Literal["sampling_fps", "camera_fps"] = Field(
        "sampling_fps", description="the rate each camera should be analysed at, for `min_analysed_share`: "
        "the step's sampling fps (given to the system as `sampling_fps`) or the camera's own fps")
    workers: int | None = Field(None, ge=1, le=4096, description="analysis workers the system runs in parallel "
                                "(the model check simulates that many; default: one per core of its host)")
    host_cores: int | None = Field(None, ge=1, le=4096, description="cores of the system's host when it is not "
                                   "this machine (the model check then simulates that host; give the host's "
                                   "CPU as `host_cpu_seconds` so other work there is taken off)")
    settle_timeout_s: float = Field(20.0, ge=0, description="after a step's cameras change, longest wait for "
                                    "every online camera to show frames in the health data (before warm-up)")

    @model_validator(mode="after")
    def _ports_unique(self) -> ExternalStackConfig:
        dup = sorted({p for p in self.ports if self.ports.count(p) > 1})
        if dup:
            raise ValueError(f"port name listed twice in ports: {', '.join(dup)}")
        return self
