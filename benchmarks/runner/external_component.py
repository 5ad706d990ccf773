"""An external system under test as a run component (the scenario's ``stack: {type: external}``).

It takes the built-in stack's place in a run, under the same name (``stack``), so that its metrics carry
the same names (``benchmarks.external.metrics``) and the knee search, the model check, the calibration and
the report read it unchanged. Per step it gives the system the first N cameras of the fleet
(``benchmarks.external.delivery``) and waits until each shows frames in the health data (at most
``settle_timeout_s``); per trial it scrapes the health sources at the start and at the end.

Ownership: an ``owned`` system is started here with its command (stdout and stderr to
``<run>/external/system.log``), its process tree measured by PID and stopped at the end (its stop command,
then by PID); an ``observed`` one is only read, its PID tree measured when its PID is given. Every URL the
runner reads must be on loopback unless the run states it owns the target (``--i-own-this-target``).
"""
from __future__ import annotations

import logging
import os
import subprocess
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import psutil

from benchmarks.external import templates
from benchmarks.external.config import (
    CommandDelivery,
    ConfigFileDelivery,
    ExternalStackConfig,
    ObservedProcess,
    OwnedProcess,
)
from benchmarks.external.delivery import CameraDelivery, run_command
from benchmarks.external.health import EndpointError, HealthReader, HealthSnapshot
from benchmarks.external.metrics import (
    host_stack_cores,
    trial_metrics,
    unreachable_metrics,
)
from benchmarks.runconfig import StepLoad
from benchmarks.runner.components import Component
from benchmarks.runner.context import RunContext
from benchmarks.runner.fleet_component import FleetComponent
from common.errors import InputError, ResourceError
from common.netguard import free_port, is_loopback_host
from common.procs import stop_pid

log = logging.getLogger(__name__)


def available() -> tuple[bool, str]:
    try:
        import prometheus_client  # noqa: F401
    except ImportError as e:
        return False, f"prometheus_client cannot be imported ({e})"
    return True, ""


def camera_record(info) -> dict[str, Any]:
    """What templates and the manifest say about one camera (``fake_cameras.fleet.CameraInfo``)."""
    p = info.profile
    return {"id": info.id, "url": info.url, "camera_class": info.camera_class, "group": info.group,
            "fps": float(p.fps), "width": p.width, "height": p.height, "codec": p.codec,
            "bitrate_kbps": p.bitrate_kbps}


def _resolve(path: str) -> Path:
    from analytics.config import resolve_path
    return resolve_path(path)


class ExternalComponent(Component):
    name = "stack"

    def __init__(self, scenario, options, others: list[Component]) -> None:
        super().__init__()
        self.config: ExternalStackConfig = scenario.stack
        self.fleet: FleetComponent | None = next((c for c in others if isinstance(c, FleetComponent)), None)
        self.i_own_target = bool(options.i_own_target)
        self.ports: dict[str, int] = {}
        self.delivery: CameraDelivery | None = None
        self.reader: HealthReader | None = None
        self.proc: subprocess.Popen | None = None
        self._proc_ctime: float | None = None
        self._observed_pid: int | None = None
        self.run_dir = Path(".")
        self.current: tuple[int, float] | None = None
        self.load: StepLoad | None = None
        self.online: list[str] = []
        self._fps: dict[str, float] = {}
        self._s0: HealthSnapshot | None = None
        self._checked = False
        self._history: list[tuple[StepLoad, dict[str, Any]]] = []
        self._preflight(scenario)

    # -------------------------------------------------------------- variables, preflight
    @property
    def _template(self) -> Path | None:
        c = self.config.cameras_via
        return _resolve(c.template) if isinstance(c, ConfigFileDelivery) else None

    def _variables(self, cameras: list[dict], load: StepLoad | None, delivery: dict[str, Any]) -> dict[str, Any]:
        return {"cameras": cameras, "step": ({**load.as_dict(), "index": load.index} if load else None),
                "sampling_fps": load.sampling_fps if load else None, "ports": dict(self.ports),
                "run_dir": str(self.run_dir), "pid": self.pid, **delivery}

    @property
    def pid(self) -> int | None:
        if self.proc is not None:
            return self.proc.pid
        return self._observed_pid

    def _preflight(self, scenario) -> None:
        """Render every template, command and URL with the scenario's cameras before anything starts, and
        check the URLs against the ownership rule: a scenario that cannot run fails here, writing nothing."""
        from fake_cameras.fleet import Fleet
        cams = [camera_record(c) for c in Fleet(scenario.cameras, seed=scenario.seed).cameras]
        self.ports = {name: 0 for name in self.config.ports}
        c = self.config.cameras_via
        delivery = {"manifest_url": "http://127.0.0.1:0/cameras.json", "manifest_path": "cameras.json",
                    "config_path": "config"}
        step = StepLoad(0, len(cams), 1.0, 0)
        v = self._variables(cams, step, delivery)
        if isinstance(c, ConfigFileDelivery):
            assert self._template is not None
            templates.render_file(self._template, v, where="stack.cameras_via.template")
            if c.reload:
                templates.command(c.reload, v, where="stack.cameras_via.reload")
        elif c.type == "command":
            templates.command(c.command, v, where="stack.cameras_via.command")
        p = self.config.process
        if isinstance(p, OwnedProcess):
            templates.command(p.start, v, where="stack.process.start")
            if p.stop:
                templates.command(p.stop, v, where="stack.process.stop")
        self._urls(v)

    def _urls(self, variables: dict[str, Any]) -> dict[str, str]:
        h = self.config.health
        out = {}
        for where, src in [(HealthReader.prometheus_where(i), s) for i, s in enumerate(h.prometheus)] + \
                          [(HealthReader.json_where(i), s) for i, s in enumerate(h.json_api)]:
            url = templates.render(src.url, variables, name=f"{where}.url", where=f"{where}.url")
            host = urlsplit(url).hostname or ""
            if not host:
                raise InputError(f"no host in {url!r}", where=f"{where}.url")
            if not is_loopback_host(host) and not self.i_own_target:
                raise InputError(f"refusing to contact non-loopback host {host!r}: the runner reads only loopback "
                                 "endpoints unless you state that you own the system (--i-own-this-target)",
                                 where=f"{where}.url")
            out[f"{where}.url"] = url
        return out

    # -------------------------------------------------------------- lifecycle
    def _start(self, ctx: RunContext, peak: StepLoad) -> None:
        if self.fleet is None:
            raise RuntimeError("the external system needs the camera fleet in the run")
        self.run_dir = ctx.run_dir
        workdir = ctx.run_dir / "external"
        workdir.mkdir(parents=True, exist_ok=True)
        self.ports = {name: free_port() for name in self.config.ports}
        p = self.config.process
        cwd, env = (p.cwd, p.env) if isinstance(p, OwnedProcess) else (None, {})
        self.delivery = CameraDelivery(self.config.cameras_via, workdir, cwd=cwd, env=env)
        aliases = {}
        for info in self.fleet.cameras:
            aliases[info.id] = info.id
            aliases[info.url] = info.id
        self._fps = {info.id: float(info.profile.fps) for info in self.fleet.cameras}
        if isinstance(p, ObservedProcess):
            self._observed_pid = self._read_pid(p)
        v = self._variables([], None, self.delivery.variables())
        self.reader = HealthReader(self.config.health, self._urls(v), aliases, clock=ctx.clock)
        if isinstance(p, OwnedProcess) and not p.restart_on_step:
            self._launch(v, ctx)
        elif isinstance(p, ObservedProcess):
            self._wait_reachable(self.config.health.timeout_s * 2, ctx)

    @staticmethod
    def _read_pid(p: ObservedProcess) -> int | None:
        if p.pid_file is None:
            pid = p.pid
        else:
            try:
                pid = int(Path(p.pid_file).read_text().split()[0])
            except (OSError, ValueError, IndexError) as e:
                raise InputError(f"cannot read a PID from {p.pid_file} ({e})", where="stack.process.pid_file") from None
        if pid is not None and not psutil.pid_exists(pid):
            raise ResourceError(f"no process {pid} on this host: is the system running?", where="stack.process")
        return pid

    def _launch(self, variables: dict[str, Any], ctx: RunContext) -> None:
        p = self.config.process
        assert isinstance(p, OwnedProcess)
        argv = templates.command(p.start, variables, where="stack.process.start")
        try:
            with open(self.run_dir / "external" / "system.log", "ab") as out:    # the child keeps its own copy
                self.proc = subprocess.Popen(argv, cwd=p.cwd, env={**os.environ, **p.env}, stdout=out,
                                             stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
        except FileNotFoundError:
            raise ResourceError(f"command not found: {argv[0]}", where="stack.process.start") from None
        try:
            self._proc_ctime = psutil.Process(self.proc.pid).create_time()
        except psutil.Error:
            self._proc_ctime = None
        log.info("external system %s started, pid %d", self.config.name, self.proc.pid)
        self._wait_reachable(p.ready_timeout_s, ctx)

    def _log_tail(self) -> str:
        try:
            return (self.run_dir / "external" / "system.log").read_text(errors="replace").strip()[-800:]
        except OSError:
            return ""

    def _wait_reachable(self, timeout: float, ctx: RunContext) -> None:
        assert self.reader is not None
        deadline = time.monotonic() + timeout
        while True:
            if self.proc is not None and self.proc.poll() is not None:
                raise ResourceError(f"the system exited with {self.proc.returncode} before its health endpoints "
                                    f"answered; its log ends: {self._log_tail()}", where="stack.process.start")
            try:
                self.reader.scrape()
                return
            except EndpointError as e:
                if time.monotonic() >= deadline or ctx.stop.is_set():
                    raise EndpointError(f"{e.message} (waited {timeout:g} s)", where=e.where) from None
            time.sleep(0.25)

    def apply(self, load: StepLoad, ctx: RunContext) -> None:
        self.load = load
        key = (load.cameras, load.sampling_fps)
        if key == self.current:
            return
        assert self.delivery is not None and self.reader is not None and self.fleet is not None
        infos = self.fleet.cameras[:load.cameras]
        self.online = [c.id for c in infos]
        v = self._variables([camera_record(c) for c in infos], load, self.delivery.variables())
        p = self.config.process
        if isinstance(p, OwnedProcess) and p.restart_on_step:
            self._terminate()
            by_command = isinstance(self.config.cameras_via, CommandDelivery)   # an API call needs it up
            if not by_command:                                                  # a file it reads at start
                self.delivery.deliver(v, self._template)
            self._launch(v, ctx)
            if by_command:
                self.delivery.deliver(self._variables(v["cameras"], load, self.delivery.variables()), self._template)
        else:
            self.delivery.deliver(v, self._template)
        if not self._checked:
            self._settle(ctx)
            self.reader.check_mapped()
            self._checked = True
        else:
            self._settle(ctx)
        self.current = key

    def _frames(self, snap: HealthSnapshot, cam: str) -> float | None:
        vals = snap.cameras.get(cam, {})
        for q in ("decoded_frames", "analysed_frames"):
            if q in vals:
                return vals[q]
        return None

    def _settle(self, ctx: RunContext) -> None:
        """Wait until every online camera shows frames (counters grow, or an fps gauge above 0)."""
        assert self.reader is not None
        deadline = time.monotonic() + self.config.settle_timeout_s
        first: HealthSnapshot | None = None
        waiting = set(self.online)
        while waiting and time.monotonic() < deadline and not ctx.stop.is_set():
            try:
                snap = self.reader.scrape()
            except EndpointError:
                time.sleep(0.5)
                continue
            first = first or snap
            for cam in list(waiting):
                f0, f1 = self._frames(first, cam), self._frames(snap, cam)
                if (f1 is not None and f1 > 0 and f1 != f0 and snap is not first) or \
                        snap.cameras.get(cam, {}).get("fps", 0.0) > 0:
                    waiting.discard(cam)
            if waiting:
                time.sleep(0.5)
        if waiting:
            log.warning("%s: no frames yet from %d camera(s) after %.0f s: %s", self.config.name, len(waiting),
                        self.config.settle_timeout_s, ", ".join(sorted(waiting)))

    def pids(self) -> list[int]:
        pid = self.pid
        return [pid] if pid is not None and psutil.pid_exists(pid) else []

    def measured_by_pid(self) -> bool:
        return self.pid is not None

    def begin_trial(self, ctx: RunContext) -> None:
        assert self.reader is not None
        try:
            self._s0 = self.reader.scrape()
        except EndpointError as e:
            log.warning("health not readable at the trial's start: %s", e)
            self._s0 = None

    def measure(self, ctx: RunContext, duration_s: float) -> dict[str, Any]:
        assert self.reader is not None
        try:
            s1: HealthSnapshot | None = self.reader.scrape()
        except EndpointError as e:
            log.warning("health not readable at the trial's end: %s", e)
            s1 = None
        if self._s0 is None or s1 is None:
            out = unreachable_metrics(self.online)
        else:
            fps = self.load.sampling_fps if self.load else 1.0
            expected = {c: (fps if self.config.expected_fps == "sampling_fps" else self._fps.get(c, fps))
                        for c in self.online}
            out = trial_metrics(self._s0, s1, self.online, expected, measured_by_pid=self.measured_by_pid())
        if self.load is not None:
            self._history.append((self.load, out))
        return out

    def measured_costs(self) -> dict[str, Any]:
        """For a system on another host (``host_cores``): the cores it had per step, that host's cores less
        its other work (host CPU minus the system's own), for the model check."""
        if self.config.host_cores is None or not self._history:
            return {}
        return {"stack_cores": host_stack_cores(self._history, self.config.host_cores),
                "machine_cores": self.config.host_cores}

    def _terminate(self) -> None:
        if self.proc is None:
            return
        p = self.config.process
        if isinstance(p, OwnedProcess) and p.stop and self.proc.poll() is None:
            v = self._variables([], self.load, self.delivery.variables() if self.delivery else {})
            try:
                run_command(templates.command(p.stop, v, where="stack.process.stop"), where="stack.process.stop",
                            timeout=30.0, cwd=p.cwd, env=p.env)
                self.proc.wait(timeout=10)
            except (ResourceError, subprocess.TimeoutExpired) as e:
                log.warning("stop command did not stop the system (%s); stopping it by PID", e)
        if self.proc.poll() is None:
            stop_pid(self.proc.pid, self._proc_ctime)
        self.proc.wait()
        self.proc = None

    def _stop(self) -> None:
        self._terminate()
        if self.delivery is not None:
            self.delivery.close()
            self.delivery = None
