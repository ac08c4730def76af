"""A lean static file server for the benchmarks: every file in memory, HTTP/1.1 keep-alive, no logs.

    python bench/static_server.py DIRECTORY PORT

The site a real crawl fetches runs on other machines; here it shares the benchmark's 2 cores, so
it should cost as little CPU as it can (Python's http.server stats, guesses and logs per request).
"""
from __future__ import annotations

import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

TYPES = {".html": "text/html; charset=utf-8", ".xml": "application/xml", ".txt": "text/plain"}


def load(directory: Path) -> dict[str, tuple[bytes, str]]:
    return {"/" + p.relative_to(directory).as_posix(): (p.read_bytes(), TYPES.get(p.suffix, "application/octet-stream"))
            for p in directory.rglob("*") if p.is_file()}


def main(directory: str, port: int) -> None:
    files = load(Path(directory))

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive: no new connection per page

        def do_GET(self):  # noqa: N802 (http.server naming)
            body, content_type = files.get(self.path.split("?", 1)[0], (b"not found", "text/plain"))
            self.send_response(200 if self.path.split("?", 1)[0] in files else 404)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    server.daemon_threads = True
    server.serve_forever()


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))
