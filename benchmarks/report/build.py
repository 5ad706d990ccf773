"""Build the report: results -> ``RunRecord`` (``benchmarks.results.load``) -> context -> jinja2 template ->
one self-contained HTML file. Every part of the report reads the run's typed records, never the JSON."""
from __future__ import annotations

import html
import importlib.metadata
from pathlib import Path
from typing import Any

import jinja2

from benchmarks.report import plots
from benchmarks.report.certainty import certainty
from benchmarks.report.messages import Catalogue
from benchmarks.report.simdata import Simulated, simulated
from benchmarks.records import Keyed, Limit, ModelCheck, RunRecord, RunSettings, Wiring
from benchmarks.results import load, results_path
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


def answer(run: RunRecord, t: Catalogue) -> list[str]:
    axis = run.axis or "cameras"
    k = run.knee
    lines = []
    if k is not None:
        slo = t(f"slo_{k.binding_slo}") if f"slo_{k.binding_slo}" in t.messages else t("slo_unknown")
        lines.append(t("breaks_first", slo=slo, axis=axis, value=_fmt(k.at(axis)),
                       step=k.step + 1, share=_share(k.fail_share)))
    elif run.steps:
        last = (run.judged or run.steps)[-1]
        lines.append(t("no_knee", axis=axis, value=_fmt(last.value(axis))))
    else:
        lines.append(t("no_steps"))
    if k is not None:
        at = run.step(k.step)
        b = knee_binding_uplink(at) if at is not None else None
        if b:
            lines.append(t("binding_uplink", site=b["site"], uplink=b["uplink"], rate=_fmt(float(b["up_mbit"])),
                           util=_share(b["utilisation"]), n=b["saturated_sites"]))
    up = run.model_check.site_uplinks if run.model_check is not None else None
    if up is not None and up.compared:      # NVR sites: the simulator's uplink model against the shaped links
        lines.append(t("uplink_model", within=up.within, n=up.compared, bound=up.bound_compared,
                       verdict=t("uplink_agrees") if up.ok else t("uplink_disagrees")))
    ok = [s for s in run.steps if s.verdict.ok is True]
    if ok and k is not None:
        lines.append(t("last_ok", axis=axis, value=_fmt(ok[-1].value(axis))))
    return lines


def breach_text(b: Keyed | dict[str, Any], t) -> str:
    """One simulated SLO breach in the report's language (``simulator.model`` keeps them as data)."""
    b = Keyed.from_dict(b)
    key = f"breach_{b.key}"
    if key not in t.messages:
        return str(b.to_dict())
    fields = dict(b.fields)
    res = fields.get("resource")
    fields["resource"] = t(f"res_{res}") if f"res_{res}" in t.messages else res
    return t(key, **fields)


SHARE_FIELDS = {"decode_util", "gpu_util", "util", "failover_util", "site_util", "binding_util", "cold_share"}


def tier_text(tier: Keyed | dict[str, Any], t) -> str | None:
    """One tier of the sizing (``SizingResult.tier_summary()``) in plain words, in the report's language."""
    tier = Keyed.from_dict(tier)
    key = f"tier_{tier.key}"
    if key not in t.messages:
        return None
    fields = {}
    for name, v in tier.fields.items():
        if name in SHARE_FIELDS:
            v = f"{v:.1%}" if name == "cold_share" else _share(v)
        elif isinstance(v, float):
            v = f"{v:,.0f}" if abs(v) >= 10 else f"{v:.2f}"
        elif isinstance(v, int) and not isinstance(v, bool):
            v = f"{v:,}"
        fields[name] = v
    binding = tier.fields.get("binding")
    prefix = {"storage": "sbind_", "network": "res_", "day": "res_"}.get(tier.key or "")
    if prefix and f"{prefix}{binding}" in t.messages:
        fields["binding"] = t(f"{prefix}{binding}")
    if fields.get("switch_pairs") in ("yes", "no"):
        fields["switch_pairs"] = t(fields["switch_pairs"])
    try:
        return t(key, **fields)
    except (KeyError, ValueError):
        return None                    # a sizing from an older tilikbench lacks a field: leave the tier out


def margin_text(lim: Limit | dict[str, Any], t) -> str | None:
    """How far past the target the sized hardware holds on one axis, from the simulated curves."""
    lim = Limit.from_dict(lim)
    if lim.axis not in ("cameras", "viewers"):
        return None
    name = t(f"margin_axis_{lim.axis}")
    brk = lim.breaks
    if brk is not None:
        why = "; ".join(breach_text(b, t) for b in brk.breaches) if brk.breaches is not None \
            else "; ".join(brk.violations)     # results written before breaches were kept as data
        if lim.holds is None:
            return t("margin_breaks_at_once", breaks=_fmt(brk.factor), axis=name, why=why)
        return t("margin_breaks", holds=_fmt(lim.holds), breaks=_fmt(brk.factor), axis=name, why=why)
    if lim.largest is not None:
        return t("margin_holds", largest=_fmt(lim.largest), axis=name)
    return None


def model_text(mc: ModelCheck | None, t: Catalogue) -> str:
    """The model check in one paragraph: predicted against measured knee, or why there is none."""
    if mc is None:
        return t("model_absent", why=t("model_none"))
    if mc.predicted_knee is not None and mc.measured_knee is not None:
        return t("model_text", axis=mc.axis, pred=_fmt(mc.predicted_knee), meas=_fmt(mc.measured_knee),
                 err=_share(mc.rel_error), target=_share(mc.target),
                 verdict=t("model_within") if mc.within_target else t("model_outside"))
    if mc.done:
        key = ("model_neither" if mc.measured_knee is None and mc.predicted_knee is None
               else "model_no_pred" if mc.predicted_knee is None else "model_no_meas")
        return t(key, axis=mc.axis, pred=_fmt(mc.predicted_knee), meas=_fmt(mc.measured_knee),
                 target=_share(mc.target))
    return t("model_absent", why=mc.status_detail or t("model_none"))


def buy_text(sim: Simulated, t: Catalogue) -> str:
    sizing = sim.sizing
    if sizing is None:
        return t("buy_absent", why=sim.sizing_why)
    buy = t("buy_text", target=sizing.target or "Semarang", summary=sizing.summary, cost=sizing.cost_text,
            util=_share(sizing.peak_utilisation), headroom=_share(sizing.headroom), binding=sizing.binding or "")
    margins = [margin_text(lim, t) for lim in sim.limits]
    return " ".join([buy, *[m for m in margins if m]])


def step_rows(run: RunRecord, t: Catalogue) -> list[dict[str, Any]]:
    rows = []
    for s in run.steps:
        v = s.verdict
        verdict = {True: t("verdict_ok"), False: t("verdict_fail")}.get(v.ok, t("verdict_none"))
        rows.append({"n": s.index + 1, "load": ", ".join(f"{a}={_fmt(x)}" for a, x in s.load.items()),
                     "trials": len(s.trials), "verdict": verdict, "fail": v.ok is False,
                     "failed": ", ".join(f"{n} ({_share(x)})" for n, x in v.failed.items())})
    return rows


def context(data: RunRecord | dict[str, Any], notes: list[str], lang: str) -> dict[str, Any]:
    run = RunRecord.from_dict(data)
    t = Catalogue(lang)
    axis = run.axis or "cameras"
    sim = simulated(run)
    mi, ci = run.machine_info, run.commit_info
    figures = []

    def fig(key: str, png: str | None, why: str, source: str) -> None:
        figures.append({"title": t(key), "png": png, "why": t("fig_absent", why=why), "source": source,
                        "key": key})
    fig("fig_latency", plots.latency_plot(run, t), t("why_no_latency"), "measured")
    figures.insert(0, {"title": t("slos_h"), "png": plots.slo_margin_plot(run, t), "key": "fig_slo",
                       "why": t("fig_absent", why=t("no_steps")), "source": "measured"})
    fig("fig_util", plots.utilisation_plot(run, t), t("no_steps"), "measured")
    fig("fig_accuracy", plots.accuracy_plot(run, t), t("why_no_accuracy"), "measured")
    fig("fig_city", plots.city_plot(sim.curves, t), t("why_no_city", why=sim.curves_why), "simulated")

    mc = run.model_check
    sizing = sim.sizing
    settings = run.run or RunSettings()
    sources = [{"fig": f["title"], "src": t("src_absent") if not f["png"] else
                t("src_simulated") if f["source"] == "simulated" else t("src_measured")} for f in figures]
    sources.append({"fig": t("model_h"), "src": t("src_simulated") if mc is not None and mc.done
                    else t("src_absent")})
    sources.append({"fig": t("bom_h"), "src": t("src_simulated") if sizing else t("src_absent")})
    return {
        "lang": lang, "t": t,
        "title": t("title", scenario=run.scenario.name or "?"),
        "subtitle": t("subtitle", run_id=run.run_id or "?", date=run.datetime or "?",
                      machine=f"{mi.cpu_model or '?'}, {_or(mi.cpu_count_logical)} CPUs, "
                              f"{(mi.memory_bytes or 0) / 2**30:.1f} GiB",
                      commit=(ci.id or "?")[:10], dirty=t("dirty") if ci.dirty else ""),
        "partial": None if run.complete else t("partial_banner", reason=run.stop_reason or "?"),
        "notes": [t("upgraded_note", note=n) for n in notes] + [n for n in run.notes if n not in notes],
        "answer": answer(run, t), "buy": buy_text(sim, t), "model": model_text(mc, t), "figures": figures,
        "bom": sizing.bom if sizing else [], "bom_absent": t("bom_absent", why=sim.sizing_why),
        "tiers": [x for x in (tier_text(tier, t) for tier in (sizing.tiers if sizing else ())) if x],
        "steps": step_rows(run, t), "certainty": certainty(run, sizing, t),
        "slos": [{"name": t(f"slo_{n}"), "limit": _fmt(v)} for n, v in (run.slos or {}).items()],
        "method": [t("method_1"), t("method_2", axis=axis, trials=_or(settings.trials),
                                    duration=_fmt(_or(settings.step_duration_s)),
                                    warmup=_fmt(_or(settings.warmup_s)),
                                    fail=_share(settings.fail_fraction)), t("method_3")],
        "parts": [{"name": k, "text": _part_text(run, k, v, t)} for k, v in run.wired.items()],
        "sources": sources,
        "footer": t("footer", version=_version()),
    }


def _or(v: Any) -> Any:
    return "?" if v is None else v


def _part_text(run: RunRecord, part: str, wired: Wiring, t) -> str:
    """Whether a part was measured; an external system under test is named, with who ran it."""
    why = run.wired_why.get(part, "")
    external = run.scenario.external_stack()
    if part == "stack" and wired is Wiring.WIRED and external is not None:
        return t("part_external", name=external[0], ownership=t(f"ownership_{external[1]}"))
    if wired is Wiring.WIRED:
        return t("part_wired")
    if wired is Wiring.NOT_DECLARED:
        return t("part_not_declared")
    return f"{t('part_absent')} ({why or t('part_' + str(wired))})"


def render_html(data: RunRecord | dict[str, Any], notes: list[str], lang: str) -> str:
    """The report's HTML; ``data`` is a run record (a results dict is read into one)."""
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True,
                             undefined=jinja2.StrictUndefined)
    return env.get_template("report.html.j2").render(**context(data, notes, lang))


def write_report(run: str | Path, lang: str = "en") -> tuple[Path, list[str]]:
    """Write results/<run>/report.<lang>.html; returns its path and the load notes (e.g. upgrades)."""
    record, notes = load(run)
    out = Path(record.dir or results_path(run).parent) / f"report.{lang}.html"
    text = render_html(record, notes, lang)
    tmp = out.with_suffix(".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(out)
    return out, notes


__all__ = ["write_report", "render_html", "context", "html"]
