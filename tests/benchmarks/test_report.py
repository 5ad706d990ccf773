"""The report: self-contained HTML in English and Bahasa Indonesia, rendered by headless Chromium with
every figure; a partial run and an upgraded run are labelled; the PDF prints."""
from __future__ import annotations

import json
import re
import shutil

import pytest

from benchmarks.report.build import write_report
from benchmarks.report.chromium import dump_dom
from benchmarks.report.messages import MESSAGES
from runfixtures import make_run
from benchmarks.runner.context import RunContext

needs_chromium = pytest.mark.skipif(shutil.which("chromium") is None, reason="Debian chromium not installed")


def test_catalogues_have_the_same_keys_and_fields():
    en, id_ = MESSAGES["en"], MESSAGES["id"]
    assert set(en) == set(id_)
    for k in en:
        assert set(re.findall(r"{(\w+)}", en[k])) == set(re.findall(r"{(\w+)}", id_[k])), k


@needs_chromium
@pytest.mark.parametrize("lang,heading", [("en", "The answer"), ("id", "Jawabannya")])
def test_report_renders_in_chromium_with_every_figure(finished_run, lang, heading):
    html_path, _ = write_report(finished_run, lang)
    text = html_path.read_text()
    assert "http://" not in text and "https://" not in text, "self-contained: no external resources"
    imgs = re.findall(r'<img [^>]*src="data:image/png;base64,([^"]+)"', text)
    assert len(imgs) >= 3 and all(len(b) > 1000 for b in imgs)
    dom = dump_dom(html_path)
    body = re.search(r"<body ([^>]*)>", dom).group(1)
    n = int(re.search(r'data-images="(\d+)"', body).group(1))
    rendered = int(re.search(r'data-images-rendered="(\d+)"', body).group(1))
    assert n == len(imgs) and rendered == n, body
    assert heading in dom and f'lang="{lang}"' in dom
    answer = re.search(r'<div class="answer" id="answer">(.*?)</div>', dom, re.S).group(1)
    assert "= 4" in answer        # the knee's load is stated first


def test_partial_and_upgraded_runs_are_labelled(tmp_path):
    ctx = RunContext(run_dir=tmp_path)
    ctx.stop.set()                     # stopped before the first step
    make_run(tmp_path, "partial", ctx=ctx).execute()
    en, _ = write_report(tmp_path / "partial", "en")
    assert "PARTIAL RUN" in en.read_text()
    idn, _ = write_report(tmp_path / "partial", "id")
    assert "UJI TIDAK LENGKAP" in idn.read_text()

    res = json.loads((tmp_path / "partial" / "results.json").read_text())
    res["schema_version"] = 1
    res["steps"] = [{"index": 0, "load": {"cameras": 1}, "metrics": {"stream_loss": 0.0}, "ok": True}]
    (tmp_path / "partial" / "results.json").write_text(json.dumps(res))
    html_path, notes = write_report(tmp_path / "partial", "en")
    assert notes and "upgraded from schema version 1" in html_path.read_text()


@needs_chromium
def test_report_cli_prints_the_pdf(finished_run, tilikbench_cli, capsys):
    assert tilikbench_cli("report", str(finished_run), "--lang", "id", "--pdf") == 0
    pdf = finished_run / "report.id.pdf"
    assert pdf.read_bytes()[:5] == b"%PDF-" and pdf.stat().st_size > 20_000
    assert f"pdf: {pdf}" in capsys.readouterr().out
