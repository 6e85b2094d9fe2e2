"""Serve OHIF's published build (node_modules/@ohif/app/dist) on a loopback port of its own.

Usage: python serve.py PORT DICOMWEB_ROOT   (the bearer token comes in OHIF_BEARER_TOKEN)

A single-page app: a path with no file extension gets index.html, as OHIF's own serve.json and
_redirects ask. /app-config.js is this directory's template with the archive's URL and the
token filled in, made in memory so the token never reaches a file.
"""

from __future__ import annotations

import json
import os
import sys
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

HERE = Path(__file__).resolve().parent
DIST = HERE / "node_modules" / "@ohif" / "app" / "dist"


def app_config(dicomweb_root: str, token: str) -> bytes:
    text = (HERE / "app-config.js").read_text()
    # json.dumps gives a JavaScript string literal; the template's quotes are replaced with it.
    text = text.replace("'__DICOMWEB_ROOT__'", json.dumps(dicomweb_root))
    text = text.replace("'__BEARER_TOKEN__'", json.dumps(token))
    return text.encode()


class OhifHandler(SimpleHTTPRequestHandler):
    config = b""
    extensions_map = {
        **SimpleHTTPRequestHandler.extensions_map,
        ".js": "text/javascript",
        ".wasm": "application/wasm",
        ".jsonc": "application/json",
    }

    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0]
        if path == "/app-config.js":
            self.send_response(200)
            self.send_header("Content-Type", "text/javascript")
            self.send_header("Content-Length", str(len(self.config)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(self.config)
            return
        if not Path(path).suffix and not (DIST / path.lstrip("/")).is_file():
            # The single-page app's routes (/, /viewer, ...); a missing file stays a 404.
            self.path = "/index.html"
        super().do_GET()

    def log_message(self, format: str, *args: object) -> None:
        sys.stderr.write("%s\n" % (format % args))


def main() -> None:
    port, dicomweb_root = int(sys.argv[1]), sys.argv[2]
    if not (DIST / "index.html").exists():
        sys.exit(f"OHIF is not installed in {DIST}: run npm ci in {HERE} (scripts/install dev)")
    OhifHandler.config = app_config(dicomweb_root, os.environ["OHIF_BEARER_TOKEN"])
    server = ThreadingHTTPServer(("127.0.0.1", port), partial(OhifHandler, directory=str(DIST)))
    server.serve_forever()


if __name__ == "__main__":
    main()
