"""How a step's cameras reach an external system: a manifest, a rendered config file, or a command.

- ``manifest``: the runner writes the step's camera manifest (JSON) to a file and serves the same bytes
  over HTTP on a free loopback port; the system reads either (it is told where through its own config or
  command line, with the template variables ``manifest_path`` / ``manifest_url``).
- ``config_file``: the user's Jinja2 template rendered with the step's cameras, written atomically, then
  the reload command (if any) is run.
- ``command``: the user's command, rendered with the step's cameras, run to completion (exit 0).
"""
from __future__ import annotations

import json
import logging
import os
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from benchmarks.external import templates
from benchmarks.external.config import (
    CommandDelivery,
    ConfigFileDelivery,
    ManifestDelivery,
)
from common.errors import ResourceError

log = logging.getLogger(__name__)

MANIFEST_SCHEMA_VERSION = 1


def manifest(variables: dict[str, Any]) -> dict[str, Any]:
    """The camera manifest of a step: what the fleet serves and the step's analytic rate."""
    return {"schema_version": MANIFEST_SCHEMA_VERSION, "step": variables["step"],
            "sampling_fps": variables["sampling_fps"], "cameras": variables["cameras"]}


class ManifestServer:
    """Serves the current manifest at every path over HTTP (loopback, a free port), in a thread."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        self._body = b"{}"
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                body = owner._body
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                log.debug("manifest: " + format, *args)

        self.httpd = ThreadingHTTPServer((host, 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://{host}:{self.httpd.server_address[1]}/cameras.json"
        self._thread = threading.Thread(target=self.httpd.serve_forever, name="manifest-server", daemon=True)
        self._thread.start()

    def publish(self, body: bytes) -> None:
        self._body = body

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self._thread.join(timeout=5)


def run_command(argv: list[str], *, where: str, timeout: float, cwd: str | None, env: dict[str, str]) -> None:
    """Run one of the scenario's commands to completion; a failure names the command and its output."""
    try:
        p = subprocess.run(argv, cwd=cwd, env={**os.environ, **env}, capture_output=True, text=True,
                           timeout=timeout, check=False)
    except FileNotFoundError:
        raise ResourceError(f"command not found: {argv[0]}", where=where) from None
    except subprocess.TimeoutExpired:
        raise ResourceError(f"`{' '.join(argv)}` did not finish in {timeout:g} s", where=where) from None
    if p.returncode != 0:
        tail = (p.stderr or p.stdout).strip()[-600:]
        raise ResourceError(f"`{' '.join(argv)}` exited with {p.returncode}: {tail}", where=where)


def _write_atomic(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


class CameraDelivery:
    """Gives the system a step's cameras the way the scenario says. ``variables`` are the template
    variables of the step (see ``benchmarks.runner.external_component``)."""

    def __init__(self, config: ManifestDelivery | ConfigFileDelivery | CommandDelivery, workdir: Path,
                 *, cwd: str | None = None, env: dict[str, str] | None = None) -> None:
        self.config = config
        self.cwd = cwd
        self.env = env or {}
        self.server: ManifestServer | None = None
        self.path: Path | None = None
        if isinstance(config, ManifestDelivery):
            self.path = Path(config.path) if config.path else workdir / "cameras.json"
            if config.serve:
                self.server = ManifestServer()
        elif isinstance(config, ConfigFileDelivery):
            name = Path(config.template).name
            self.path = Path(config.path) if config.path else workdir / (name.removesuffix(".j2"))

    def variables(self) -> dict[str, Any]:
        """What templates may use about the delivery itself (before any step)."""
        return {"manifest_url": self.server.url if self.server else None,
                "manifest_path": str(self.path) if isinstance(self.config, ManifestDelivery) else None,
                "config_path": str(self.path) if isinstance(self.config, ConfigFileDelivery) else None}

    def deliver(self, variables: dict[str, Any], template_path: Path | None = None) -> None:
        c = self.config
        if isinstance(c, ManifestDelivery):
            body = json.dumps(manifest(variables), indent=1)
            assert self.path is not None
            _write_atomic(self.path, body)
            if self.server is not None:
                self.server.publish(body.encode())
        elif isinstance(c, ConfigFileDelivery):
            assert self.path is not None and template_path is not None
            _write_atomic(self.path, templates.render_file(template_path, variables,
                                                           where="stack.cameras_via.template"))
            if c.reload:
                argv = templates.command(c.reload, variables, where="stack.cameras_via.reload")
                run_command(argv, where="stack.cameras_via.reload", timeout=c.timeout_s, cwd=self.cwd, env=self.env)
        else:
            argv = templates.command(c.command, variables, where="stack.cameras_via.command")
            run_command(argv, where="stack.cameras_via.command", timeout=c.timeout_s, cwd=self.cwd, env=self.env)

    def close(self) -> None:
        if self.server is not None:
            self.server.close()
            self.server = None
