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

A process killed outright (SIGKILL) runs no ``close``. So every namespace and veth is first recorded, with
its owner's PID and start time, in ``/run/tilikbench/netns/<prefix>.json`` (``VethNamespaces``, shared
with the scale-out tests' stand-in hosts); ``reclaim`` deletes those of owners that are gone, and a new
``SiteUplinks`` or stand-in host set calls it before it makes anything. Live owners are left alone.

What shapes what: the tbf qdisc limits the site's upstream rate and drops what waits longer than
``queue_ms``; a link stall takes this host's end of the veth down (nothing passes, TCP retransmits) and
up again. Delay and jitter are not done here (netem is not available) but by a user-space relay in front
of the site (``fake_cameras/relay.py``); loss bursts are dropped RTP packets in the NVR's own media path
(``gst_nvr.py``).
"""
from __future__ import annotations

import ipaddress
import json
import logging
import os
import secrets
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import psutil

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


REGISTRY = Path("/run/tilikbench/netns")


def registry_dir() -> Path:
    """Where namespaces and veths are recorded with their owner (``TILIKBENCH_NETNS_REGISTRY`` moves it)."""
    return Path(os.environ.get("TILIKBENCH_NETNS_REGISTRY") or REGISTRY)


def _owner_alive(pid: object, create_time: object) -> bool:
    try:
        p = psutil.Process(int(pid))  # type: ignore[call-overload]
        return abs(p.create_time() - float(create_time)) < 0.01 and p.status() != psutil.STATUS_ZOMBIE  # type: ignore[arg-type]
    except (psutil.Error, TypeError, ValueError):
        return False


def _delete(veths: list[str], namespaces: list[str]) -> None:
    """Delete veth pairs (this host's end takes its peer along) and namespaces; what is gone already is fine."""
    for veth in reversed(veths):
        subprocess.run(["ip", "link", "del", veth], capture_output=True, check=False)
    for ns in reversed(namespaces):
        subprocess.run(["ip", "netns", "del", ns], capture_output=True, check=False)


def reclaim(registry: Path | None = None) -> list[str]:
    """Delete the namespaces and veths recorded by owners that are no longer running (killed outright);
    returns their names. Records of live owners are kept; unreadable records are removed."""
    gone: list[str] = []
    for rec_path in sorted((registry or registry_dir()).glob("*.json")):
        try:
            rec = json.loads(rec_path.read_text())
            owner, ctime = rec["owner_pid"], rec["owner_create_time"]
            veths, namespaces = list(rec["veth"]), list(rec["netns"])
        except FileNotFoundError:
            continue                              # its owner closed it meanwhile
        except (OSError, ValueError, KeyError, TypeError):
            log.warning("removing an unreadable namespace record %s", rec_path)
            rec_path.unlink(missing_ok=True)
            continue
        if owner == os.getpid() or _owner_alive(owner, ctime):
            continue
        _delete(veths, namespaces)
        rec_path.unlink(missing_ok=True)
        gone += namespaces + veths
        log.warning("removed %d namespace(s) and %d veth(s) left by pid %s (no longer running)",
                    len(namespaces), len(veths), owner)
    return gone


class VethNamespaces:
    """Namespaces joined to this host by a veth pair with a /30 of their own, made, recorded with their
    owner and removed again. ``tag`` starts every name; ``base``: where the /30s are taken from."""

    def __init__(self, tag: str, base: ipaddress.IPv4Network, registry: Path | None = None) -> None:
        self.registry = registry or registry_dir()
        self.base = base
        self.prefix = f"{tag}{secrets.token_hex(2)}"
        while (self.registry / f"{self.prefix}.json").exists():
            self.prefix = f"{tag}{secrets.token_hex(2)}"
        self._made_ns: list[str] = []
        self._made_veth: list[str] = []
        self._used: set[ipaddress.IPv4Network] | None = None
        self._reclaimed = False

    @property
    def record_path(self) -> Path:
        return self.registry / f"{self.prefix}.json"

    def _record(self) -> None:
        if not self._made_ns and not self._made_veth:
            self.record_path.unlink(missing_ok=True)
            return
        me = psutil.Process()
        self.registry.mkdir(parents=True, exist_ok=True)
        tmp = self.record_path.with_suffix(".tmp")
        tmp.write_text(json.dumps({"owner_pid": me.pid, "owner_create_time": me.create_time(),
                                   "netns": self._made_ns, "veth": self._made_veth}))
        os.replace(tmp, self.record_path)

    def _free_subnet(self) -> ipaddress.IPv4Network:
        if self._used is None:
            self._used = used_subnets()
        size = 2 ** (30 - self.base.prefixlen)
        for _ in range(500):
            net = ipaddress.ip_network((int(self.base.network_address) + 4 * secrets.randbelow(size), 30))
            if not any(net.overlaps(u) for u in self._used):
                self._used.add(net)
                return net
        raise RuntimeError(f"no free /30 in {self.base}")

    def make_pair(self, label: str) -> tuple[str, str, str, str, str]:
        """A namespace ``<prefix>-<label>`` and a veth pair into it, both ends up with a /30 between
        them: (namespace, this host's end, the namespace's end, its address, this host's address).
        The names are recorded before they exist, so an owner killed half-way leaves nothing unrecorded."""
        if not self._reclaimed:
            reclaim(self.registry)
            self._reclaimed = True
        ns, veth, inner = f"{self.prefix}-{label}", f"{self.prefix}{label}", f"{self.prefix}{label}i"
        net = self._free_subnet()
        peer, address = (str(a) for a in net.hosts())
        self._made_ns.append(ns)
        self._made_veth.append(veth)
        self._record()
        _run("ip", "netns", "add", ns)
        _run("ip", "link", "add", veth, "type", "veth", "peer", "name", inner)
        _run("ip", "link", "set", inner, "netns", ns)
        _run("ip", "addr", "add", f"{peer}/30", "dev", veth)
        _run("ip", "link", "set", veth, "up")
        _run("ip", "-n", ns, "addr", "add", f"{address}/30", "dev", inner)
        _run("ip", "-n", ns, "link", "set", inner, "up")
        _run("ip", "-n", ns, "link", "set", "lo", "up")
        return ns, veth, inner, address, peer

    def close_links(self) -> None:
        """Delete every veth pair and namespace made here, and their record."""
        _delete(self._made_veth, self._made_ns)
        self._made_veth.clear()
        self._made_ns.clear()
        self.record_path.unlink(missing_ok=True)


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


class SiteUplinks(VethNamespaces):
    def __init__(self, registry: Path | None = None) -> None:
        super().__init__("tb17", BASE, registry)
        self.uplinks: list[Uplink] = []

    def add(self, label: str, rate_mbit: float, burst_kbyte: int = 32, queue_ms: int = 200) -> Uplink:
        """A namespace for one site with a veth pair; the site's end sends at most ``rate_mbit``."""
        if not label.isalnum() or len(self.prefix) + len(label) + 1 > 15:
            raise ValueError(f"uplink label {label!r}: letters and digits, at most {14 - len(self.prefix)}")
        ns, veth, inner, address, peer = self.make_pair(label)
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
        self.close_links()
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
