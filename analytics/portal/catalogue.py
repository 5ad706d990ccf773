"""The camera catalogue: groups (ATCS, CCTV RT by kecamatan and kelurahan, ...), filters and search.

Built once from the fleet's camera list (``CameraInfo`` objects or their dict form in a JSON file).
Read-only afterwards, so lookups need no locks. Responses are pre-serialised per group where cheap.
"""
from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import asdict, dataclass, is_dataclass
from typing import Any, Iterable

from common.errors import InputError

GROUPS = ("ATCS", "CCTV RT", "Pasar", "Kota Lama", "Simpang Lima", "Pompa Air", "Layanan Publik", "Private")
KELURAHAN_PER_KECAMATAN = 4   # the fleet gives districts only; kelurahan labels are synthetic


@dataclass(frozen=True)
class CatalogueEntry:
    id: str
    url: str
    group: str
    camera_class: str
    kecamatan: str | None
    kelurahan: str | None
    profile: str
    online: bool
    search_text: str

    def public(self) -> dict[str, Any]:
        return {"id": self.id, "group": self.group, "class": self.camera_class, "kecamatan": self.kecamatan,
                "kelurahan": self.kelurahan, "profile": self.profile, "online": self.online,
                "live": f"/live/{self.id}/index.m3u8", "snapshot": f"/snapshot/{self.id}.jpg"}


def _profile_text(profile: Any) -> str:
    if profile is None:
        return ""
    if isinstance(profile, str):
        return profile
    if hasattr(profile, "describe"):
        return profile.describe()
    if isinstance(profile, dict):
        return f"{profile.get('width')}x{profile.get('height')} {profile.get('fps')} fps"
    return str(profile)


def camera_records(cameras: Iterable[Any]) -> list[dict[str, Any]]:
    """The JSON-ready form of a camera list (``CameraInfo`` objects or dicts)."""
    out = []
    for cam in cameras:
        d = asdict(cam) if is_dataclass(cam) else dict(cam)
        rec = {k: d.get(k) for k in ("id", "url", "camera_class", "group", "kecamatan", "kelurahan")}
        rec["online"] = bool(d.get("online", True))
        rec["profile"] = _profile_text(getattr(cam, "profile", None) if not isinstance(cam, dict) else d.get("profile"))
        out.append(rec)
    return out




class Catalogue:
    def __init__(self, records: Iterable[dict[str, Any]]):
        self.entries: list[CatalogueEntry] = []
        self.by_id: dict[str, CatalogueEntry] = {}
        ordinal: Counter[str] = Counter()
        for i, r in enumerate(records):
            if not r.get("id") or not r.get("url"):
                raise InputError(f"camera record {i} lacks id or url: {r!r}")
            kec = r.get("kecamatan")
            if isinstance(kec, list):
                kec = kec[0] if kec else None
            kel = r.get("kelurahan")
            if kel is None and kec:
                kel = f"{kec} {1 + ordinal[kec] % KELURAHAN_PER_KECAMATAN:02d}"
                ordinal[kec] += 1
            group = r.get("group") or "CCTV RT"
            cls = r.get("camera_class") or ""
            text = " ".join(str(x).lower() for x in (r["id"], group, cls, kec or "", kel or ""))
            e = CatalogueEntry(r["id"], r["url"], group, cls, kec, kel, r.get("profile") or "",
                               bool(r.get("online", True)), text)
            if e.id in self.by_id:
                raise InputError(f"duplicate camera id {e.id!r}")
            self.entries.append(e)
            self.by_id[e.id] = e
        self._groups = self._build_groups()

    def __len__(self) -> int:
        return len(self.entries)

    def _build_groups(self) -> list[dict[str, Any]]:
        counts = Counter(e.group for e in self.entries)
        tree: dict[str, dict[str, Counter[str]]] = defaultdict(lambda: defaultdict(Counter))
        for e in self.entries:
            if e.kecamatan:
                tree[e.group][e.kecamatan][e.kelurahan or ""] += 1
        order = [g for g in GROUPS if g in counts] + sorted(g for g in counts if g not in GROUPS)
        out = []
        for g in order:
            item: dict[str, Any] = {"group": g, "count": counts[g]}
            if tree.get(g):
                item["kecamatan"] = [
                    {"name": k, "count": sum(kels.values()),
                     "kelurahan": [{"name": kl, "count": n} for kl, n in sorted(kels.items())]}
                    for k, kels in sorted(tree[g].items())]
            out.append(item)
        return out

    def groups(self) -> list[dict[str, Any]]:
        return self._groups

    def find(self, *, group: str | None = None, kecamatan: str | None = None, kelurahan: str | None = None,
             q: str | None = None, ids: set[str] | None = None) -> list[CatalogueEntry]:
        words = q.lower().split() if q else []
        out = []
        for e in self.entries:
            if group and e.group != group:
                continue
            if kecamatan and e.kecamatan != kecamatan:
                continue
            if kelurahan and e.kelurahan != kelurahan:
                continue
            if ids is not None and e.id not in ids:
                continue
            if words and not all(w in e.search_text for w in words):
                continue
            out.append(e)
        return out
