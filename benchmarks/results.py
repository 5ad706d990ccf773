"""The results of a scenario run: one versioned JSON file plus CSVs in ``results/<run-id>/``.

The JSON carries ``schema_version``, ``machine_info``, ``commit_info`` (with its ``dirty`` flag) and
``datetime`` from :func:`common.resultmeta.stamp`, the scenario, every step with every trial's metrics,
the knee and the model check. It is rewritten atomically after every step, with ``complete: false``
until the run ends, so an interrupted run keeps what it measured.

``load`` returns the run as a typed ``benchmarks.records.RunRecord``; ``load_results`` the upgraded dict.
Older files are upgraded on load by ``update_to_N`` steps, one schema version at a time (as asv and
pytest-benchmark do); a file newer than this code is a clear error.
"""
from __future__ import annotations

import csv
import io
import json
import logging
from pathlib import Path
from typing import Any, Callable

from benchmarks.records import CheckStatus, RunRecord, Wiring
from common.atomic import write_text_atomic
from common.errors import InputError
from common.redact import redact_secrets
from common.resultmeta import stamp, write_json_atomic

log = logging.getLogger(__name__)

RESULTS_KIND = "tilikbench.run"
SCHEMA_VERSION = 3
RESULTS_FILE = "results.json"


# --- upgrades -------------------------------------------------------------------------------------

def update_to_2(data: dict[str, Any]) -> dict[str, Any]:
    """Version 1 kept one flat ``metrics`` dict per step and the knee as a bare step index.

    Version 2 keeps every trial (``steps[i].trials``), a per-step ``verdict`` and the knee as a record
    with its binding SLO. A version-1 step becomes one trial; its verdict is not known and is left empty.
    """
    steps = []
    for i, s in enumerate(data.get("steps", [])):
        steps.append({
            "index": s.get("index", i),
            "load": s.get("load", {}),
            "trials": [{"trial": 0, "metrics": s.get("metrics", {}), "slo": {}}],
            "verdict": {"ok": s.get("ok"), "failed": {}},
        })
    data["steps"] = steps
    knee = data.get("knee")
    if isinstance(knee, int):
        load = steps[knee]["load"] if 0 <= knee < len(steps) else {}
        data["knee"] = {"step": knee, "load": load, "binding_slo": None, "fail_share": None}
    data.setdefault("complete", True)
    data.setdefault("model_check", None)
    data.setdefault("wired", {})
    data.setdefault("notes", [])
    data["schema_version"] = 2
    return data


def update_to_3(data: dict[str, Any]) -> dict[str, Any]:
    """Version 2 kept states as English text: ``wired`` values such as "not declared in the scenario" or
    "not available: <why>", and ``model_check.status`` such as "done: <how>" or "failed: <error>".

    Version 3 keeps them as ``benchmarks.records`` states (``wired``: wired, not_declared, not_available,
    not_wired; ``model_check.status``: done, not_available, failed) with the text beside them
    (``wired_why``, ``model_check.status_detail``).
    """
    wired, whys = {}, {}
    for part, text in (data.get("wired") or {}).items():
        text = str(text)
        if text == Wiring.WIRED:
            wired[part] = Wiring.WIRED.value
        elif text == "not declared in the scenario":
            wired[part] = Wiring.NOT_DECLARED.value
        elif text.startswith("not available"):
            wired[part], whys[part] = Wiring.NOT_AVAILABLE.value, text.partition(":")[2].strip()
        else:
            wired[part], whys[part] = Wiring.NOT_WIRED.value, text
    data["wired"], data["wired_why"] = wired, whys
    mc = data.get("model_check")
    if isinstance(mc, dict) and isinstance(mc.get("status"), str):
        head, _, detail = mc["status"].partition(":")
        mc["status"] = {"done": CheckStatus.DONE, "not available": CheckStatus.NOT_AVAILABLE}.get(
            head.strip(), CheckStatus.FAILED).value
        mc["status_detail"] = detail.strip()
    data["schema_version"] = 3
    return data


UPGRADES: dict[int, Callable[[dict[str, Any]], dict[str, Any]]] = {2: update_to_2, 3: update_to_3}


def upgrade(data: dict[str, Any], *, where: str = "results") -> tuple[dict[str, Any], list[str]]:
    """Bring ``data`` to :data:`SCHEMA_VERSION`; return it with notes on what was upgraded."""
    version = data.get("schema_version")
    if not isinstance(version, int) or version < 1:
        raise InputError(f"no valid schema_version (found {version!r}); not a tilikbench run result", where=where)
    if version > SCHEMA_VERSION:
        raise InputError(f"schema_version {version} is newer than this tilikbench understands "
                         f"(up to {SCHEMA_VERSION}); update tilikbench to read it", where=where)
    notes = []
    while version < SCHEMA_VERSION:
        version += 1
        data = UPGRADES[version](data)
        notes.append(f"upgraded from schema version {version - 1} to {version} on load")
    if notes:
        data.setdefault("notes", []).extend(notes)
    return data, notes


# --- reading and writing --------------------------------------------------------------------------

def results_path(run: str | Path) -> Path:
    """``run`` is a run directory or its results.json."""
    p = Path(run)
    return p / RESULTS_FILE if p.is_dir() or p.suffix != ".json" else p


def load_results(run: str | Path) -> tuple[dict[str, Any], list[str]]:
    """Read a run's results, upgrading older schema versions. Returns (data, notes)."""
    path = results_path(run)
    if not path.exists():
        raise InputError(f"no run results here (expected {RESULTS_FILE})", where=str(path))
    try:
        data = json.loads(path.read_text())
    except json.JSONDecodeError as e:
        raise InputError(f"not valid JSON: {e.msg} at line {e.lineno}", where=str(path)) from None
    if not isinstance(data, dict) or data.get("kind", RESULTS_KIND) != RESULTS_KIND:
        raise InputError(f"not a tilikbench run result (kind {data.get('kind')!r})"
                         if isinstance(data, dict) else "not a tilikbench run result", where=str(path))
    data, notes = upgrade(data, where=str(path))
    data["_dir"] = str(path.parent)
    return data, notes


def load(run: str | Path) -> tuple[RunRecord, list[str]]:
    """A run's results as a typed :class:`~benchmarks.records.RunRecord` (after the upgrades), with the notes
    on what was upgraded. The report reads runs only through this."""
    data, notes = load_results(run)
    return RunRecord.from_dict(data), notes


def new_results(run_id: str, scenario: dict[str, Any], scenario_path: str) -> dict[str, Any]:
    data = stamp(RESULTS_KIND, SCHEMA_VERSION)
    data.update({
        "run_id": run_id,
        "scenario": {"name": scenario.get("name"), "path": scenario_path, "config": redact_secrets(scenario)},
        "complete": False,
        "stop_reason": None,
        "wired": {},
        "wired_why": {},
        "steps": [],
        "knee": None,
        "model_check": None,
        "notes": [],
    })
    return data


def write_results(run_dir: Path, data: dict[str, Any]) -> Path:
    """Write results.json and the CSVs, each atomically."""
    clean = {k: v for k, v in data.items() if not k.startswith("_")}
    path = write_json_atomic(Path(run_dir) / RESULTS_FILE, clean)
    write_text_atomic(Path(run_dir) / "trials.csv", trials_csv(clean))
    write_text_atomic(Path(run_dir) / "steps.csv", steps_csv(clean))
    return path


# --- flat views -----------------------------------------------------------------------------------

def trial_rows(data: dict[str, Any]) -> list[dict[str, Any]]:
    """One flat record per trial: step, load, trial and every metric."""
    rows = []
    for s in data.get("steps", []):
        for t in s.get("trials", []):
            row = {"step": s["index"], **{f"load_{k}": v for k, v in s.get("load", {}).items()},
                   "trial": t.get("trial")}
            row.update(t.get("metrics", {}))
            rows.append(row)
    return rows


def metric_names(data: dict[str, Any]) -> list[str]:
    names: dict[str, None] = {}
    for s in data.get("steps", []):
        for t in s.get("trials", []):
            names.update(dict.fromkeys(t.get("metrics", {})))
    return list(names)


def trials_csv(data: dict[str, Any]) -> str:
    rows = trial_rows(data)
    return _csv(rows)


def steps_csv(data: dict[str, Any]) -> str:
    """One row per step: load, verdict, and the median of each metric over its trials."""
    import statistics
    rows = []
    for s in data.get("steps", []):
        row = {"step": s["index"], **{f"load_{k}": v for k, v in s.get("load", {}).items()},
               "ok": s.get("verdict", {}).get("ok"),
               "failed_slos": ";".join(sorted(s.get("verdict", {}).get("failed", {}))),
               "trials": len(s.get("trials", []))}
        for name in metric_names({"steps": [s]}):
            vals = [t["metrics"][name] for t in s["trials"]
                    if isinstance(t.get("metrics", {}).get(name), (int, float))]
            row[name] = statistics.median(vals) if vals else None
        rows.append(row)
    return _csv(rows)


def _csv(rows: list[dict[str, Any]]) -> str:
    fields: dict[str, None] = {}
    for r in rows:
        fields.update(dict.fromkeys(r))
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=list(fields), lineterminator="\n")
    w.writeheader()
    w.writerows(rows)
    return buf.getvalue()
