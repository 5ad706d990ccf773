"""Stand-in hosts on one machine: a network namespace per host, joined to the root namespace by a veth
pair with a /30 of its own, made and removed by the tests.

    with StandInHosts() as hosts:
        a = hosts.add("a")                 # namespace tb15xxxx-a, 10.231.N.2 inside, 10.231.N.1 here
        proc = hosts.spawn(a, [sys.executable, "-m", "benchmarks.cli", ...], log_path)

Every name starts with a prefix unique to this use (so a leftover of a crashed run never collides);
every process started in a namespace is recorded by PID and stopped by PID; ``close`` (also on an
exception) stops them, then deletes each veth pair and namespace it made. Addresses are assigned only
inside the namespaces and on the veth ends made here, so traffic stays on them. The namespaces and veths
are made and recorded by ``fake_cameras.netns.VethNamespaces``, as the NVR sites' are: those of a test
process killed outright are removed by the next one (``reclaim``).
"""
from __future__ import annotations

import ipaddress
import logging
import os
import secrets
import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import psutil

from common.procs import stop_pid
from fake_cameras.netns import VethNamespaces, leftovers  # noqa: F401  (leftovers: for the tests)

log = logging.getLogger(__name__)

BASE = ipaddress.ip_network("10.231.0.0/16")


def netns_available() -> str | None:
    """None if namespaces and veth pairs can be made here, else why not."""
    if os.geteuid() != 0:
        return "network namespaces need root"
    if shutil.which("ip") is None:
        return "the ip command (iproute2) is missing"
    name = f"tbprobe{secrets.token_hex(3)}"
    r = subprocess.run(["ip", "netns", "add", name], capture_output=True, text=True, check=False)
    if r.returncode != 0:
        return f"ip netns add failed: {r.stderr.strip()}"
    subprocess.run(["ip", "netns", "del", name], capture_output=True, check=False)
    return None


@dataclass(frozen=True)
class StandInHost:
    label: str
    netns: str
    veth: str          # the root namespace's end
    address: str       # inside the namespace
    peer: str          # the root namespace's end: how the host reaches the machine running the test


class StandInHosts(VethNamespaces):
    def __init__(self) -> None:
        super().__init__("tb15", BASE)
        self.hosts: list[StandInHost] = []
        self._procs: list[tuple[subprocess.Popen, float | None]] = []

    def add(self, label: str) -> StandInHost:
        ns, veth, _inner, address, peer = self.make_pair(label)
        host = StandInHost(label, ns, veth, address, peer)
        self.hosts.append(host)
        log.info("stand-in host %s: %s in %s, %s here", label, address, ns, peer)
        return host

    def spawn(self, host: StandInHost, args: list[str], log_path: Path, env: dict[str, str] | None = None
              ) -> subprocess.Popen:
        """Start ``args`` inside the host's namespace (``ip netns exec`` execs it: same PID)."""
        with open(log_path, "ab") as logf:
            p = subprocess.Popen(["ip", "netns", "exec", host.netns, *args], stdout=logf, stderr=subprocess.STDOUT,
                                 stdin=subprocess.DEVNULL, env=env, start_new_session=True)
        try:
            ctime = psutil.Process(p.pid).create_time()
        except psutil.Error:
            ctime = None
        self._procs.append((p, ctime))
        return p

    def veth_bytes(self, host: StandInHost) -> tuple[int, int]:
        """Bytes received and sent by the root namespace's end of the host's veth pair."""
        base = Path("/sys/class/net") / host.veth / "statistics"
        return int((base / "rx_bytes").read_text()), int((base / "tx_bytes").read_text())

    def close(self) -> None:
        errors = []

        def stop(entry: tuple[subprocess.Popen, float | None]) -> None:
            p, ctime = entry
            try:
                if p.poll() is None:
                    stop_pid(p.pid, ctime, timeout=10)
                p.wait(timeout=10)
            except (OSError, subprocess.TimeoutExpired, psutil.Error) as e:   # keep tearing down the rest
                errors.append(f"pid {p.pid}: {e}")
        with ThreadPoolExecutor(max_workers=max(1, len(self._procs))) as pool:   # each stops by its own PID
            list(pool.map(stop, self._procs))
        self._procs.clear()
        self.close_links()
        if errors:
            log.warning("tearing down stand-in hosts: %s", "; ".join(errors))

    def __enter__(self) -> StandInHosts:  # noqa: PYI034
        return self

    def __exit__(self, *exc) -> None:
        self.close()
