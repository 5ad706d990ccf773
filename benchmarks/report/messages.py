"""Every string the report shows, in English (``en``) and Bahasa Indonesia (``id``).

Keys are identical in both catalogues (a test checks it); ``{name}`` fields are filled by ``t``.
"""
from __future__ import annotations

from benchmarks.report.tier_messages import TIER_MESSAGES

LANGS = ("en", "id")

MESSAGES: dict[str, dict[str, str]] = {
    "en": {
        "title": "Capacity report: {scenario}",
        "subtitle": "Run {run_id}, {date}. Machine: {machine}. Commit {commit}{dirty}.",
        "dirty": " (uncommitted changes)",
        "partial_banner": "PARTIAL RUN: this run was interrupted ({reason}). Only the steps measured before "
                          "it stopped are shown; the knee may lie beyond them.",
        "upgraded_note": "Note: {note}.",
        "answer_h": "The answer",
        "breaks_first": "What breaks first: {slo}, at {axis} = {value} (step {step}); it failed in {share} of "
                        "that step's trials.",
        "no_knee": "No SLO failed up to {axis} = {value}: the knee on this machine lies beyond the measured range.",
        "no_steps": "No step was measured.",
        "last_ok": "The last load that met every SLO: {axis} = {value}.",
        "binding_uplink": "Binding resource there: the uplink of NVR site {site} ({uplink}, {rate} Mbit/s up), "
                          "which carried {util} of its rate; {n} site uplink(s) were that full.",
        "uplink_model": "The simulator's site-uplink model, given each site's rate and its cameras' bitrate, "
                        "matched what the links carried and the frames that arrived in {within} of {n} site "
                        "trials ({bound} where it says the link binds): {verdict}.",
        "uplink_agrees": "it agrees with the run (80% needed)",
        "uplink_disagrees": "it does not agree with the run (80% needed)",
        "buy_h": "What to buy for the Semarang target",
        "buy_text": "For {target}: {summary}. Total cost {cost}; peak utilisation {util} (headroom rule: "
                    "at most {headroom}). Binding resource: {binding}.",
        "buy_absent": "Sizing for the Semarang target is not in this report: {why}.",
        "model_h": "Model check",
        "model_text": "The simulator, calibrated from this run, predicts the knee at {axis} = {pred}; measured: "
                      "{meas}. Error {err} ({verdict} the {target} target).",
        "model_within": "within",
        "model_outside": "outside",
        "model_absent": "Model check not available: {why}.",
        "model_no_pred": "The simulator, calibrated from this run, predicts no knee within the run's steps; "
                         "measured: {axis} = {meas}. Outside the {target} target.",
        "model_no_meas": "The simulator, calibrated from this run, predicts the knee at {axis} = {pred}; the run "
                         "reached no knee. Outside the {target} target.",
        "model_neither": "Neither the run nor the simulator, calibrated from it, finds a knee within the run's "
                         "steps: they agree.",
        "plots_h": "Measurements",
        "fig_latency": "Latency against load, with the knee",
        "fig_util": "Utilisation per resource (CPU of each part, % of one core) and memory",
        "fig_accuracy": "Accuracy under load",
        "fig_city": "Simulated city-scale curves (95% confidence bands)",
        "fig_absent": "Not shown: {why}.",
        "why_no_latency": "this run measured neither analytics lag nor viewer latency",
        "why_no_accuracy": "no trial had a ground-truth event to find on a camera the stack analyses "
                           "(the run needs the stack and generated footage with rules)",
        "acc_step": "F1 of {rule}, pooled over the step's trials",
        "acc_trial": "F1 over all rules, one trial",
        "acc_dropped": "sampled frames dropped (share)",
        "acc_ylabel": "event-level F1 (1 = every event found, none false)",
        "why_no_city": "the simulator's city-scale curves are not available ({why})",
        "curve_frame_to_event": "frame-to-event p95", "curve_unit_frame_to_event": "seconds",
        "curve_frames_dropped": "sampled frames dropped", "curve_unit_frames_dropped": "% of sampled frames",
        "curve_peak_utilisation": "busiest resource", "curve_unit_peak_utilisation": "% utilisation",
        "curve_viewer_start": "viewer start p95", "curve_unit_viewer_start": "seconds",
        "curve_viewers_refused": "viewers refused", "curve_unit_viewers_refused": "% of viewers",
        "curve_portal_utilisation": "busiest portal resource (CPU or egress)",
        "curve_unit_portal_utilisation": "% utilisation",
        "curve_api": "portal API p95", "curve_unit_api": "milliseconds",
        "curve_x_cameras": "cameras online (x target; dashed: the target)",
        "curve_x_viewers": "peak viewers (x target; dashed: the target)",
        "curve_band": "95% CI", "curve_limit": "SLO or capacity",
        "margin_breaks": "On that hardware the simulator keeps every SLO up to {holds}x the target's {axis}; at "
                         "{breaks}x it breaks ({why}).",
        "margin_breaks_at_once": "On that hardware the simulator already breaks an SLO at {breaks}x the target's "
                                 "{axis} ({why}).",
        "margin_holds": "On that hardware the simulator keeps every SLO up to {largest}x the target's {axis}, "
                        "the largest multiple simulated.",
        "margin_axis_cameras": "cameras", "margin_axis_viewers": "peak viewers",
        "breach_frame_to_event": "frame-to-event p95 {value:.2f} s over {limit:g} s",
        "breach_viewer_start": "viewer start p95 {value:.2f} s over {limit:g} s",
        "breach_api": "API p95 {value:.0f} ms over {limit:g} ms",
        "breach_frame_drop": "{value:.1%} of frames dropped, over {limit:.1%}",
        "breach_viewers_refused": "{value:.1%} of viewers refused for lack of egress",
        "breach_overloaded": "{resource} overloaded ({value:.0%})",
        "res_decode_cpu": "decode CPU", "res_detector": "detector", "res_portal_cpu": "portal CPU",
        "res_egress_net": "egress network", "res_ingest_net": "ingest network", "res_disk_write": "disk writes",
        "axis_load": "load: {axis}",
        "knee_label": "knee",
        "slo_label": "SLO {name}",
        "bom_h": "Bill of materials",
        "bom_item": "Item", "bom_qty": "Quantity", "bom_unit": "Unit cost", "bom_total": "Total",
        "bom_absent": "No bill of materials: {why}.",
        "steps_h": "Steps measured",
        "col_step": "Step", "col_load": "Load", "col_trials": "Trials", "col_verdict": "Verdict",
        "col_failed": "SLOs failed",
        "verdict_ok": "pass", "verdict_fail": "FAIL", "verdict_none": "not judged",
        "slos_h": "Service-level objectives",
        "slo_min_analysed_fps": "minimum analysed fps per camera",
        "slo_min_analysed_share": "minimum analysed share of the sampling fps per camera",
        "slo_analytics_lag_p95_s": "analytics lag p95 (s)",
        "slo_viewer_p95_ms": "viewer response p95 (ms)",
        "slo_viewer_ttff_p95_ms": "time to first frame in a browser p95 (ms)",
        "slo_portal_error_rate": "portal error rate",
        "slo_stream_loss": "stream loss (share of cameras)",
        "slo_unknown": "an SLO (this older result does not say which)",
        "method_h": "Assumptions and method",
        "method_1": "Synthetic RTSP cameras served the scenario's camera classes; the parts listed below ran for "
                    "real on this machine and were measured with psutil on the processes they started.",
        "method_2": "The load grew step by step along {axis}; each step was measured {trials} time(s) for "
                    "{duration} s after {warmup} s of warm-up. A step fails when an SLO fails in more than "
                    "{fail} of its trials; the knee is the first failing step.",
        "method_3": "Figures at city scale come from the SimPy simulator, calibrated on costs measured here; "
                    "hardware not at hand is scaled by the catalogue's stated assumptions.",
        "parts_h": "Parts of the run",
        "part_wired": "measured", "part_absent": "absent",
        "part_external": "measured: an external system under test, {name} ({ownership})",
        "ownership_owned": "started and stopped by the run", "ownership_observed": "already running, observed",
        "part_not_declared": "absent (the scenario does not declare it)",
        "part_not_available": "it cannot start on this machine", "part_not_wired": "the runner has no adapter for it",
        "model_none": "the run holds no model check",
        "sources_h": "Which figures were measured and which simulated",
        "src_fig": "Figure", "src_source": "Source",
        "src_measured": "measured on this machine", "src_simulated": "simulated", "src_absent": "not available",
        "footer": "Generated by tilikbench {version}.",
        "notes_h": "Notes",
        "sure_h": "How sure is this answer",
        "interval_h": "The bill of materials with its 95% interval",
        "interval_head": "The sizing search repeated over {ok} of {planned} replications, each with the measured "
                         "costs drawn from their spread and its own simulator seed ({window} s of the busiest hour "
                         "each). Per item: the count that meets every SLO with 95% confidence, then the median, "
                         "the 95% interval and the range.",
        "interval_item": "{item} ({name}): {p95} (median {median}; 95%: {low}-{high}; range {min}-{max}; this "
                         "model chosen in {chosen} of {of}).",
        "interval_cost": "Total cost: {p95} USD for 95% confidence (median {median} USD; 95%: {low}-{high} USD).",
        "interval_absent": "This run holds no sizing interval.",
        "alt_h": "CPU-only and GPU side by side",
        "alt_kind": "Option", "alt_cost": "Cost (USD)", "alt_per_camera": "USD per camera", "alt_hw": "Hardware",
        "oos_h": "Model check on other hardware (out of sample)",
        "oos_absent": "This run was not repeated under other CPU budgets, so the model was not checked out of sample.",
        "oos_cal": "Calibrated at (cores)", "oos_for": "Predicted for (cores)", "oos_meas": "Measured knee",
        "oos_pred": "Predicted knee", "oos_slos": "Binding SLO (measured / predicted)", "oos_status": "Status",
        "oos_error": "Error", "oos_counts": "counts", "oos_not_comparable": "not comparable",
        "cal_h": "Calibration",
        "cal_used": "Costs fitted ({method}) on {trials} trials of {steps} steps strictly below the knee; {outliers} "
                    "outlier trial(s) left out because the machine was busy with other work.",
        "cal_absent": "The run fitted no costs; the reference calibration was used.",
        "spread_row": "{cost}: median {median} ms, 95% bootstrap interval {low}-{high} ms (relative spread {rel}) "
                      "{of}.",
        "portal_measured": "Portal: {ms} ms of CPU per request, HTTP handling included (95% bootstrap interval "
                           "{low}-{high} ms), measured on the running portal over {trials} trials and {requests} "
                           "requests below the knee; x{scale} the reference's cost of the same request mix, which "
                           "the simulator no longer adds the assumed HTTP overhead to.",
        "portal_split": "Of that, {server} ms is the portal's own CPU per request and {grab} ms per snapshot request "
                        "is ffmpeg grabbing the camera's keyframe; only the snapshot cost carries the latter.",
        "portal_reference": "Portal: the reference's in-process costs plus an assumed {overhead} ms of HTTP handling "
                            "per request, because {reason}.",
        "assumptions_h": "Inputs that are assumptions, not measurements",
        "assumption_row": "{label} (from the {source})",
        "tornado_h": "How the total cost moves when one assumption is off",
        "tornado_x": "total cost change (USD) from {base} USD, each assumption off by {swing}",
        "tornado_low": "assumption {swing} lower", "tornado_high": "assumption {swing} higher",
        "tornado_absent": "No sensitivity of the answer was computed for this run.",
    },
    "id": {
        "title": "Laporan kapasitas: {scenario}",
        "subtitle": "Uji {run_id}, {date}. Mesin: {machine}. Commit {commit}{dirty}.",
        "dirty": " (ada perubahan belum di-commit)",
        "partial_banner": "UJI TIDAK LENGKAP: uji ini dihentikan ({reason}). Hanya langkah yang terukur "
                          "sebelum berhenti yang ditampilkan; titik jenuh mungkin berada di luarnya.",
        "upgraded_note": "Catatan: {note}.",
        "answer_h": "Jawabannya",
        "breaks_first": "Yang pertama gagal: {slo}, pada {axis} = {value} (langkah {step}); gagal pada {share} "
                        "percobaan di langkah itu.",
        "no_knee": "Tidak ada SLO yang gagal sampai {axis} = {value}: titik jenuh mesin ini berada di luar "
                   "rentang yang diukur.",
        "no_steps": "Tidak ada langkah yang terukur.",
        "last_ok": "Beban terakhir yang memenuhi semua SLO: {axis} = {value}.",
        "binding_uplink": "Sumber daya pembatas di sana: uplink situs NVR {site} ({uplink}, {rate} Mbit/s naik), "
                          "yang terisi {util} dari lajunya; {n} uplink situs sepenuh itu.",
        "uplink_model": "Model uplink situs simulator, dengan laju tiap situs dan bitrate kameranya, cocok dengan "
                        "yang dibawa tautan dan bingkai yang tiba pada {within} dari {n} percobaan situs ({bound} "
                        "yang menurut model uplink-nya membatasi): {verdict}.",
        "uplink_agrees": "model sesuai dengan run ini (perlu 80%)",
        "uplink_disagrees": "model tidak sesuai dengan run ini (perlu 80%)",
        "buy_h": "Apa yang perlu dibeli untuk target Semarang",
        "buy_text": "Untuk {target}: {summary}. Total biaya {cost}; utilisasi puncak {util} (aturan cadangan: "
                    "paling tinggi {headroom}). Sumber daya pembatas: {binding}.",
        "buy_absent": "Perhitungan kebutuhan untuk target Semarang tidak ada di laporan ini: {why}.",
        "model_h": "Pemeriksaan model",
        "model_text": "Simulator, yang dikalibrasi dari uji ini, memperkirakan titik jenuh pada {axis} = {pred}; "
                      "terukur: {meas}. Selisih {err} ({verdict} target {target}).",
        "model_within": "dalam",
        "model_outside": "di luar",
        "model_absent": "Pemeriksaan model tidak tersedia: {why}.",
        "model_no_pred": "Simulator, yang dikalibrasi dari uji ini, tidak memperkirakan titik jenuh dalam langkah "
                         "uji; terukur: {axis} = {meas}. Di luar target {target}.",
        "model_no_meas": "Simulator, yang dikalibrasi dari uji ini, memperkirakan titik jenuh pada {axis} = {pred}; "
                         "uji tidak mencapai titik jenuh. Di luar target {target}.",
        "model_neither": "Baik uji maupun simulator yang dikalibrasi darinya tidak menemukan titik jenuh dalam "
                         "langkah uji: keduanya sepakat.",
        "plots_h": "Hasil pengukuran",
        "fig_latency": "Latensi terhadap beban, dengan titik jenuh",
        "fig_util": "Utilisasi per sumber daya (CPU tiap bagian, % dari satu core) dan memori",
        "fig_accuracy": "Akurasi di bawah beban",
        "fig_city": "Kurva simulasi skala kota (pita kepercayaan 95%)",
        "fig_absent": "Tidak ditampilkan: {why}.",
        "why_no_latency": "uji ini tidak mengukur jeda analitik maupun latensi penonton",
        "why_no_accuracy": "tidak ada percobaan yang memuat kejadian ground truth pada kamera yang dianalisis "
                           "tumpukan analitik (uji ini memerlukan tumpukan analitik dan rekaman buatan dengan aturan)",
        "acc_step": "F1 {rule}, gabungan percobaan dalam langkah",
        "acc_trial": "F1 semua aturan, satu percobaan",
        "acc_dropped": "frame sampel yang dibuang (proporsi)",
        "acc_ylabel": "F1 tingkat kejadian (1 = semua kejadian ditemukan, tanpa yang palsu)",
        "why_no_city": "kurva skala kota dari simulator tidak tersedia ({why})",
        "curve_frame_to_event": "frame-ke-peristiwa p95", "curve_unit_frame_to_event": "detik",
        "curve_frames_dropped": "frame sampel yang dibuang", "curve_unit_frames_dropped": "% dari frame sampel",
        "curve_peak_utilisation": "sumber daya tersibuk", "curve_unit_peak_utilisation": "% utilisasi",
        "curve_viewer_start": "waktu mulai tonton p95", "curve_unit_viewer_start": "detik",
        "curve_viewers_refused": "penonton yang ditolak", "curve_unit_viewers_refused": "% dari penonton",
        "curve_portal_utilisation": "sumber daya portal tersibuk (CPU atau egress)",
        "curve_unit_portal_utilisation": "% utilisasi",
        "curve_api": "API portal p95", "curve_unit_api": "milidetik",
        "curve_x_cameras": "kamera daring (x target; garis putus: target)",
        "curve_x_viewers": "penonton puncak (x target; garis putus: target)",
        "curve_band": "IK 95%", "curve_limit": "SLO atau kapasitas",
        "margin_breaks": "Dengan perangkat itu, simulator memenuhi semua SLO sampai {holds}x {axis} target; pada "
                         "{breaks}x ada yang gagal ({why}).",
        "margin_breaks_at_once": "Dengan perangkat itu, simulator sudah gagal memenuhi SLO pada {breaks}x {axis} "
                                 "target ({why}).",
        "margin_holds": "Dengan perangkat itu, simulator memenuhi semua SLO sampai {largest}x {axis} target, "
                        "kelipatan terbesar yang disimulasikan.",
        "margin_axis_cameras": "jumlah kamera", "margin_axis_viewers": "penonton puncak",
        "breach_frame_to_event": "frame-ke-event p95 {value:.2f} detik melebihi {limit:g} detik",
        "breach_viewer_start": "waktu mulai tayang p95 {value:.2f} detik melebihi {limit:g} detik",
        "breach_api": "API p95 {value:.0f} ms melebihi {limit:g} ms",
        "breach_frame_drop": "{value:.1%} frame terbuang, melebihi {limit:.1%}",
        "breach_viewers_refused": "{value:.1%} penonton ditolak karena egress tidak cukup",
        "breach_overloaded": "{resource} kelebihan beban ({value:.0%})",
        "res_decode_cpu": "CPU dekode", "res_detector": "detektor", "res_portal_cpu": "CPU portal",
        "res_egress_net": "jaringan egress", "res_ingest_net": "jaringan ingest", "res_disk_write": "tulis disk",
        "axis_load": "beban: {axis}",
        "knee_label": "titik jenuh",
        "slo_label": "SLO {name}",
        "bom_h": "Daftar kebutuhan perangkat",
        "bom_item": "Barang", "bom_qty": "Jumlah", "bom_unit": "Harga satuan", "bom_total": "Total",
        "bom_absent": "Tidak ada daftar kebutuhan perangkat: {why}.",
        "steps_h": "Langkah yang diukur",
        "col_step": "Langkah", "col_load": "Beban", "col_trials": "Percobaan", "col_verdict": "Hasil",
        "col_failed": "SLO yang gagal",
        "verdict_ok": "lulus", "verdict_fail": "GAGAL", "verdict_none": "tidak dinilai",
        "slos_h": "Sasaran tingkat layanan (SLO)",
        "slo_min_analysed_fps": "fps teranalisis minimum per kamera",
        "slo_min_analysed_share": "porsi minimum fps sampel yang teranalisis per kamera",
        "slo_analytics_lag_p95_s": "jeda analitik p95 (detik)",
        "slo_viewer_p95_ms": "waktu respons penonton p95 (ms)",
        "slo_viewer_ttff_p95_ms": "waktu hingga gambar pertama di peramban p95 (ms)",
        "slo_portal_error_rate": "tingkat galat portal",
        "slo_stream_loss": "kehilangan aliran (porsi kamera)",
        "slo_unknown": "sebuah SLO (hasil lama ini tidak menyebut yang mana)",
        "method_h": "Asumsi dan metode",
        "method_1": "Kamera RTSP sintetis melayani kelas kamera dari skenario; bagian-bagian di bawah berjalan "
                    "sungguhan di mesin ini dan diukur dengan psutil pada proses yang dijalankannya.",
        "method_2": "Beban dinaikkan bertahap sepanjang {axis}; tiap langkah diukur {trials} kali selama "
                    "{duration} detik setelah pemanasan {warmup} detik. Sebuah langkah gagal bila suatu SLO gagal "
                    "pada lebih dari {fail} percobaannya; titik jenuh adalah langkah gagal yang pertama.",
        "method_3": "Angka skala kota berasal dari simulator SimPy yang dikalibrasi dengan biaya yang diukur di "
                    "sini; perangkat yang tidak tersedia diskalakan menurut asumsi tertulis di katalog.",
        "parts_h": "Bagian dalam uji",
        "part_wired": "diukur", "part_absent": "tidak ada",
        "part_external": "diukur: sistem eksternal yang diuji, {name} ({ownership})",
        "ownership_owned": "dijalankan dan dihentikan oleh uji", "ownership_observed": "sudah berjalan, hanya diamati",
        "part_not_declared": "tidak ada (skenario tidak mencantumkannya)",
        "part_not_available": "tidak dapat berjalan di mesin ini", "part_not_wired": "runner belum memiliki adaptornya",
        "model_none": "hasil uji ini tidak memuat pemeriksaan model",
        "sources_h": "Angka mana yang diukur dan mana yang disimulasikan",
        "src_fig": "Gambar", "src_source": "Sumber",
        "src_measured": "diukur di mesin ini", "src_simulated": "disimulasikan", "src_absent": "tidak tersedia",
        "footer": "Dibuat oleh tilikbench {version}.",
        "notes_h": "Catatan",
        "sure_h": "Seberapa yakin jawaban ini",
        "interval_h": "Daftar perangkat dengan selang 95%",
        "interval_head": "Pencarian ukuran diulang pada {ok} dari {planned} replikasi, masing-masing dengan biaya "
                         "terukur yang diambil dari sebarannya dan benih simulator sendiri ({window} detik pada jam "
                         "tersibuk). Per item: jumlah yang memenuhi semua SLO dengan keyakinan 95%, lalu median, "
                         "selang 95% dan rentangnya.",
        "interval_item": "{item} ({name}): {p95} (median {median}; 95%: {low}-{high}; rentang {min}-{max}; model "
                         "ini dipilih pada {chosen} dari {of}).",
        "interval_cost": "Biaya total: {p95} USD untuk keyakinan 95% (median {median} USD; 95%: {low}-{high} USD).",
        "interval_absent": "Run ini tidak memuat selang ukuran.",
        "alt_h": "Hanya CPU dan dengan GPU berdampingan",
        "alt_kind": "Pilihan", "alt_cost": "Biaya (USD)", "alt_per_camera": "USD per kamera", "alt_hw": "Perangkat",
        "oos_h": "Cek model pada perangkat lain (di luar sampel)",
        "oos_absent": "Run ini tidak diulang dengan anggaran CPU lain, jadi model tidak dicek di luar sampel.",
        "oos_cal": "Dikalibrasi pada (inti)", "oos_for": "Diprediksi untuk (inti)", "oos_meas": "Titik jenuh terukur",
        "oos_pred": "Titik jenuh prediksi", "oos_slos": "SLO pengikat (terukur / prediksi)", "oos_status": "Status",
        "oos_error": "Galat", "oos_counts": "dihitung", "oos_not_comparable": "tidak sebanding",
        "cal_h": "Kalibrasi",
        "cal_used": "Biaya dicocokkan ({method}) pada {trials} percobaan dari {steps} langkah tepat di bawah titik "
                    "jenuh; {outliers} percobaan pencilan disisihkan karena mesin sibuk dengan pekerjaan lain.",
        "cal_absent": "Run ini tidak mencocokkan biaya; kalibrasi acuan dipakai.",
        "spread_row": "{cost}: median {median} ms, selang bootstrap 95% {low}-{high} ms (sebaran relatif {rel}) "
                      "{of}.",
        "portal_measured": "Portal: {ms} ms CPU per permintaan, termasuk penanganan HTTP (selang bootstrap 95% "
                           "{low}-{high} ms), diukur pada portal yang berjalan dalam {trials} percobaan dan "
                           "{requests} permintaan di bawah titik jenuh; x{scale} biaya acuan untuk campuran "
                           "permintaan yang sama, dan simulator tidak lagi menambahkan asumsi overhead HTTP.",
        "portal_split": "Dari angka itu, {server} ms adalah CPU portal sendiri per permintaan dan {grab} ms per "
                        "permintaan snapshot adalah ffmpeg yang mengambil keyframe kamera; hanya biaya snapshot yang "
                        "memuat bagian terakhir ini.",
        "portal_reference": "Portal: biaya acuan dalam proses ditambah asumsi {overhead} ms penanganan HTTP per "
                            "permintaan, karena {reason}.",
        "assumptions_h": "Masukan yang berupa asumsi, bukan pengukuran",
        "assumption_row": "{label} (dari {source})",
        "tornado_h": "Bagaimana biaya total bergeser bila satu asumsi meleset",
        "tornado_x": "perubahan biaya total (USD) dari {base} USD, tiap asumsi meleset {swing}",
        "tornado_low": "asumsi {swing} lebih rendah", "tornado_high": "asumsi {swing} lebih tinggi",
        "tornado_absent": "Kepekaan jawaban tidak dihitung untuk run ini.",
    },
}


for _lang, _extra in TIER_MESSAGES.items():     # the sized tiers' words (tier_messages.py)
    MESSAGES[_lang].update(_extra)


class Catalogue:
    def __init__(self, lang: str) -> None:
        if lang not in MESSAGES:
            raise KeyError(lang)
        self.lang = lang
        self.messages = MESSAGES[lang]

    def __call__(self, key: str, **fields) -> str:
        return self.messages[key].format(**fields)
