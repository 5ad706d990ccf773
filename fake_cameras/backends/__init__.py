"""Media-server backends behind one small interface (``base.MediaBackend``): ``embedded`` and ``mediamtx``."""
from __future__ import annotations

from pathlib import Path

from common.procs import ProcessSet
from fake_cameras.backends.base import MediaBackend, ServedCamera, fetch_paths


def make_backend(name: str, *, host: str, ports: dict[str, int], procs: ProcessSet, work_dir: Path,
                 max_threads: int = 64, cache_dir: Path = Path("cache")) -> MediaBackend:
    """The backend named in the scenario (``embedded`` or ``mediamtx``)."""
    if name == "embedded":
        from fake_cameras.backends.embedded import EmbeddedBackend
        return EmbeddedBackend(host=host, ports=ports, procs=procs, work_dir=work_dir, max_threads=max_threads)
    if name == "mediamtx":
        from fake_cameras.backends.mediamtx import MediaMTXBackend
        return MediaMTXBackend(host=host, ports=ports, procs=procs, work_dir=work_dir, cache_dir=cache_dir)
    raise ValueError(f"unknown backend {name!r}")


__all__ = ["MediaBackend", "ServedCamera", "fetch_paths", "make_backend"]
