"""Build the report: results -> context -> jinja2 template -> one self-contained HTML file."""
from __future__ import annotations

import html
import importlib.metadata
from pathlib import Path
from typing import Any

import jinja2

from benchmarks.report import plots
from benchmarks.report.certainty import certainty
from benchmarks.report.messages import Catalogue
from benchmarks.report.simdata import simulated
from benchmarks.records import CheckStatus, Wiring
from benchmarks.results import load_results
from benchmarks.runner.site_health import knee_binding_uplink

TEMPLATES = Path(__file__).resolve().parent / "templates"


def _fmt(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:,.0f}" if abs(v) >= 1000 else f"{v:.3g}"
    return str(v)


def _share(v: float | None) -> str:
    return "n/a" if v is None else f"{v:.0%}"


def _version() -> str:
    try:
        return importlib.metadata.version("tilikbench")
    except importlib.metadata.PackageNotFoundError:
        return "dev"


def answer(data: dict[str, Any], t: Catalogue) -> list[str]:
    axis = data.get("axis", "cameras")
    steps = data.get("steps", [])
    k = data.get("knee")
    lines = []
    if k:
        lines.append(t("breaks_first", slo=t(f"slo_{k['binding_slo']}"), axis=axis, value=_fmt(k["value"]),
                       step=k["step"] + 1, share=_share(k.get("fail_share"))))
    elif steps:
        judged = [s for s in steps if s.get("verdict", {}).get("ok") is not None]
        last = (judged or steps)[-1]
        lines.append(t("no_knee", axis=axis, value=_fmt(last["load"].get(axis))))
    else:
        lines.append(t("no_steps"))
    if k:
        b = knee_binding_uplink(next((s for s in steps if s.get("index") == k["step"]), {}))
        if b:
            lines.append(t("binding_uplink", site=b["site"], uplink=b["uplink"], rate=_fmt(float(b["up_mbit"])),
                           util=_share(b["utilisation"]), n=b["saturated_sites"]))
    up = (data.get("model_check") or {}).get("site_uplinks")
    if up and up.get("compared"):           # NVR sites: the simulator's uplink model against the shaped links
        lines.append(t("uplink_model", within=up["within"], n=up["compared"], bound=up["bound_compared"],
                       verdict=t("uplink_agrees") if up.get("ok") else t("uplink_disagrees")))
    ok = [s for s in steps if s.get("verdict", {}).get("ok") is True]
    if ok and k:
        lines.append(t("last_ok", axis=axis, value=_fmt(ok[-1]["load"].get(axis))))
    return lines


def breach_text(b: dict[str, Any], t) -> str:
    """One simulated SLO breach in the report's language (``simulator.model`` keeps them as data)."""
    key = f"breach_{b['key']}"
    if key not in t.messages:
        return str(b)
    res = b.get("resource")
    fields = {k: v for k, v in b.items() if k != "key"}
    fields["resource"] = t(f"res_{res}") if f"res_{res}" in t.messages else res
    return t(key, **fields)


SHARE_FIELDS = {"decode_util", "gpu_util", "util", "failover_util", "site_util", "binding_util", "cold_share"}


def tier_text(tier: dict[str, Any], t) -> str | None:
    """One tier of the sizing (``SizingResult.tier_summary()``) in plain words, in the report's language."""
    key = f"tier_{tier.get('key')}"
    if key not in t.messages:
        return None
    fields = {}
    for name, v in tier.items():
        if name == "key":
            continue
        if name in SHARE_FIELDS:
            v = f"{v:.1%}" if name == "cold_share" else _share(v)
        elif isinstance(v, float):
            v = f"{v:,.0f}" if abs(v) >= 10 else f"{v:.2f}"
        elif isinstance(v, int) and not isinstance(v, bool):
            v = f"{v:,}"
        fields[name] = v
    prefix = {"storage": "sbind_", "network": "res_", "day": "res_"}.get(tier["key"])
    if prefix and f"{prefix}{tier.get('binding')}" in t.messages:
        fields["binding"] = t(f"{prefix}{tier['binding']}")
    if "switch_pairs" in fields and fields["switch_pairs"] in ("yes", "no"):
        fields["switch_pairs"] = t(fields["switch_pairs"])
    try:
        return t(key, **fields)
    except (KeyError, ValueError):
        return None                    # a sizing from an older tilikbench lacks a field: leave the tier out


def margin_text(lim: dict[str, Any], t) -> str | None:
    """How far past the target the sized hardware holds on one axis, from the simulated curves."""
    axis = lim.get("axis")
    if axis not in ("cameras", "viewers"):
        return None
    name = t(f"margin_axis_{axis}")
    brk = lim.get("breaks")
    if brk:
        why = "; ".join(breach_text(b, t) for b in brk["breaches"]) if brk.get("breaches") is not None \
            else "; ".join(brk.get("violations") or [])     # results written before breaches were kept as data
        if lim.get("holds") is None:
            return t("margin_breaks_at_once", breaks=_fmt(brk["factor"]), axis=name, why=why)
        return t("margin_breaks", holds=_fmt(lim["holds"]), breaks=_fmt(brk["factor"]), axis=name, why=why)
    if lim.get("largest") is not None:
        return t("margin_holds", largest=_fmt(lim["largest"]), axis=name)
    return None


def context(data: dict[str, Any], notes: list[str], lang: str) -> dict[str, Any]:
    t = Catalogue(lang)
    axis = data.get("axis", "cameras")
    sim = simulated(data)
    mi, ci = data.get("machine_info", {}), data.get("commit_info", {})
    figures = []

    def fig(key: str, png: str | None, why: str, source: str) -> None:
        figures.append({"title": t(key), "png": png, "why": t("fig_absent", why=why), "source": source,
                        "key": key})
    fig("fig_latency", plots.latency_plot(data, t), t("why_no_latency"), "measured")
    figures.insert(0, {"title": t("slos_h"), "png": plots.slo_margin_plot(data, t), "key": "fig_slo",
                       "why": t("fig_absent", why=t("no_steps")), "source": "measured"})
    fig("fig_util", plots.utilisation_plot(data, t), t("no_steps"), "measured")
    fig("fig_accuracy", plots.accuracy_plot(data, t), t("why_no_accuracy"), "measured")
    fig("fig_city", plots.city_plot(sim["curves"], t), t("why_no_city", why=sim["curves_why"]), "simulated")

    mc = data.get("model_check") or {}
    if mc.get("predicted_knee") is not None and mc.get("measured_knee") is not None:
        model = t("model_text", axis=mc.get("axis"), pred=_fmt(mc["predicted_knee"]), meas=_fmt(mc["measured_knee"]),
                  err=_share(mc.get("rel_error")), target=_share(mc.get("target")),
                  verdict=t("model_within") if mc.get("within_target") else t("model_outside"))
    elif mc.get("status") == CheckStatus.DONE:
        fields = {"axis": mc.get("axis"), "pred": _fmt(mc.get("predicted_knee")), "meas": _fmt(mc.get("measured_knee")),
                  "target": _share(mc.get("target"))}
        key = ("model_neither" if mc.get("measured_knee") is None and mc.get("predicted_knee") is None
               else "model_no_pred" if mc.get("predicted_knee") is None else "model_no_meas")
        model = t(key, **fields)
    else:
        model = t("model_absent", why=mc.get("status_detail") or t("model_none"))

    sizing = sim["sizing"]
    if sizing:
        buy = t("buy_text", target=sizing.get("target", "Semarang"), summary=sizing.get("summary", ""),
                cost=sizing.get("cost_text", ""), util=_share(sizing.get("peak_utilisation")),
                headroom=_share(sizing.get("headroom")), binding=sizing.get("binding", ""))
        margins = [margin_text(lim, t) for lim in sim["limits"]]
        buy = " ".join([buy, *[m for m in margins if m]])
    else:
        buy = t("buy_absent", why=sim["sizing_why"])

    steps = []
    for s in data.get("steps", []):
        v = s.get("verdict", {})
        verdict = {True: t("verdict_ok"), False: t("verdict_fail")}.get(v.get("ok"), t("verdict_none"))
        steps.append({"n": s["index"] + 1, "load": ", ".join(f"{a}={_fmt(x)}" for a, x in s["load"].items()),
                      "trials": len(s.get("trials", [])), "verdict": verdict, "fail": v.get("ok") is False,
                      "failed": ", ".join(f"{n} ({_share(x)})" for n, x in v.get("failed", {}).items())})
    run = data.get("run", {})
    sources = [{"fig": f["title"], "src": t("src_absent") if not f["png"] else
                t("src_simulated") if f["source"] == "simulated" else t("src_measured")} for f in figures]
    sources.append({"fig": t("model_h"), "src": t("src_simulated") if mc.get("status") == CheckStatus.DONE
                    else t("src_absent")})
    sources.append({"fig": t("bom_h"), "src": t("src_simulated") if sizing else t("src_absent")})
    return {
        "lang": lang, "t": t,
        "title": t("title", scenario=data.get("scenario", {}).get("name", "?")),
        "subtitle": t("subtitle", run_id=data.get("run_id", "?"), date=data.get("datetime", "?"),
                      machine=f"{mi.get('cpu_model', '?')}, {mi.get('cpu_count_logical', '?')} CPUs, "
                              f"{(mi.get('memory_bytes') or 0) / 2**30:.1f} GiB",
                      commit=(ci.get("id") or "?")[:10], dirty=t("dirty") if ci.get("dirty") else ""),
        "partial": None if data.get("complete") else t("partial_banner", reason=data.get("stop_reason") or "?"),
        "notes": [t("upgraded_note", note=n) for n in notes] + [n for n in data.get("notes", []) if n not in notes],
        "answer": answer(data, t), "buy": buy, "model": model, "figures": figures,
        "bom": (sizing or {}).get("bom") or [], "bom_absent": t("bom_absent", why=sim["sizing_why"]),
        "tiers": [x for x in (tier_text(tier, t) for tier in (sizing or {}).get("tiers") or []) if x],
        "steps": steps, "certainty": certainty(data, sizing, t),
        "slos": [{"name": t(f"slo_{n}"), "limit": _fmt(v)} for n, v in data.get("slos", {}).items()],
        "method": [t("method_1"), t("method_2", axis=axis, trials=run.get("trials", "?"),
                                    duration=_fmt(run.get("step_duration_s", "?")),
                                    warmup=_fmt(run.get("warmup_s", "?")),
                                    fail=_share(run.get("fail_fraction"))), t("method_3")],
        "parts": [{"name": k, "text": _part_text(data, k, v, t)} for k, v in data.get("wired", {}).items()],
        "sources": sources,
        "footer": t("footer", version=_version()),
    }


def _part_text(data: dict[str, Any], part: str, wired: str, t) -> str:
    why = (data.get("wired_why") or {}).get(part, "")
    """Whether a part was measured; an external system under test is named, with who ran it."""
    stack = ((data.get("scenario") or {}).get("config") or {}).get("stack") or {}
    if part == "stack" and wired == Wiring.WIRED and stack.get("type") == "external":
        return t("part_external", name=stack.get("name", "?"),
                 ownership=t(f"ownership_{(stack.get('process') or {}).get('type', 'owned')}"))
    if wired == Wiring.WIRED:
        return t("part_wired")
    if wired == Wiring.NOT_DECLARED:
        return t("part_not_declared")
    return f"{t('part_absent')} ({why or t('part_' + wired)})"


def render_html(data: dict[str, Any], notes: list[str], lang: str) -> str:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True,
                             undefined=jinja2.StrictUndefined)
    return env.get_template("report.html.j2").render(**context(data, notes, lang))


def write_report(run: str | Path, lang: str = "en") -> tuple[Path, list[str]]:
    """Write results/<run>/report.<lang>.html; returns its path and the load notes (e.g. upgrades)."""
    data, notes = load_results(run)
    out = Path(data["_dir"]) / f"report.{lang}.html"
    text = render_html(data, notes, lang)
    tmp = out.with_suffix(".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(out)
    return out, notes


__all__ = ["write_report", "render_html", "context", "html"]
