"""The recording tier: RAID groups of disks, hot spares, enclosures and storage servers, with the write
load of recording and the read load of playback.

Arithmetic, each step a closed form (``tests/simulator/test_tiers.py`` checks them by hand):

- kept bytes = sum over classes of recorded cameras x day-mean bitrate / 8 x retention days x 86,400;
- a RAID group of G disks with p parity disks keeps (G - p) x disk TB x usable share (RAID 10: G / 2);
  sequential video is written in full stripes, so every byte costs G / (G - p) bytes on disk (RAID 10: 2);
- the disks of the groups carry recording writes x amplification + playback reads; each disk is held to
  its rated stream count (streams / data disks), its rated workload (TB a year, reads + writes) and its
  sustained MB/s, all within the headroom; capacity is filled to at most 100%;
- groups = the most any of those four asks; hot spares per enclosure; enclosures fit groups + spares;
  storage servers drive ``enclosures_max`` enclosures each and carry the write + read traffic within the
  headroom, plus the redundancy policy's N+k spares.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

from common.errors import InputError
from simulator.costs import SECONDS_PER_DAY, record_bps, storage_bytes
from simulator.hardware import Catalogue, Disk
from simulator.workload import Workload

SECONDS_PER_YEAR = 365 * SECONDS_PER_DAY


@dataclass(frozen=True)
class StoragePlan:
    disk: str
    raid: str
    disks_per_group: int
    groups: int
    hot_spares: int
    enclosure: str
    enclosures: int
    storage_server: str
    storage_servers: int           # N + k
    storage_server_spares: int
    stored_tb: float
    write_mbps: float              # recording, before RAID amplification
    read_mbps: float               # playback
    streams: float                 # recording + playback streams
    amplification: float
    rebuild_h: float               # one disk rebuilt at the catalogue's rebuild rate
    utilisation: dict[str, float] = field(default_factory=dict)
    binding: str = ""

    @property
    def disks(self) -> int:
        return self.groups * self.disks_per_group + self.hot_spares


def group_geometry(cat: Catalogue, raid_name: str, g: int) -> tuple[int, float]:
    """(data disks per group, write amplification) of a RAID group of ``g`` disks."""
    raid = cat.raid(raid_name)
    if raid.mirror:
        if g % 2:
            raise InputError(f"{raid_name} needs an even number of disks per group, got {g}",
                         where="simulation.storage.disks_per_group")
        return g // 2, 2.0
    if g <= raid.parity + 1:
        raise InputError(f"{raid_name} needs more than {raid.parity + 1} disks per group, got {g}",
                         where="simulation.storage.disks_per_group")
    return g - raid.parity, g / (g - raid.parity)


@dataclass(frozen=True)
class StorageLoad:
    stored: float               # bytes kept
    write: float                # recording bytes/s this hour
    read: float                 # playback bytes/s
    streams: float              # recording + playback streams


def storage_load(w: Workload, cat: Catalogue, viewers_peak: float, playback_share: float | None = None) -> StorageLoad:
    share = cat.input("playback_share", w.config.model_inputs) if playback_share is None else playback_share
    playback = share * viewers_peak
    return StorageLoad(storage_bytes(w), record_bps(w) / 8.0, playback * w.watched_kbps * 1000.0 / 8.0,
                       sum(c.recorded for c in w.classes) * w.config.recorded_share + playback)


def storage_utilisation(plan: StoragePlan, load: StorageLoad, cat: Catalogue) -> dict[str, float]:
    """Each storage resource's utilisation when ``plan`` carries ``load``."""
    if not plan.groups:
        return {}
    disk = cat.disk(plan.disk)
    data, amp = group_geometry(cat, plan.raid, plan.disks_per_group)
    head = cat.storage_server(plan.storage_server)
    on_disk = load.write * amp + load.read
    n = plan.groups * plan.disks_per_group
    heads = plan.storage_servers - plan.storage_server_spares
    return {"disk_capacity": load.stored / (plan.groups * data * disk.tb * 1e12 * disk.usable_share),
            "disk_streams": load.streams / (plan.groups * data * disk.streams_max),
            "disk_workload": on_disk * SECONDS_PER_YEAR / 1e12 / (n * disk.workload_tb_year),
            "disk_write": on_disk / 1e6 / (n * disk.write_mbps),
            "storage_net": (load.write + load.read) * 8.0 / (heads * head.nic_gbps * 1e9)}


def plan_storage(w: Workload, cat: Catalogue, disk: Disk, viewers_peak: float, headroom: float,
                 spares: int = 0, playback_share: float | None = None) -> StoragePlan:
    """The fewest RAID groups, enclosures and storage servers that hold and carry this hour's load."""
    pol = w.config.storage
    g = pol.disks_per_group
    data, amp = group_geometry(cat, pol.raid, g)
    load = storage_load(w, cat, viewers_peak, playback_share)
    disk_bytes = disk.tb * 1e12 * disk.usable_share
    on_disk_bps = load.write * amp + load.read
    need = {
        "capacity": load.stored / (data * disk_bytes),
        "streams": load.streams / (data * disk.streams_max * headroom),
        "workload": on_disk_bps * SECONDS_PER_YEAR / 1e12 / (g * disk.workload_tb_year * headroom),
        "throughput": on_disk_bps / 1e6 / (g * disk.write_mbps * headroom),
    }
    if not load.stored and not load.write:
        return StoragePlan(disk.name, pol.raid, g, 0, 0, "", 0, "", 0, 0, 0.0, 0.0, 0.0, 0.0, amp, 0.0)
    groups = max(1, max(math.ceil(v - 1e-9) for v in need.values()))
    encl = (cat.enclosure(pol.enclosure) if pol.enclosure else
            min(cat.enclosures, key=lambda e: e.price_usd / e.slots))
    spare_per = pol.hot_spares_per_enclosure
    groups_per_encl = (encl.slots - spare_per) // g
    if groups_per_encl < 1:
        raise InputError(f"a {g}-disk group and {spare_per} spares do not fit enclosure {encl.name} "
                         f"({encl.slots} slots)", where="simulation.storage.disks_per_group")
    enclosures = math.ceil(groups / groups_per_encl)
    head = min(cat.storage_servers, key=lambda s: s.price_usd / s.enclosures_max)
    heads = max(math.ceil(enclosures / head.enclosures_max),
                math.ceil((load.write + load.read) * 8.0 / (head.nic_gbps * 1e9 * headroom)))
    plan = StoragePlan(disk.name, pol.raid, g, groups, enclosures * spare_per, encl.name, enclosures, head.name,
                       heads + spares, spares, load.stored / 1e12, load.write / 1e6, load.read / 1e6,
                       load.streams, amp, disk.tb * 1e6 / cat.input("rebuild_mbps", w.config.model_inputs) / 3600.0,
                       binding=max(need, key=lambda k: need[k]))
    return replace(plan, utilisation=storage_utilisation(plan, load, cat))
