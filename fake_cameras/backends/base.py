"""What every media-server backend offers: serve cameras at ``rtsp://HOST:PORT/<id>``, report their
status in MediaMTX's ``/v3/paths/list`` item shape, and take impairment states per camera."""
from __future__ import annotations

import json
import logging
import urllib.error
import urllib.request
from abc import ABC, abstractmethod
from dataclasses import dataclass
from pathlib import Path

from common.errors import ResourceError
from common.procs import ProcessSet

log = logging.getLogger(__name__)

CAMERA_STATES = ("online", "offline", "freeze", "spike")


@dataclass(frozen=True)
class ServedCamera:
    """One camera as a backend sees it: an id, the clip it loops, and whether it starts online."""

    id: str
    clip: Path
    codec: str
    fps: float
    online: bool = True


class MediaBackend(ABC):
    name: str = "?"

    def __init__(self, *, host: str, ports: dict[str, int], procs: ProcessSet, work_dir: Path):
        self.host = host
        self.ports = dict(ports)
        self.procs = procs
        self.work_dir = Path(work_dir)

    @property
    def rtsp_port(self) -> int:
        return self.ports["rtsp"]

    @property
    def api_url(self) -> str:
        return f"http://{self.host}:{self.ports['api']}"

    def url(self, camera_id: str) -> str:
        return f"rtsp://{self.host}:{self.rtsp_port}/{camera_id}"

    def preflight(self) -> None:
        """Cheap checks (ports, binaries) that must fail before footage is prepared or anything starts."""

    @abstractmethod
    def start(self, cameras: list[ServedCamera], timeout: float = 30.0) -> None:
        """Start serving; raise ResourceError/UnavailableError/InputError before leaving anything running."""

    @abstractmethod
    def stop(self) -> None:
        """Stop every process this backend started (by PID)."""

    @abstractmethod
    def set_state(self, camera_id: str, state: str, factor: float = 1.0) -> None:
        """Apply an impairment state: online | offline | freeze | spike (bitrate times ``factor``)."""

    @abstractmethod
    def running(self) -> bool:
        """Whether the serving processes are alive."""

    def paths(self, items_per_page: int = 500) -> list[dict]:
        return fetch_paths(self.api_url, items_per_page)


def fetch_paths(api_url: str, items_per_page: int = 500, timeout: float = 5.0) -> list[dict]:
    """Every item of a ``/v3/paths/list`` control API, following its pages."""
    items: list[dict] = []
    page = 0
    while True:
        url = f"{api_url}/v3/paths/list?page={page}&itemsPerPage={items_per_page}"
        body = get_json(url, timeout)
        items += body.get("items") or []
        page += 1
        if page >= int(body.get("pageCount", 1)):
            return items


def get_json(url: str, timeout: float = 5.0, data: dict | None = None) -> dict:
    req = urllib.request.Request(url, data=None if data is None else json.dumps(data).encode(),
                                 method="GET" if data is None else "POST",
                                 headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return json.loads(r.read() or b"{}")
    except (urllib.error.URLError, OSError, ValueError) as e:
        raise ResourceError(f"control API did not answer: {e}", where=url) from None


def readers_count(item: dict) -> int:
    r = item.get("readers")
    return len(r) if isinstance(r, list) else int(r or 0)
