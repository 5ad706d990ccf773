"""Where traffic may go: loopback, unless the user states they own the target."""
from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

from common.errors import InputError, ResourceError


def is_loopback_host(host: str) -> bool:
    host = host.strip("[]")
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_target(url: str, *, i_own_it: bool = False) -> str:
    """Return the host of ``url``; refuse a non-loopback host unless ``i_own_it``."""
    host = urlsplit(url).hostname or ""
    if not host:
        raise InputError(f"no host in target URL {url!r}")
    if not is_loopback_host(host) and not i_own_it:
        raise InputError(
            f"refusing to send load to non-loopback host {host!r}; pass the flag that states you own "
            "this deployment (--i-own-this-target) to load it", where=url)
    return host


def check_port_free(host: str, port: int, what: str = "server") -> None:
    """Raise a clear ResourceError if ``host:port`` cannot be bound (a port in use)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError as e:
            raise ResourceError(f"port {port} on {host} is already in use ({e.strerror}); "
                                f"stop what holds it or choose another port for the {what}",
                                where=f"{host}:{port}") from None


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]
