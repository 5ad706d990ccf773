"""Site uplinks: a network namespace per NVR site, joined to this host by a veth pair whose site end is
shaped by a token bucket (``tc qdisc ... tbf``): the site's upstream rate.

    with SiteUplinks() as links:
        up = links.add("s001", rate_mbit=10)      # the NVR listens on up.address inside up.netns
        links.stall(up, True); links.stall(up, False)
        links.bytes_up(up)                        # bytes the site sent up (counted on this host's end)

Every name starts with a prefix unique to this object (``tb17`` + random hex), so a leftover of a crashed
run never collides with this one; ``close`` (also on an exception, and on a failed ``add``) deletes every
veth pair and namespace made here, and the qdisc goes with its device. Addresses are a /30 per site in
10.232.0.0/16, assigned only on the veth ends made here.

What shapes what: the tbf qdisc limits the site's upstream rate and drops what waits longer than
``queue_ms``; a link stall takes this host's end of the veth down (nothing passes, TCP retransmits) and
up again. Delay, jitter and random loss are not done here (netem is not available): loss bursts are
dropped RTP packets in the NVR's own media path (``gst_nvr.py``).
"""
from __future__ import annotations

import ipaddress
import logging
import os
import secrets
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)

BASE = ipaddress.ip_network("10.232.0.0/16")
NETNS_DIR = Path("/run/netns")


def netns_unavailable() -> str | None:
    """None when namespaces, veth pairs and tbf can be made here, else why not."""
    if os.geteuid() != 0:
        return "network namespaces need root"
    for tool in ("ip", "tc"):
        if shutil.which(tool) is None:
            return f"the {tool} command (iproute2) is missing"
    with SiteUplinks() as links:
        try:
            links.add("probe", rate_mbit=1)
        except RuntimeError as e:
            return str(e)
    return None


def _run(*args: str) -> None:
    r = subprocess.run(list(args), capture_output=True, text=True, timeout=20, check=False)
    if r.returncode != 0:
        raise RuntimeError(f"{' '.join(args)}: {r.stderr.strip()}")


def used_subnets() -> set[ipaddress.IPv4Network]:
    """Every IPv4 subnet configured on this host's interfaces (a new /30 must overlap none)."""
    out = subprocess.run(["ip", "-o", "-4", "addr"], capture_output=True, text=True, check=False).stdout
    nets = set()
    for line in out.splitlines():
        for word in line.split():
            if "/" in word and word[0].isdigit():
                nets.add(ipaddress.ip_interface(word).network)
    return nets


@dataclass(frozen=True)
class Uplink:
    label: str
    netns: str          # the namespace's name (``ip netns``); its file is /run/netns/<netns>
    veth: str           # this host's end
    inner: str          # the site's end (in the namespace), where the tbf qdisc shapes egress
    address: str        # the site's address (the NVR binds it)
    peer: str           # this host's address on the link
    rate_mbit: float

    @property
    def netns_path(self) -> str:
        return str(NETNS_DIR / self.netns)


class SiteUplinks:
    def __init__(self) -> None:
        self.prefix = f"tb17{secrets.token_hex(2)}"
        self.uplinks: list[Uplink] = []
        self._made_ns: list[str] = []
        self._made_veth: list[str] = []
        self._used: set[ipaddress.IPv4Network] | None = None

    def _free_subnet(self) -> ipaddress.IPv4Network:
        if self._used is None:
            self._used = used_subnets()
        for _ in range(500):
            net = ipaddress.ip_network((int(BASE.network_address) + 4 * secrets.randbelow(2 ** 14), 30))
            if not any(net.overlaps(u) for u in self._used):
                self._used.add(net)
                return net
        raise RuntimeError(f"no free /30 in {BASE}")

    def add(self, label: str, rate_mbit: float, burst_kbyte: int = 32, queue_ms: int = 200) -> Uplink:
        """A namespace for one site with a veth pair; the site's end sends at most ``rate_mbit``."""
        if not label.isalnum() or len(self.prefix) + len(label) + 1 > 15:
            raise ValueError(f"uplink label {label!r}: letters and digits, at most {14 - len(self.prefix)}")
        ns, veth, inner = f"{self.prefix}-{label}", f"{self.prefix}{label}", f"{self.prefix}{label}i"
        net = self._free_subnet()
        peer, address = (str(a) for a in net.hosts())
        _run("ip", "netns", "add", ns)
        self._made_ns.append(ns)
        _run("ip", "link", "add", veth, "type", "veth", "peer", "name", inner)
        self._made_veth.append(veth)
        _run("ip", "link", "set", inner, "netns", ns)
        _run("ip", "addr", "add", f"{peer}/30", "dev", veth)
        _run("ip", "link", "set", veth, "up")
        _run("ip", "-n", ns, "addr", "add", f"{address}/30", "dev", inner)
        _run("ip", "-n", ns, "link", "set", inner, "up")
        _run("ip", "-n", ns, "link", "set", "lo", "up")
        _run("ip", "netns", "exec", ns, "tc", "qdisc", "add", "dev", inner, "root", "tbf",
             "rate", f"{int(rate_mbit * 1000)}kbit", "burst", f"{burst_kbyte}kb", "latency", f"{queue_ms}ms")
        up = Uplink(label, ns, veth, inner, address, peer, rate_mbit)
        self.uplinks.append(up)
        log.info("site uplink %s: %s in %s, %.1f Mbit/s up", label, address, ns, rate_mbit)
        return up

    def stall(self, up: Uplink, stalled: bool) -> None:
        """Take the link down (nothing passes either way) or bring it back."""
        _run("ip", "link", "set", up.veth, "down" if stalled else "up")

    def bytes_up(self, up: Uplink) -> int:
        """Bytes the site has sent up the link (received on this host's end)."""
        return int((Path("/sys/class/net") / up.veth / "statistics" / "rx_bytes").read_text())

    def qdisc(self, up: Uplink) -> str:
        """The site end's qdisc as ``tc`` shows it (with its counters)."""
        return subprocess.run(["ip", "netns", "exec", up.netns, "tc", "-s", "qdisc", "show", "dev", up.inner],
                              capture_output=True, text=True, check=False).stdout

    def close(self) -> None:
        for veth in reversed(self._made_veth):
            subprocess.run(["ip", "link", "del", veth], capture_output=True, check=False)
        for ns in reversed(self._made_ns):
            subprocess.run(["ip", "netns", "del", ns], capture_output=True, check=False)
        self._made_veth.clear()
        self._made_ns.clear()
        self.uplinks.clear()

    def __enter__(self) -> SiteUplinks:  # noqa: PYI034
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def leftovers(prefix: str) -> list[str]:
    """Namespaces and links whose names start with ``prefix`` (empty after ``close``)."""
    ns = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True, check=False).stdout.split()
    links = subprocess.run(["ip", "-o", "link"], capture_output=True, text=True, check=False).stdout
    return [n for n in ns if n.startswith(prefix)] + [w.rstrip(":").split("@")[0] for w in links.split()
                                                       if w.startswith(prefix)]
