"""Where traffic may go: loopback, unless the user states they own the target."""
from __future__ import annotations

import ipaddress
import re
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


# RFC 1123 host names: dot-separated labels of letters, digits and inner hyphens
_HOSTNAME_RE = re.compile(r"(?=.{1,253}\Z)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)"
                          r"(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*")


def check_host(text: str) -> str:
    """``text`` if it is an IP address or a host name (RFC 1123), else ValueError (for config validators)."""
    try:
        ipaddress.ip_address(text)
        return text
    except ValueError:
        pass
    if not _HOSTNAME_RE.fullmatch(text):
        raise ValueError(f"{text!r} is neither an IP address nor a host name")
    return text


Origin = tuple[str, str, int]


def origin_of(url: str) -> Origin:
    """``(scheme, host, port)`` of an http(s) URL with a valid port and no user info, else InputError."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise InputError(f"only http:// and https:// targets are supported, got {parts.scheme or 'no'} scheme",
                         where=url)
    if "@" in parts.netloc:
        raise InputError("user info (user@host) is not allowed in a target URL", where=url)
    try:
        port = parts.port
    except ValueError:
        raise InputError("the port must be a number in 1..65535", where=url) from None
    host = parts.hostname or ""
    if not host:
        raise InputError(f"no host in target URL {url!r}", where=url)
    if port == 0:
        raise InputError("the port must be a number in 1..65535", where=url)
    return parts.scheme, host.lower(), port or (443 if parts.scheme == "https" else 80)


def check_target(url: str, *, i_own_it: bool = False) -> str:
    """Return the host of ``url``; refuse a non-loopback host unless ``i_own_it``, and any URL that is
    not plain http(s)://host[:port] (another scheme, user info, a port outside 1..65535)."""
    _, host, _ = origin_of(url)
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
