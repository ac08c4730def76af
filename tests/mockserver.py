"""A local HTTP server for crawl tests: a subprocess on 127.0.0.1, on a random free port.

    with MockServer() as server:                       # serves tests/site/
        server.url("/feeds/rss2.xml")                  # → "http://127.0.0.1:PORT/feeds/rss2.xml"
        server.requests("/feeds/rss2.xml")             # → [{"method", "path", "query", "time", "headers"}, …]
        server.count("/robots.txt")                    # → 1

    MockServer(site_dir=tmp_path, routes={"/boom": {"status": 500, "body": "oops"}})

Serving a site directory
  * ``/a/b.html`` → ``SITE/a/b.html``; ``/a/`` → ``SITE/a/index.html``; other paths → 404.
  * Content-Type comes from the extension (``CONTENT_TYPES``; ``.html`` is UTF-8). A sidecar file
    ``NAME.headers`` beside ``NAME`` replaces or adds headers, one ``Name: value`` a line, ``#``
    comments allowed; a ``Status: 403`` line sets the status (with ``Location:`` for redirects).
    Files in another charset than their extension's default need a sidecar. Sidecars are never
    served.
  * Every file gets ``ETag`` (content hash) and ``Last-Modified`` (mtime); ``If-None-Match`` /
    ``If-Modified-Since`` get a real ``304 Not Modified``.
  * Text bodies are gzipped (``Content-Encoding: gzip``) when the request accepts gzip.

Built-in routes (all requests are logged except those for ``/__log``)
  * ``/__log`` → the request log as JSON; ``/__log/clear`` empties it.
  * ``/__status/<code>`` → that status, small HTML body.
  * ``/__slow/<seconds>/<path>`` → waits, then serves ``/<path>`` (a stub page if empty).
  * ``/__redirect?to=<url>&status=<code>`` → redirect anywhere (default 302).
  * ``/pl/rosja-pakistan-bezpieczenstwo.html`` → the shared Polish seed brief wrapped in an article
    template at serve time (404 when the shared data is absent; the text is never copied here).

Extra routes: ``routes={path: spec}``, spec keys ``status``, ``headers`` (dict), ``body`` (str,
UTF-8) or ``body_file`` (path), ``redirect`` (URL), ``delay`` (seconds). They win over files.
A route that sets ``Content-Encoding`` itself is sent as is (pre-compressed ``body_file``).
"""
from __future__ import annotations

import argparse
import email.utils
import gzip
import hashlib
import html
import json
import mimetypes
import os
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

PROJECT_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_SITE = Path(__file__).resolve().parent / "site"
SEED_PATH = "/pl/rosja-pakistan-bezpieczenstwo.html"
SEED_TITLE = "Rosja zacieśnia współpracę z Pakistanem"

CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".xml": "application/xml",
    ".rss": "application/rss+xml",
    ".rdf": "application/rdf+xml",
    ".atom": "application/atom+xml",
    ".txt": "text/plain; charset=utf-8",
    ".json": "application/json",
    ".gz": "application/gzip",
}
TEXTUAL = ("text/", "application/xml", "application/rss", "application/atom", "application/rdf", "application/json")


class MockServer:
    """Starts ``python -m tests.mockserver`` and stops it on exit."""

    def __init__(self, site_dir: str | os.PathLike | None = None, routes: dict | None = None, timeout: float = 15):
        self.site_dir = Path(site_dir or DEFAULT_SITE).resolve()
        self.routes = routes or {}
        self.timeout = timeout
        self._process: ServerProcess | None = None
        self.base = ""
        self._routes_file: str | None = None

    def __enter__(self) -> "MockServer":
        fd, self._routes_file = tempfile.mkstemp(suffix=".json", prefix="mockserver-routes-")
        with os.fdopen(fd, "w") as f:
            json.dump(self.routes, f)
        self._process = ServerProcess(
            [sys.executable, "-m", "tests.mockserver", "--site", str(self.site_dir), "--routes", self._routes_file],
            "mock server", self.timeout)
        try:
            self.base = self._process.start()
        except RuntimeError:
            self.__exit__(None, None, None)
            raise
        return self

    def __exit__(self, *exc) -> None:
        if self._process:
            self._process.stop()
        if self._routes_file:
            Path(self._routes_file).unlink(missing_ok=True)

    @property
    def port(self) -> int:
        return int(self.base.rsplit(":", 1)[1])

    def url(self, path: str = "/", host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}{path if path.startswith('/') else '/' + path}"

    def requests(self, path: str | None = None) -> list[dict]:
        """Requests received so far (all, or those for one path), oldest first."""
        log = json.loads(_get(self.url("/__log")))
        return [r for r in log if path is None or r["path"] == path]

    def count(self, path: str) -> int:
        return len(self.requests(path))

    def clear_log(self) -> None:
        _get(self.url("/__log/clear"))


def _get(url: str) -> bytes:
    import urllib.request

    with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 (local test server)
        return response.read()


class ServerProcess:
    """A test server in a child process that prints its base URL as its first line of output."""

    def __init__(self, command: list[str], name: str, timeout: float):
        self.command, self.name, self.timeout = command, name, timeout
        self.proc: subprocess.Popen | None = None

    def start(self) -> str:
        self.proc = subprocess.Popen(self.command, cwd=PROJECT_ROOT, stdout=subprocess.PIPE, text=True)
        result: list[str] = []
        reader = threading.Thread(target=lambda: result.append(self.proc.stdout.readline()), daemon=True)
        reader.start()
        reader.join(self.timeout)
        line = result[0] if result else ""
        if not line.startswith("http"):
            raise RuntimeError(f"{self.name} did not start: {line!r}")
        return line.strip()

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc and self.proc.stdout:
            self.proc.stdout.close()


# ---- the server process ------------------------------------------------------------------

def seed_article_html() -> bytes | None:
    """The Polish seed brief as a realistic article page, or None if the shared data is absent."""
    from tests.shared_data import shared_data_dir

    path = shared_data_dir() / "seed" / "warsaw-institute-russia-pakistan.pl.txt"
    if not path.exists():
        return None
    paragraphs = [p.strip() for p in path.read_text(encoding="utf-8").split("\n") if p.strip()]
    body = "\n".join(f"      <p>{html.escape(p)}</p>" for p in paragraphs)
    title = html.escape(SEED_TITLE)
    return f"""<!DOCTYPE html>
<html lang="pl">
<head>
  <meta charset="utf-8">
  <title>{title} | Przegląd Bezpieczeństwa</title>
  <meta name="description" content="Pakistan wzmacnia rosyjski wektor swojej polityki zagranicznej.">
  <meta property="og:title" content="{title}">
  <meta property="article:published_time" content="2018-04-27T09:30:00+02:00">
  <link rel="canonical" href="{SEED_PATH}">
</head>
<body>
  <header class="site-header"><a href="/">Przegląd Bezpieczeństwa</a>
    <nav><a href="/pl/kategoria/azja/">Azja</a> <a href="/pl/kategoria/rosja/">Rosja</a> <a href="/pl/kontakt.html">Kontakt</a></nav>
  </header>
  <main>
    <article>
      <h1>{title}</h1>
      <p class="byline">Redakcja · <time datetime="2018-04-27T09:30:00+02:00">27 kwietnia 2018</time></p>
{body}
    </article>
    <aside class="related"><h2>Czytaj także</h2><ul><li><a href="/pl/rolnictwo.html">Susza a ceny zbóż</a></li></ul></aside>
  </main>
  <footer><p>© Przegląd Bezpieczeństwa. Strona testowa newswatch.</p></footer>
</body>
</html>
""".encode("utf-8")


class Handler(BaseHTTPRequestHandler):
    server_version = "newswatch-mockserver/1.0"
    site: Path = DEFAULT_SITE
    routes: dict = {}
    log: list[dict] = []
    lock = threading.Lock()

    def log_message(self, format, *args):  # keep test output quiet
        pass

    def do_GET(self):
        try:
            self._dispatch()
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (timeouts are tested on purpose)

    def _dispatch(self):
        parts = urlsplit(self.path)
        path, query = parts.path, parse_qs(parts.query)
        if path == "/__log":
            with self.lock:
                return self._send(200, {"Content-Type": "application/json"}, json.dumps(self.log).encode())
        if path == "/__log/clear":
            with self.lock:
                self.log.clear()
            return self._send(200, {"Content-Type": "text/plain"}, b"cleared")
        with self.lock:
            self.log.append({"method": self.command, "path": path, "query": parts.query, "time": time.time(),
                             "headers": {k.lower(): v for k, v in self.headers.items()}})
        if path in self.routes:
            return self._route(self.routes[path])
        if path.startswith("/__status/"):
            code = int(path.rsplit("/", 1)[1])
            return self._send(code, {"Content-Type": "text/html; charset=utf-8"},
                              f"<html><body><h1>{code}</h1></body></html>".encode())
        if path.startswith("/__slow/"):
            _, _, seconds, *rest = path.split("/")
            time.sleep(float(seconds))
            if rest and rest[0]:
                return self._file("/" + "/".join(rest))
            return self._send(200, {"Content-Type": "text/html; charset=utf-8"},
                              b"<html><body><p>finally</p></body></html>")
        if path == "/__redirect":
            status = int(query.get("status", ["302"])[0])
            return self._send(status, {"Location": query["to"][0]}, b"")
        if path == SEED_PATH:
            page = seed_article_html()
            if page is None:
                return self._send(404, {"Content-Type": "text/plain"}, b"seed article not available")
            return self._serve(page, {"Content-Type": "text/html; charset=utf-8"}, 200, mtime=0)
        return self._file(path)

    def _route(self, spec: dict):
        if spec.get("delay"):
            time.sleep(float(spec["delay"]))
        headers = dict(spec.get("headers", {}))
        if spec.get("redirect"):
            headers["Location"] = spec["redirect"]
            return self._send(int(spec.get("status", 302)), headers, b"")
        if "body_file" in spec:
            body = Path(spec["body_file"]).read_bytes()
        else:
            body = str(spec.get("body", "")).encode("utf-8")
        headers.setdefault("Content-Type", "text/html; charset=utf-8")
        return self._serve(body, headers, int(spec.get("status", 200)))

    def _file(self, path: str):
        target = (self.site / path.lstrip("/")).resolve()
        if path.endswith("/"):
            target = target / "index.html"
        if self.site not in target.parents or target.suffix == ".headers" or not target.is_file():
            return self._send(404, {"Content-Type": "text/html; charset=utf-8"}, b"<html><body>not found</body></html>")
        headers = {"Content-Type": CONTENT_TYPES.get(target.suffix) or mimetypes.guess_type(target.name)[0]
                   or "application/octet-stream"}
        status = 200
        sidecar = target.with_name(target.name + ".headers")
        if sidecar.exists():
            for line in sidecar.read_text(encoding="utf-8").splitlines():
                if line.strip() and not line.startswith("#") and ":" in line:
                    name, value = (x.strip() for x in line.split(":", 1))
                    if name.lower() == "status":
                        status = int(value)
                    else:
                        headers[name] = value
        return self._serve(target.read_bytes(), headers, status, mtime=target.stat().st_mtime)

    def _serve(self, body: bytes, headers: dict, status: int, mtime: float | None = None):
        if status == 200:
            etag = '"' + hashlib.sha1(body).hexdigest()[:16] + '"'
            headers.setdefault("ETag", etag)
            if mtime is not None:
                headers.setdefault("Last-Modified", email.utils.formatdate(int(mtime), usegmt=True))
            if self._not_modified(headers):
                return self._send(304, {k: v for k, v in headers.items() if k in ("ETag", "Last-Modified")}, b"")
        ctype = headers.get("Content-Type", "")
        already = "Content-Encoding" in headers  # a route serving pre-compressed bytes (e.g. a bomb)
        if not already and "gzip" in self.headers.get("Accept-Encoding", "") and ctype.startswith(TEXTUAL) and body:
            body = gzip.compress(body)
            headers["Content-Encoding"] = "gzip"
            headers["Vary"] = "Accept-Encoding"
        return self._send(status, headers, body)

    def _not_modified(self, headers: dict) -> bool:
        inm = self.headers.get("If-None-Match")
        if inm:
            return headers["ETag"] in [t.strip() for t in inm.split(",")] or inm.strip() == "*"
        ims = self.headers.get("If-Modified-Since")
        if ims and "Last-Modified" in headers:
            try:
                return email.utils.parsedate_to_datetime(ims) >= email.utils.parsedate_to_datetime(headers["Last-Modified"])
            except (TypeError, ValueError):
                return False
        return False

    def _send(self, status: int, headers: dict, body: bytes):
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        if status != 304:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if status != 304 and body:
            self.wfile.write(body)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="newswatch test HTTP server")
    parser.add_argument("--site", default=str(DEFAULT_SITE))
    parser.add_argument("--routes")
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args(argv)
    Handler.site = Path(args.site).resolve()
    Handler.routes = json.loads(Path(args.routes).read_text()) if args.routes else {}
    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    server.daemon_threads = True
    print(f"http://127.0.0.1:{server.server_address[1]}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
