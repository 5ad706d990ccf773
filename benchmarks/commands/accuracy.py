"""``tilikbench accuracy [SCENARIO]``: every accuracy figure of the README and docs/analytics.md in one run
(event-level F1 per rule, MOTA/IDF1/HOTA per tracker x sampling rate; ``benchmarks.accuracy_suite``)."""
from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

from common.errors import InputError

DOCS_BEGIN, DOCS_END = "<!-- tilikbench accuracy: begin -->", "<!-- tilikbench accuracy: end -->"
README_LABEL = "| event-level F1 of detector + tracker + rules"


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("accuracy", help="event-level F1 per rule and tracking metrics per tracker x sampling "
                       "rate on the scenario's generated clips; rewrites the figures in README and docs")
    p.add_argument("scenario", nargs="?", default="scenarios/accuracy.yaml",
                   help="scenario whose generated cameras and stack rules are scored (default scenarios/accuracy.yaml)")
    p.add_argument("--fps", default="1,2,5,full", help="sampling rates, comma-separated ('full': the clip's rate)")
    p.add_argument("--clips", nargs="+", default=[], help="also score these clips (recorded footage with "
                   "CLIP.gt.json beside it, e.g. from `tilikbench labels`) with a line_count rule")
    p.add_argument("--cache", default="cache", help="footage cache folder, default cache/")
    p.add_argument("--out", default="results/accuracy.json", help="versioned JSON of every figure")
    p.add_argument("--write-docs", action="store_true", help="rewrite the table in docs/analytics.md and the "
                   "accuracy row of README.md")
    p.set_defaults(func=run)


def _rates(text: str) -> list[float | None]:
    out: list[float | None] = []
    for x in (x.strip() for x in text.split(",") if x.strip()):
        if x == "full":
            out.append(None)
            continue
        try:
            v = float(x)
        except ValueError:
            raise InputError(f"not a rate: {x!r} (a number or 'full')", where="--fps") from None
        if v <= 0:
            raise InputError("sampling rates must be positive", where="--fps")
        out.append(v)
    if not out:
        raise InputError("no sampling rate", where="--fps")
    return out


def _f(v) -> str:
    return "-" if v is None else f"{v:.2f}"


def tables(res: dict) -> str:
    """The markdown of docs/analytics.md's accuracy block."""
    rates = list(dict.fromkeys(r["rate"] for r in res["tracking"]))
    trackers = list(dict.fromkeys(r["tracker"] for r in res["rules"]))
    rules = sorted({r["rule"] for r in res["rules"]})
    by = {(r["rate"], r["tracker"], r["rule"]): r for r in res["rules"]}
    lines = [f"`tilikbench accuracy {res.get('scenario', '')}`: F1 per rule (event-level; precision / recall "
             "in brackets), motion-field tracker; truth = ground-truth events to find:", "",
             "| rule | truth | " + " | ".join(f"{r} fps" for r in rates) + " |", "|---|---|" + "---|" * len(rates)]
    for rule in rules:
        cells = [by.get((r, "motion_field", rule)) for r in rates]
        truth = next((c["tp"] + c["fn"] for c in cells if c is not None), 0)
        lines.append(f"| `{rule}` | {truth} | " + " | ".join(
            "-" if c is None else f"{_f(c['f1'])} ({_f(c['precision'])} / {_f(c['recall'])})" for c in cells) + " |")
    lines += ["", "Per tracker x sampling rate, same detections: IDF1 / HOTA / MOTA, and line-count F1:", "",
              "| tracker | " + " | ".join(f"{r} fps" for r in rates) + " |", "|---|" + "---|" * len(rates)]
    tr = {(r["rate"], r["tracker"]): r for r in res["tracking"]}
    for t in trackers:
        cells = []
        for r in rates:
            m, lc, zp = tr.get((r, t)), by.get((r, t, "line_count")), by.get((r, t, "zone_people"))
            track = "" if m is None else f"{m['idf1']:.2f} / {m['hota']:.2f} / {m['mota']:.2f}, "
            crowd = "" if m is not None or zp is None else f", crowd F1 {_f(zp['f1'])}"
            cells.append(track + f"F1 {_f(lc['f1'] if lc else None)}" + crowd)
        lines.append(f"| {t} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def readme_row(res: dict) -> str:
    by = {(r["rate"], r["tracker"], r["rule"]): r["f1"] for r in res["rules"]}
    tr = {(r["rate"], r["tracker"]): r["idf1"] for r in res["tracking"]}
    return (f"{README_LABEL} on `{res.get('scenario', '')}`; IDF1 at 1 / 2 fps, motion-field tracker vs "
            f"ByteTrack (supervision's) | line_count F1 {_f(by.get(('1', 'motion_field', 'line_count')))} / "
            f"{_f(by.get(('2', 'motion_field', 'line_count')))}; IDF1 {_f(tr.get(('1', 'motion_field')))} / "
            f"{_f(tr.get(('2', 'motion_field')))} vs {_f(tr.get(('1', 'sv_bytetrack')))} / "
            f"{_f(tr.get(('2', 'sv_bytetrack')))} | `tilikbench accuracy --write-docs`, docs/analytics.md |")


def write_docs(res: dict, root: Path) -> None:
    docs, readme = root / "docs" / "analytics.md", root / "README.md"
    text = docs.read_text()
    if DOCS_BEGIN not in text or DOCS_END not in text:
        raise InputError(f"no '{DOCS_BEGIN}' ... '{DOCS_END}' block to rewrite", where=str(docs))
    text = re.sub(re.escape(DOCS_BEGIN) + ".*?" + re.escape(DOCS_END),
                  lambda _: f"{DOCS_BEGIN}\n{tables(res)}\n{DOCS_END}", text, flags=re.S)
    docs.write_text(text)
    lines = readme.read_text().splitlines(keepends=True)
    hits = [i for i, line in enumerate(lines) if line.startswith(README_LABEL)]
    if len(hits) != 1:
        raise InputError(f"expected one table row starting '{README_LABEL}'", where=str(readme))
    lines[hits[0]] = readme_row(res) + "\n"
    readme.write_text("".join(lines))


def run(args: argparse.Namespace) -> int:
    from analytics.detect import make_detector
    from benchmarks.accuracy_suite import SCHEMA_VERSION, evaluate, labelled_camera, scenario_cameras
    from benchmarks.scenario import load_scenario
    from common.resultmeta import stamp, write_json_atomic
    rates = _rates(args.fps)
    sc = load_scenario(args.scenario)
    if sc.stack is None:
        raise InputError("the scenario has no stack: section (its detector and rules are what is scored)",
                         where=f"{args.scenario}: stack")
    cams = scenario_cameras(sc, Path(args.cache)) + [labelled_camera(Path(c)) for c in args.clips]
    if not cams:
        raise InputError("no camera class with generated footage and rules", where=args.scenario)
    res = evaluate(cams, make_detector(sc.stack.detector), rates, progress=lambda s: print(s, file=sys.stderr))
    res["scenario"] = args.scenario
    write_json_atomic(Path(args.out), {**stamp("accuracy", SCHEMA_VERSION), **res})
    print(tables(res))
    print(f"wrote {args.out}")
    if args.write_docs:
        write_docs(res, Path(__file__).resolve().parents[2])
        print("rewrote docs/analytics.md (accuracy block) and the README's accuracy row")
    return 0
