"""The report's words for the sized system's tiers, in English and Bahasa Indonesia.

One paragraph per tier of ``SizingResult.tier_summary()`` (key ``tier_<key>``, filled with that record's
fields after ``build.tier_fields`` has worded its shares and names), plus the names of the resources the
tiers add. ``messages.MESSAGES`` takes these in, so the keys stay identical in both catalogues.
"""
from __future__ import annotations

TIER_MESSAGES: dict[str, dict[str, str]] = {
    "en": {
        "tiers_h": "The system, tier by tier",
        "tier_decode": "Video decoding: each camera class's video is unpacked where that costs least. {keyframes} "
                       "classes decode only keyframes (one whole picture every few seconds, enough for slow "
                       "analytics), {gpu} use the GPUs' built-in video decoders, {cpu} decode every frame on the "
                       "processors. The processors' decoding is {decode_util} busy.",
        "tier_ingest": "Ingest servers: {servers} x {server}, {spares} of them spare. Cameras are grouped by NVR "
                       "site, so the busiest server carries {imbalance} times the average; it is {util} busy, and "
                       "{failover_util} if one server breaks down and its cameras move to the others.",
        "tier_storage": "Recording: {tb} TB of video kept on {disks} disks, in RAID-6 groups of {group} (two disks' "
                        "worth of each group is parity, so any two disks of a group may fail without losing "
                        "video), {spares} of them spares that take over at once, in {enclosures} disk enclosures "
                        "behind {servers} storage servers. What limits the disks is {binding} ({util}). Rebuilding "
                        "a failed disk takes about {rebuild_h} hours.",
        "tier_network": "Network: each of the {sites} NVR sites needs an uplink that carries its cameras even at "
                        "night, when infrared pictures raise the bitrate: {uplinks}; the busiest site uses "
                        "{site_util} of its line. Into the data centre: {wan}; to citizens on the internet: "
                        "{egress}; {switches} switches. The link closest to its limit is {binding} ({binding_util}).",
        "tier_redundancy": "Spares: {ingest_spares} extra ingest server(s), {portal_spares} portal, "
                           "{storage_server_spares} storage and {wan_spares} city link(s), switches in pairs "
                           "({switch_pairs}), {hot_spare_disks} hot-spare disks: one broken part at a time does "
                           "not stop the service.",
        "tier_startup": "Starting a live view: a camera nobody is watching needs about {cold_start_s} s before it "
                        "streams; the {prewarm} most-watched cameras are kept streaming all the time, so only "
                        "{cold_share} of views start cold. 95% of views start within {p95} s (target {slo} s).",
        "tier_day": "The whole day: all 24 hours were simulated (the evening's viewers, the night's higher "
                    "bitrates); hour {hour} is the tightest ({binding} at {ratio} of its limit).",
        "sbind_capacity": "their capacity", "sbind_streams": "the number of camera streams each disk is rated for",
        "sbind_workload": "the yearly workload each disk is rated for", "sbind_throughput": "their write speed",
        "res_site_uplink": "an NVR site's uplink", "res_core_wan": "the city WAN into the data centre",
        "res_switch_uplink": "the switches' uplinks", "res_internet_egress": "internet transit to viewers",
        "res_disk_streams": "streams per disk", "res_disk_capacity": "disk capacity",
        "res_disk_workload": "disk workload rating", "res_storage_net": "storage servers' network",
        "res_gpu_decode": "GPU video decoders", "res_viewer_start": "viewer start time",
        "res_frame_to_event": "frame-to-event lag", "res_api": "portal API time",
        "yes": "yes", "no": "no",
    },
    "id": {
        "tiers_h": "Sistemnya, lapis demi lapis",
        "tier_decode": "Dekode video: video tiap kelas kamera dibuka di tempat yang paling murah. {keyframes} kelas "
                       "hanya mendekode keyframe (satu gambar utuh setiap beberapa detik, cukup untuk analitik yang "
                       "lambat), {gpu} kelas memakai dekoder video bawaan GPU, {cpu} kelas mendekode setiap frame "
                       "di prosesor. Beban dekode prosesor {decode_util}.",
        "tier_ingest": "Server ingest: {servers} x {server}, {spares} di antaranya cadangan. Kamera dikelompokkan "
                       "per lokasi NVR, sehingga server tersibuk memikul {imbalance} kali rata-rata; bebannya "
                       "{util}, dan {failover_util} bila satu server rusak dan kameranya dipindahkan ke server lain.",
        "tier_storage": "Rekaman: {tb} TB video disimpan pada {disks} disk, dalam grup RAID-6 berisi {group} disk "
                        "(setara dua disk tiap grup berisi paritas, jadi dua disk mana pun dalam satu grup boleh "
                        "rusak tanpa kehilangan video), {spares} di antaranya disk cadangan yang langsung mengambil "
                        "alih, dalam {enclosures} enclosure disk di belakang {servers} server penyimpanan. Yang "
                        "membatasi disk adalah {binding} ({util}). Membangun ulang satu disk yang rusak memakan "
                        "sekitar {rebuild_h} jam.",
        "tier_network": "Jaringan: tiap lokasi dari {sites} lokasi NVR memerlukan uplink yang sanggup membawa "
                        "kameranya bahkan pada malam hari, ketika gambar inframerah menaikkan bitrate: {uplinks}; "
                        "lokasi tersibuk memakai {site_util} dari jalurnya. Ke pusat data: {wan}; ke warga lewat "
                        "internet: {egress}; {switches} switch. Jalur yang paling dekat ke batasnya: {binding} "
                        "({binding_util}).",
        "tier_redundancy": "Cadangan: {ingest_spares} server ingest tambahan, {portal_spares} server portal, "
                           "{storage_server_spares} server penyimpanan dan {wan_spares} jalur kota, switch "
                           "berpasangan ({switch_pairs}), {hot_spare_disks} disk cadangan siaga: satu komponen "
                           "rusak pada satu waktu tidak menghentikan layanan.",
        "tier_startup": "Memulai tayangan langsung: kamera yang sedang tidak ditonton siapa pun perlu sekitar "
                        "{cold_start_s} detik sebelum mengalir; {prewarm} kamera yang paling sering ditonton "
                        "dibiarkan mengalir terus, sehingga hanya {cold_share} tayangan yang mulai dingin. 95% "
                        "tayangan mulai dalam {p95} detik (target {slo} detik).",
        "tier_day": "Sepanjang hari: ke-24 jam disimulasikan (penonton malam, bitrate malam yang lebih tinggi); "
                    "jam {hour} yang paling ketat ({binding} pada {ratio} dari batasnya).",
        "sbind_capacity": "kapasitasnya", "sbind_streams": "jumlah aliran kamera yang sanggup ditangani tiap disk",
        "sbind_workload": "beban kerja tahunan yang sanggup ditangani tiap disk",
        "sbind_throughput": "kecepatan tulisnya",
        "res_site_uplink": "uplink lokasi NVR", "res_core_wan": "WAN kota ke pusat data",
        "res_switch_uplink": "uplink switch", "res_internet_egress": "jalur internet ke penonton",
        "res_disk_streams": "aliran per disk", "res_disk_capacity": "kapasitas disk",
        "res_disk_workload": "batas beban kerja disk", "res_storage_net": "jaringan server penyimpanan",
        "res_gpu_decode": "dekoder video GPU", "res_viewer_start": "waktu mulai tayangan",
        "res_frame_to_event": "jeda frame ke kejadian", "res_api": "waktu API portal",
        "yes": "ya", "no": "tidak",
    },
}
