"""Running the portal: ``PortalServer`` starts uvicorn (uvloop + httptools, N worker processes) as an
owned subprocess and stops it by PID; ``python -m analytics.portal.serve CONFIG.json`` is that process.

The config JSON (``{"portal": PortalConfig, "cameras": [camera records]}``) is written by
``PortalServer`` with plain passwords replaced by salted scrypt hashes, so workers never see them.

uvicorn runs with ``BoundedHttpToolsProtocol`` (a bounded request head), ``limit_concurrency``
(connections per worker) and without proxy headers: the client address the login limit counts is
the TCP peer, never an ``X-Forwarded-For`` a client wrote. The token secret is new at every start.
"""
from __future__ import annotations

import json
import logging
import os
import sys
import time
import urllib.request
from pathlib import Path

from analytics.portal.auth import TokenSigner, hash_password
from analytics.portal.config import PortalConfig
from analytics.portal.hls import HlsPackagers, HlsSettings
from analytics.portal.owner import PIDS_FILE, check_no_live_portal, clear_owner, write_owner
from analytics.portal.statedir import claim_state_dir
from common.errors import ResourceError
from common.netguard import check_port_free
from common.procs import ProcessSet
from common.resultmeta import write_json_atomic

log = logging.getLogger(__name__)


def hashed_config(cfg: PortalConfig) -> PortalConfig:
    users = [u.model_copy(update={"password": None, "password_hash": hash_password(u.password)})
             if u.password is not None else u for u in cfg.users]
    return cfg.model_copy(update={"users": users})


class PortalServer:
    """The portal as an owned subprocess. Context manager: leaving it stops the server and its packagers."""

    def __init__(self, cfg: PortalConfig, records: list[dict], *, log_file: Path | None = None,
                 fleet_state_dir: Path | None = None):
        self.cfg = hashed_config(cfg)
        self.records = records
        self.state = Path(cfg.state_dir)
        self.fleet_state_dir = fleet_state_dir     # recorded so that `portal down` stops those cameras too
        self.procs = ProcessSet(state_file=self.state / PIDS_FILE)
        self.log_file = log_file or self.state / "portal.log"

    @property
    def url(self) -> str:
        host = self.cfg.host if ":" not in self.cfg.host else f"[{self.cfg.host}]"
        return f"http://{host}:{self.cfg.port}"

    def _hls(self) -> HlsPackagers:
        return HlsPackagers(self.state / "hls", HlsSettings())

    def start(self, timeout: float = 60.0) -> "PortalServer":
        claim_state_dir(self.state)
        check_no_live_portal(self.state)        # refuses a live one; stops what a killed one left
        check_port_free(self.cfg.host, self.cfg.port, "portal")
        write_owner(self.state, self.url, self.fleet_state_dir)
        TokenSigner.rotate(self.state)
        self._hls().clear()
        for sub in ("metrics", "snap"):
            for f in (self.state / sub).glob("*"):
                f.unlink(missing_ok=True)
        for name in ("logins.db", "logins.db-wal", "logins.db-shm"):
            (self.state / name).unlink(missing_ok=True)
        conf = self.state / "portal-config.json"
        write_json_atomic(conf, {"portal": self.cfg.model_dump(), "cameras": self.records}, mode=0o600)
        env = dict(os.environ, TILIK_PORTAL_CONFIG=str(conf.resolve()))
        self.log_file.parent.mkdir(parents=True, exist_ok=True)
        self.proc = self.procs.start("portal", [sys.executable, "-m", "analytics.portal.serve", str(conf)],
                                     env=env, stdout=open(self.log_file, "ab"), stderr=open(self.log_file, "ab"))
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.proc.alive():
                self.stop()
                raise ResourceError(f"portal exited at start (code {self.proc.popen.returncode}); "
                                    f"see {self.log_file}", where=self.url)
            try:
                with urllib.request.urlopen(self.url + "/health", timeout=2) as r:
                    if r.status == 200:
                        return self
            except OSError:
                pass
            time.sleep(0.2)
        self.stop()
        raise ResourceError(f"portal did not answer /health within {timeout:.0f}s; see {self.log_file}",
                            where=self.url)

    def worker_pids(self) -> list[int]:
        import psutil
        try:
            return [p.pid for p in psutil.Process(self.proc.pid).children(recursive=True)
                    if "ffmpeg" not in p.name()]
        except psutil.Error:
            return []

    def stop(self) -> None:
        self.procs.stop_all()
        self._hls().stop_all()     # packagers a worker left behind, by their recorded PIDs
        clear_owner(self.state)

    def __enter__(self) -> "PortalServer":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def main(argv: list[str] | None = None) -> int:
    import uvicorn
    argv = sys.argv[1:] if argv is None else argv
    conf = Path(argv[0])
    os.environ["TILIK_PORTAL_CONFIG"] = str(conf.resolve())
    cfg = PortalConfig.model_validate(json.loads(conf.read_text())["portal"])
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    uvicorn.run("analytics.portal.app:app_from_env", factory=True, host=cfg.host, port=cfg.port,
                workers=cfg.workers, loop="uvloop", http="analytics.portal.limits:BoundedHttpToolsProtocol",
                log_level="warning", access_log=False, lifespan="on", timeout_graceful_shutdown=3,
                proxy_headers=False, forwarded_allow_ips="", server_header=False,
                limit_concurrency=cfg.max_connections)
    return 0


if __name__ == "__main__":
    sys.exit(main())
