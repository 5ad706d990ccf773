"""Hardware catalogue (YAML) and the hardware set a simulation runs on.

The catalogue lists CPU servers (cores, per-core speed relative to the calibrating machine, price), GPUs
(detector throughput per model and input size, price), NICs and disks. ``HardwareSet`` resolves the names
of a scenario's ``simulation.hardware`` against it; an unknown name is an error that lists the known ones.

``cpu_budget_set`` is the one place a run's CPU budget (the cores the stack had, ``run.hardware``'s ``cpus``
or the whole machine) becomes a hardware set the simulator can run.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

import yaml
from pydantic import Field, ValidationError, field_validator

from common.config import StrictModel
from common.errors import InputError
from simulator.config import HardwareSetSpec
from simulator.infra import (
    INPUT_NAMES,
    Enclosure,
    Link,
    ModelInput,
    RaidLevel,
    StorageServer,
    Switch,
)

CATALOGUE_SCHEMA_VERSION = 1
# The machine a run measures on, in the catalogue's names: its NIC and disk (the run's CPU budget sets the
# cores, ``cpu_budget_set``), and the catalogue's calibrating server for a scenario that names no hardware.
LOCAL_SERVER, LOCAL_NIC, LOCAL_DISK = "local-2c", "nic-10g", "hdd-16tb"
DEFAULT_CATALOGUE = Path(__file__).resolve().parent / "data" / "hardware.yaml"


class CpuServer(StrictModel):
    name: str
    cores: int = Field(..., ge=1)
    speed: float = Field(..., gt=0, description="per-core speed relative to the calibrating machine")
    price_usd: float = Field(..., ge=0)
    max_gpus: int = Field(0, ge=0)
    note: str = ""


class Gpu(StrictModel):
    name: str
    price_usd: float = Field(..., ge=0)
    fixed_ms: float = Field(..., ge=0, description="per-batch overhead")
    max_batch: int = Field(32, ge=1)
    throughput: dict[str, dict[int, float]] = Field(..., description="model -> input size -> images/s")
    nvdec_streams_1080p30: dict[str, float] = Field(
        default_factory=dict, description="codec -> 1080p30 streams its hardware decoders carry")
    source: str = Field("assumption: catalogue figure", description="where the figures come from")

    def decode_pixels_per_s(self, codec: str) -> float:
        """Hardware-decode capacity in pixels per second (0: no hardware decoder for the codec)."""
        return self.nvdec_streams_1080p30.get(codec, 0.0) * 1920 * 1080 * 30

    def batch_ms(self, model: str, input_size: int, batch: int) -> float:
        sizes = self.throughput.get(model)
        if not sizes:
            raise InputError(f"GPU {self.name!r} has no throughput for model {model!r} "
                             f"(catalogue: {', '.join(sorted(self.throughput))})", where="hardware catalogue")
        nearest = min(sizes, key=lambda s: abs(s - input_size))
        images_per_s = sizes[nearest] * (nearest / input_size) ** 2
        return self.fixed_ms + 1000.0 * batch / images_per_s


class Nic(StrictModel):
    name: str
    gbps: float = Field(..., gt=0)
    price_usd: float = Field(..., ge=0)


class Disk(StrictModel):
    name: str
    tb: float = Field(..., gt=0)
    price_usd: float = Field(..., ge=0)
    usable_share: float = Field(1.0, gt=0, le=1)
    write_mbps: float = Field(..., gt=0, description="sustained sequential write, MB/s")
    streams_max: int = Field(64, ge=1, description="camera streams the disk is rated to record at once")
    workload_tb_year: float = Field(180.0, gt=0, description="rated workload (reads + writes), TB per year")
    source: str = Field("assumption: catalogue figure", description="where the figures come from")


class Catalogue(StrictModel):
    schema_version: int
    reference_machine: str = ""
    assumptions: list[str] = Field(default_factory=list)
    portal_http_overhead_ms: float = Field(0.5, ge=0)
    nic_usable_share: float = Field(0.9, gt=0, le=1)
    cpu_servers: list[CpuServer] = Field(..., min_length=1)
    gpus: list[Gpu] = Field(default_factory=list)
    nics: list[Nic] = Field(..., min_length=1)
    disks: list[Disk] = Field(..., min_length=1)
    raid_levels: list[RaidLevel] = Field(default_factory=list)
    enclosures: list[Enclosure] = Field(default_factory=list)
    storage_servers: list[StorageServer] = Field(default_factory=list)
    switches: list[Switch] = Field(default_factory=list)
    site_uplinks: list[Link] = Field(default_factory=list, description="NVR-site upload classes")
    wan_links: list[Link] = Field(default_factory=list, description="city core/WAN links into the data centre")
    egress_links: list[Link] = Field(default_factory=list, description="internet transit for viewers")
    inputs: dict[str, ModelInput] = Field(default_factory=dict, description="the model's default inputs")
    path: str = ""

    @field_validator("inputs")
    @classmethod
    def _known_inputs(cls, v: dict[str, ModelInput]) -> dict[str, ModelInput]:
        unknown = sorted(set(v) - set(INPUT_NAMES))
        if unknown:
            raise ValueError(f"unknown model inputs {unknown}; known: {', '.join(INPUT_NAMES)}")
        return v

    def input(self, name: str, override: dict[str, float] | None = None) -> float:
        """A model input: the scenario's override, else the catalogue's default."""
        if name not in INPUT_NAMES:
            raise ValueError(f"unknown model input {name!r}")
        if override and name in override:
            return float(override[name])
        if name not in self.inputs:
            raise InputError(f"the catalogue has no default for model input {name!r}",
                             where=f"{self.path or 'catalogue'}: inputs.{name}")
        return self.inputs[name].value

    def _find(self, kind: str, items: list, name: str):
        for item in items:
            if item.name == name:
                return item
        known = ", ".join(i.name for i in items) or "none"
        raise InputError(f"unknown {kind} {name!r}; the catalogue has: {known}", where=self.path or "catalogue")

    def server(self, name: str) -> CpuServer:
        return self._find("CPU server", self.cpu_servers, name)

    def gpu(self, name: str) -> Gpu:
        return self._find("GPU", self.gpus, name)

    def nic(self, name: str) -> Nic:
        return self._find("NIC", self.nics, name)

    def disk(self, name: str) -> Disk:
        return self._find("disk", self.disks, name)

    def raid(self, name: str) -> RaidLevel:
        return self._find("RAID level", self.raid_levels, name)

    def enclosure(self, name: str) -> Enclosure:
        return self._find("enclosure", self.enclosures, name)

    def storage_server(self, name: str) -> StorageServer:
        return self._find("storage server", self.storage_servers, name)

    def switch(self, name: str) -> Switch:
        return self._find("switch", self.switches, name)

    def site_uplink(self, name: str) -> Link:
        return self._find("site uplink", self.site_uplinks, name)

    def wan_link(self, name: str) -> Link:
        return self._find("WAN link", self.wan_links, name)

    def egress_link(self, name: str) -> Link:
        return self._find("egress link", self.egress_links, name)


def load_catalogue(path: str | Path | None = None) -> Catalogue:
    path = Path(path) if path is not None else DEFAULT_CATALOGUE
    if not path.is_file():
        raise InputError("no such hardware catalogue", where=str(path))
    try:
        data = yaml.safe_load(path.read_text())
    except yaml.YAMLError as e:
        raise InputError(f"not valid YAML: {e}", where=str(path)) from None
    if not isinstance(data, dict) or data.get("schema_version") != CATALOGUE_SCHEMA_VERSION:
        version = data.get("schema_version") if isinstance(data, dict) else None
        raise InputError(f"catalogue schema_version is {version!r}; this tilikbench reads "
                         f"{CATALOGUE_SCHEMA_VERSION}", where=str(path))
    try:
        cat = Catalogue.model_validate(data)
    except ValidationError as e:
        first = e.errors()[0]
        loc = ".".join(str(p) for p in first["loc"])
        raise InputError(f"invalid catalogue at {loc}: {first['msg']}", where=str(path)) from None
    cat.path = str(path)
    return cat


@functools.lru_cache(maxsize=8)
def cached_catalogue(path: str | None = None) -> Catalogue:
    """The catalogue at ``path`` (default: the shipped one), read once per process; do not modify it."""
    return load_catalogue(path)


@dataclass(frozen=True)
class HardwareSet:
    """A resolved hardware set: every name looked up in the catalogue."""

    ingest_server: CpuServer
    ingest_count: int
    gpu: Gpu | None
    gpus_per_server: int
    detector_cores: int           # CPU detection: cores per server running detector workers
    portal_server: CpuServer
    portal_count: int
    nic: Nic
    disk: Disk
    catalogue: Catalogue
    decode: tuple[tuple[str, str], ...] = ()     # (camera class, decode placement); others: cpu_all

    @property
    def placement(self) -> dict[str, str]:
        return dict(self.decode)

    @classmethod
    def resolve(cls, spec: HardwareSetSpec, catalogue: Catalogue) -> "HardwareSet":
        server = catalogue.server(spec.ingest.server)
        gpu = catalogue.gpu(spec.ingest.gpu) if spec.ingest.gpu else None
        if gpu is not None and spec.ingest.gpus_per_server > server.max_gpus:
            raise InputError(f"{server.name} holds at most {server.max_gpus} GPUs, "
                             f"asked for {spec.ingest.gpus_per_server}", where="simulation.hardware.ingest")
        det_cores = 0
        if gpu is None:
            det_cores = spec.ingest.detector_cores or max(1, server.cores // 2)
            if det_cores >= server.cores and server.cores > 1:
                raise InputError(f"detector_cores {det_cores} leaves no core to decode on {server.name} "
                                 f"({server.cores} cores)", where="simulation.hardware.ingest")
        if gpu is None and "gpu" in spec.decode.values():
            on_gpu = sorted(k for k, m in spec.decode.items() if m == "gpu")
            raise InputError(f"classes {', '.join(on_gpu)} decode on GPUs but the ingest tier has none",
                             where="simulation.hardware.decode")
        return cls(server, spec.ingest.count, gpu, spec.ingest.gpus_per_server if gpu else 0,
                   det_cores, catalogue.server(spec.portal.server), spec.portal.count,
                   catalogue.nic(spec.nic), catalogue.disk(spec.disk), catalogue, tuple(sorted(spec.decode.items())))

    @property
    def decode_cores(self) -> int:
        return max(1, self.ingest_server.cores - self.detector_cores)

    @property
    def detector_workers(self) -> int:
        return self.gpus_per_server if self.gpu else self.detector_cores

    def spec(self) -> HardwareSetSpec:
        return HardwareSetSpec.model_validate({
            "ingest": {"server": self.ingest_server.name, "count": self.ingest_count,
                       "gpu": self.gpu.name if self.gpu else None, "gpus_per_server": self.gpus_per_server,
                       "detector_cores": self.detector_cores or None},
            "portal": {"server": self.portal_server.name, "count": self.portal_count},
            "nic": self.nic.name, "disk": self.disk.name, "decode": dict(self.decode)})

    def describe(self) -> str:
        det = (f"{self.gpus_per_server}x {self.gpu.name}" if self.gpu
               else f"CPU detection on {self.detector_cores} cores")
        return (f"{self.ingest_count}x {self.ingest_server.name} ({det}), {self.portal_count}x "
                f"{self.portal_server.name} portal, {self.nic.name}")


def local_spec() -> HardwareSetSpec:
    """This machine as the catalogue names it (the calibrating server, one of each tier)."""
    return HardwareSetSpec.model_validate({"ingest": {"server": LOCAL_SERVER}, "portal": {"server": LOCAL_SERVER},
                                           "nic": LOCAL_NIC, "disk": LOCAL_DISK})


def cpu_budget_set(stack_cores: float, workers: int, decode_cores_needed: float,
                   catalogue: Catalogue | None = None) -> HardwareSet:
    """A machine of ``stack_cores`` cores (a run's CPU budget) as the stack had it: ``workers`` detector workers
    (the stack's worker processes, at most one per core) sharing the cores with decoding. Decoding runs in
    reader threads on the same cores, so the detectors get what decoding leaves: each of the ``workers + 1``
    simulated cores (one for decode) runs at ``(stack_cores - decode) / workers`` of a calibrating core."""
    cat = catalogue if catalogue is not None else load_catalogue()
    speed = max(stack_cores - decode_cores_needed, 0.05 * stack_cores) / workers
    server = CpuServer(name="local-run", cores=workers + 1, speed=max(speed, 0.01), price_usd=0,
                       note="this machine as the run measured it")
    cat = cat.model_copy(update={"cpu_servers": [*cat.cpu_servers, server]})
    spec = HardwareSetSpec.model_validate({
        "ingest": {"server": "local-run", "count": 1, "detector_cores": workers},
        "portal": {"server": "local-run", "count": 1}, "nic": LOCAL_NIC, "disk": LOCAL_DISK})
    return HardwareSet.resolve(spec, cat)
