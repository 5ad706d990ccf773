"""Baseline for the portal benchmark: the same catalogue and cached-snapshot endpoints on Python's
standard ThreadingHTTPServer (one process, a thread per connection). Run as a script:

    python tests/load/baseline_portal.py PORT CAMERAS.json SNAPSHOT_DIR
"""
from __future__ import annotations

import json
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from analytics.portal.catalogue import Catalogue  # noqa: E402


def main() -> None:
    port, cameras, snap_dir = int(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])
    cat = Catalogue(json.loads(cameras.read_text()))
    snaps = {p.stem: p.read_bytes() for p in snap_dir.glob("*.jpg")}

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *a):
            pass

        def send(self, status: int, body: bytes, ctype: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self):
            u = urlsplit(self.path)
            q = {k: v[0] for k, v in parse_qs(u.query).items()}
            if u.path == "/api/groups":
                return self.send(200, json.dumps(cat.groups()).encode(), "application/json")
            if u.path == "/api/cameras":
                limit, offset = min(int(q.get("limit", 50)), 500), int(q.get("offset", 0))
                found = cat.find(group=q.get("group"), kecamatan=q.get("kecamatan"), q=q.get("q"))
                body = {"total": len(found), "limit": limit, "offset": offset,
                        "items": [e.public() for e in found[offset:offset + limit]]}
                return self.send(200, json.dumps(body).encode(), "application/json")
            if u.path.startswith("/snapshot/") and u.path.endswith(".jpg"):
                data = snaps.get(u.path[len("/snapshot/"):-4])
                if data is not None:
                    return self.send(200, data, "image/jpeg")
            return self.send(404, b'{"error": "not found"}', "application/json")

    ThreadingHTTPServer.daemon_threads = True
    ThreadingHTTPServer(("127.0.0.1", port), Handler).serve_forever()


if __name__ == "__main__":
    main()
