"""The camera fleet: the cameras a scenario declares, their clips, one media server, impairments.

    with Fleet(config, seed=0, shard=(0, 1)) as fleet:
        fleet.start(timeout=60)
        for cam in fleet.cameras: print(cam.url)

Every child process is owned by a ``ProcessSet`` whose state file lives in ``state_dir``, and the
fleet writes ``state_dir/cameras.json`` (owner PID, URLs, API), so that ``tilikbench cameras down``
in another process stops exactly what ``cameras up`` started.
"""
from __future__ import annotations

import hashlib
import json
import logging
import os
from dataclasses import dataclass, replace
from pathlib import Path

import psutil

from common.atomic import write_text_atomic
from common.errors import InputError, ResourceError
from common.manifest import MANIFEST_FILE, CameraManifest, ManifestCamera, write_manifest
from common.procs import ProcessSet, stop_pid, stop_recorded
from common.profiles import CameraProfile, get_profile
from fake_cameras.backends import MediaBackend, ServedCamera, make_backend
from fake_cameras.config import CameraClass, FleetConfig
from fake_cameras.impairments import Schedule, Scheduler

log = logging.getLogger(__name__)

INFO_FILE = "cameras.json"
PROCS_FILE = "cameras-procs.json"


@dataclass(frozen=True)
class CameraInfo:
    id: str
    url: str
    camera_class: str
    group: str
    kecamatan: str | None
    profile: CameraProfile
    ground_truth: Path | None
    online: bool = True
    clip: Path | None = None            # the served clip, known once the clips are prepared
    clip_frames: int | None = None      # frames of one loop of the clip
    site: str | None = None             # the NVR site serving it (cameras.sites), with its sub stream:
    sub_url: str | None = None


def in_shard(camera_id: str, index: int, shard: tuple[int, int], method: str = "hash") -> bool:
    """Whether a camera belongs to shard ``k`` of ``n``: by a stable hash of its id, or round-robin."""
    k, n = shard
    if n == 1:
        return True
    if method == "round_robin":
        return index % n == k
    return int(hashlib.sha1(camera_id.encode()).hexdigest()[:12], 16) % n == k


class Fleet:
    def __init__(self, config: FleetConfig, *, seed: int = 0, cache_dir: Path = Path("cache"),
                 shard: tuple[int, int] | None = None, state_dir: Path = Path(".state")):
        self.config = config
        self.seed = seed
        self.cache_dir = Path(cache_dir)
        self.shard = shard if shard is not None else (config.shard.index, config.shard.count)
        k, n = self.shard
        if not (n >= 1 and 0 <= k < n):
            raise InputError(f"shard {k}/{n}: need 0 <= K < N", where="--shard")
        self.state_dir = Path(state_dir)
        self.procs = ProcessSet(state_file=self.state_dir / PROCS_FILE)
        self.backend: MediaBackend | None = None
        self.scheduler: Scheduler | None = None
        self._cameras: list[CameraInfo] = []
        self._served: list[ServedCamera] = []
        self._plan = self._make_plan()
        self._owns_state = False      # True once this fleet has claimed state_dir
        self.sites = None             # fake_cameras.nvr_sites.SiteServing while NVR sites are served

    # ---------- what this shard serves ----------
    def _make_plan(self) -> list[tuple[CameraClass, int, str]]:
        plan, gi = [], 0
        for cls in self.config.classes:
            for i, cam_id in enumerate(cls.camera_ids()):
                if in_shard(cam_id, gi, self.shard, self.config.shard.method):
                    plan.append((cls, i, cam_id))
                gi += 1
        return plan

    @property
    def public_host(self) -> str:
        """The address clients use: ``advertise_host`` when set, else the bind address."""
        return self.config.advertise_host or self.config.host

    @property
    def api_url(self) -> str:
        return f"http://{self.public_host}:{self.config.api_port}"

    def url(self, camera_id: str) -> str:
        if self.sites is not None and camera_id in self.sites.site_of and self.sites.endpoints:
            return self.sites.url(camera_id)
        return f"rtsp://{self.public_host}:{self.config.rtsp_port}/{camera_id}"

    @property
    def cameras(self) -> list[CameraInfo]:
        if self._cameras:
            return list(self._cameras)
        return [self._info(cls, i, cid, None) for cls, i, cid in self._plan]

    def _info(self, cls: CameraClass, i: int, cam_id: str, gt: Path | None) -> CameraInfo:
        kec = cls.kecamatan[i % len(cls.kecamatan)] if cls.kecamatan else None
        online = i < round(cls.count * cls.online_share)
        return self._info_of(
            CameraInfo(cam_id, self.url(cam_id), cls.name, cls.group, kec, cls.resolved_profile(), gt, online))

    def _prepare_clips(self) -> None:
        """Generate or normalise every clip this shard needs (cached), before any process starts."""
        from fake_cameras.footage import generate_clip, normalise_recorded
        clips: dict[tuple, object] = {}
        cams, served = [], []
        for ci, cls in enumerate(self.config.classes):
            sources = [("gen", k) for k in range(cls.footage.variants)]
            sources += [("rec", p) for p in cls.footage.recorded]
            profile = cls.resolved_profile()
            for c2, i, cam_id in self._plan:
                if c2 is not cls:
                    continue
                src = sources[i % len(sources)]
                key = (ci, src)
                if key not in clips:
                    clips[key] = self._make_clip(ci, cls, src, profile, generate_clip, normalise_recorded)
                clip = clips[key]
                info = replace(self._info(cls, i, cam_id, clip.ground_truth), clip=Path(clip.path),
                               clip_frames=int(clip.frames))
                cams.append(info)
                served.append(ServedCamera(cam_id, Path(clip.path), profile.codec, float(profile.fps), info.online))
                if self.sites is not None:      # an NVR channel's sub stream: the same scene, smaller
                    sub = get_profile(self.config.sites.sub_profile)
                    if (ci, src, "sub") not in clips:
                        clips[(ci, src, "sub")] = self._make_clip(ci, cls, src, sub, generate_clip,
                                                                  normalise_recorded)
                    served.append(ServedCamera(cam_id + ".sub", Path(clips[(ci, src, "sub")].path), sub.codec,
                                               float(sub.fps), info.online))
        self._cameras, self._served = cams, served

    def _info_of(self, info: CameraInfo) -> CameraInfo:
        """``info`` with its NVR site's URLs (once the sites have their endpoints)."""
        if self.sites is None or info.id not in self.sites.site_of or not self.sites.endpoints:
            return info
        return replace(info, url=self.sites.url(info.id), site=self.sites.site_of[info.id].id,
                       sub_url=self.sites.url(info.id, sub=True))

    def _make_clip(self, ci, cls, src, profile, generate_clip, normalise_recorded):
        where = f"cameras.classes[{ci}].footage"
        if src[0] == "gen":
            spec = cls.footage.scene.model_copy(update={"seed": cls.footage.scene.seed + self.seed + src[1]})
            return generate_clip(spec, profile, self.cache_dir)
        path = Path(src[1])
        if not path.is_file():
            raise InputError(f"recorded footage {str(path)!r} does not exist", where=f"{where}.recorded")
        return normalise_recorded(path, profile, self.cache_dir)

    # ---------- lifecycle ----------
    def start(self, timeout: float = 60.0) -> "Fleet":
        if not self._plan:
            raise InputError(f"no cameras in shard {self.shard[0]}/{self.shard[1]}", where="cameras.classes")
        check_no_live_fleet(self.state_dir)
        self._owns_state = True
        self.backend = make_backend(
            self.config.backend, host=self.config.host, procs=self.procs, work_dir=self.state_dir,
            ports={"rtsp": self.config.rtsp_port, "api": self.config.api_port, "hls": self.config.hls_port,
                   "metrics": self.config.metrics_port, "rtp": self.config.rtp_port},
            max_threads=self.config.max_threads, cache_dir=self.cache_dir)
        self.backend.preflight()
        if self.config.sites is not None:
            from fake_cameras.nvr_sites import SiteServing
            self.sites = SiteServing(self.config, {cid for _, _, cid in self._plan}, self.state_dir)
        try:
            self._prepare_clips()
            if self.sites is not None:
                self.backend.sites = self.sites.setup()
                self._cameras = [self._info_of(c) for c in self._cameras]
            self.backend.start(self._served, timeout=timeout)
            self._write_info()
            self.scheduler = Scheduler(Schedule.from_config(self.config, {c.id for c in self._served}),
                                       self._apply_state)
            self.scheduler.start()
            if self.sites is not None:
                self.sites.start_faults(self.backend)
        except BaseException:
            self.stop()
            raise
        return self

    def _apply_state(self, camera_id: str, state: str, factor: float) -> None:
        if self.backend is not None and self.backend.running():
            self.backend.set_state(camera_id, state, factor)

    def set_state(self, camera_id: str, state: str, factor: float = 1.0) -> None:
        """Apply an impairment state now (online | offline | freeze | spike)."""
        if self.backend is None:
            raise ResourceError("fleet is not started", where=self.api_url)
        self.backend.set_state(camera_id, state, factor)

    def _write_info(self) -> None:
        me = psutil.Process()
        info = {"owner_pid": me.pid, "owner_create_time": me.create_time(), "backend": self.config.backend,
                "api_url": self.api_url, "shard": list(self.shard),
                "cameras": [{"id": c.id, "url": c.url, "group": c.group, "online": c.online} for c in self._cameras]}
        write_text_atomic(self.state_dir / INFO_FILE, json.dumps(info, indent=1))
        write_manifest(self.state_dir / MANIFEST_FILE, self.manifest())

    def manifest(self, cameras: list[CameraInfo] | None = None) -> CameraManifest:
        """The camera manifest of this shard (or of ``cameras``): what consumers of the cameras read."""
        infos = self.cameras if cameras is None else cameras
        return CameraManifest(
            cameras=tuple(ManifestCamera(
                id=c.id, url=c.url, camera_class=c.camera_class, group=c.group, profile=c.profile,
                clip=str(c.clip) if c.clip else None, ground_truth=str(c.ground_truth) if c.ground_truth else None,
                clip_frames=c.clip_frames, online=c.online, site=c.site, sub_url=c.sub_url,
                credentials=str(self.sites.credentials.resolve()) if self.sites is not None and c.site else None)
                for c in infos),
            shard=self.shard, api_url=self.api_url,
            extra={"sites": self.sites.describe()} if self.sites is not None else {})

    def stop(self) -> None:
        if not self._owns_state:      # never started here: another fleet's records are not ours to clear
            return
        if self.scheduler is not None:
            self.scheduler.stop()
            self.scheduler = None
        if self.backend is not None:
            self.backend.stop()
        self.procs.stop_all()
        if self.sites is not None:
            self.sites.close()
            self.sites = None
        (self.state_dir / INFO_FILE).unlink(missing_ok=True)
        (self.state_dir / MANIFEST_FILE).unlink(missing_ok=True)
        self._owns_state = False

    def stop_server(self) -> None:
        """Take the media server down (cameras unreachable); ``start_server`` brings it back, same URLs."""
        if self.backend is not None:
            self.backend.stop()

    def start_server(self, timeout: float = 60.0) -> None:
        if self.backend is None:
            raise ResourceError("fleet was never started", where=self.api_url)
        if not self.backend.running():
            self.backend.start(self._served, timeout=timeout)

    def status(self) -> list[dict]:
        """Path items in MediaMTX's ``/v3/paths/list`` shape, for this shard's cameras."""
        if self.backend is None:
            return []
        mine = {c.id for c in self._served}
        return [p for p in self.backend.paths() if p.get("name") in mine]

    def pids(self) -> list[int]:
        return [p.pid for p in self.procs.procs]

    def __enter__(self) -> "Fleet":
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


def read_info(state_dir: Path) -> dict | None:
    path = Path(state_dir) / INFO_FILE
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def _owner_alive(info: dict) -> bool:
    try:
        p = psutil.Process(int(info["owner_pid"]))
        return abs(p.create_time() - float(info["owner_create_time"])) < 0.01
    except (psutil.Error, KeyError, TypeError, ValueError):
        return False


def check_no_live_fleet(state_dir: Path) -> None:
    """Refuse to start a second fleet on one state dir; clean up after one that died."""
    info = read_info(state_dir)
    if info is not None and _owner_alive(info):
        raise ResourceError(f"a fleet is already up (pid {info['owner_pid']}, {info.get('api_url')}); "
                            "run `tilikbench cameras down` first", where=str(Path(state_dir) / INFO_FILE))
    stop_recorded(Path(state_dir) / PROCS_FILE)
    (Path(state_dir) / INFO_FILE).unlink(missing_ok=True)
    (Path(state_dir) / MANIFEST_FILE).unlink(missing_ok=True)


def stop_fleet(state_dir: Path, timeout: float = 10.0) -> int:
    """Stop the fleet recorded in ``state_dir`` (its owner, then every recorded child). Returns how many."""
    state_dir = Path(state_dir)
    n = 0
    info = read_info(state_dir)
    if info is not None and _owner_alive(info) and int(info["owner_pid"]) != os.getpid():
        n += stop_pid(int(info["owner_pid"]), float(info["owner_create_time"]), timeout)
    n += stop_recorded(state_dir / PROCS_FILE, timeout)
    (state_dir / INFO_FILE).unlink(missing_ok=True)
    (state_dir / MANIFEST_FILE).unlink(missing_ok=True)
    return n
