"""A local server that misbehaves on purpose: a subprocess on 127.0.0.1, on a random free port.

    with HostileServer(routes={"/trickle": {"trickle": 0.5}}) as server:
        server.url("/trickle")           # → "http://127.0.0.1:PORT/trickle"
        server.requests("/trickle")      # → [{"event": "request", "path", "query", "time", "headers"}, …]
        server.events("/trickle")        # → requests and "hangup" events (the client closed on us)

    HostileServer(routes=..., tls=True)  # HTTPS with a freshly made self-signed certificate

Unlike ``tests/mockserver.py`` (a well-behaved site), every route here is one misbehaviour.
A route spec is a dict; keys, applied in this order:

  ``sequence``      list of specs: the n-th request to the path gets ``sequence[n]`` (the last
                    one repeats); e.g. a 429 with Retry-After, then the page
  ``delay``         seconds to wait before answering
  ``raw``           bytes (``str``, latin-1) written to the socket verbatim, then the connection
                    is closed: any status line, headers or framing, including broken ones
  ``redirect``      Location value (``{port}`` is replaced by the server's port); ``status``
                    defaults to 302
  ``trickle``       seconds between bytes: headers at once, then the body one byte at a time
                    (``body`` repeated forever when ``forever``); a ``hangup`` event is logged
                    when the client closes the connection
  ``trickle_headers`` seconds between bytes of the status line and headers themselves
  otherwise         ``status`` (200), ``headers`` (dict), ``body`` (str, UTF-8; ``{port}`` is
                    replaced by the server's port, for links to itself under other names) or
                    ``body_file`` (path, sent as is), ``retry_after_in`` (seconds: adds a
                    ``Retry-After`` HTTP date that far ahead, computed when served) and
                    ``content_length`` (a lie: sent instead of the real length, then the
                    connection is closed after the real body) or ``no_content_length``
                    (no Content-Length at all: the body ends when the connection closes)

Built in: ``/__log`` (the event log as JSON; never logged itself), ``/__log/clear``.
"""
from __future__ import annotations

import argparse
import datetime as dt
import email.utils
import json
import os
import socket
import ssl
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

from tests.mockserver import ServerProcess

PROJECT_ROOT = Path(__file__).resolve().parents[1]


class HostileServer:
    """Starts ``python -m tests.hostile_server`` and stops it on exit."""

    def __init__(self, routes: dict | None = None, tls: bool = False, timeout: float = 15):
        self.routes = routes or {}
        self.tls = tls
        self.timeout = timeout
        self._process: ServerProcess | None = None
        self.base = ""
        self._tmp: tempfile.TemporaryDirectory | None = None

    def __enter__(self) -> "HostileServer":
        self._tmp = tempfile.TemporaryDirectory(prefix="hostile-server-")
        tmp = Path(self._tmp.name)
        (tmp / "routes.json").write_text(json.dumps(self.routes))
        cmd = [sys.executable, "-m", "tests.hostile_server", "--routes", str(tmp / "routes.json")]
        if self.tls:
            cert, key = make_self_signed_certificate(tmp)
            cmd += ["--cert", str(cert), "--key", str(key)]
        self._process = ServerProcess(cmd, "hostile server", self.timeout)
        try:
            self.base = self._process.start()
        except RuntimeError:
            self.__exit__(None, None, None)
            raise
        return self

    def __exit__(self, *exc) -> None:
        if self._process:
            self._process.stop()
        if self._tmp:
            self._tmp.cleanup()

    @property
    def port(self) -> int:
        return int(self.base.rsplit(":", 1)[1])

    @property
    def scheme(self) -> str:
        return "https" if self.tls else "http"

    def url(self, path: str = "/", host: str = "127.0.0.1") -> str:
        return f"{self.scheme}://{host}:{self.port}{path if path.startswith('/') else '/' + path}"

    def events(self, path: str | None = None) -> list[dict]:
        context = ssl._create_unverified_context() if self.tls else None  # our own test certificate
        import urllib.request

        with urllib.request.urlopen(self.url("/__log"), timeout=10, context=context) as response:  # noqa: S310
            log = json.loads(response.read())
        return [e for e in log if path is None or e["path"] == path]

    def requests(self, path: str | None = None) -> list[dict]:
        return [e for e in self.events(path) if e["event"] == "request"]

    def count(self, path: str) -> int:
        return len(self.requests(path))


def rss(entries: list[dict], title: str = "hostile") -> str:
    """An RSS 2.0 document; each entry is a dict of element name → raw XML text."""
    items = "".join("<item>" + "".join(f"<{k}>{v}</{k}>" for k, v in e.items()) + "</item>" for e in entries)
    return f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>{title}</title>{items}</channel></rss>'


def make_self_signed_certificate(directory: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 and localhost that no one vouches for (PEM files)."""
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=7))
        .add_extension(x509.SubjectAlternativeName([
            x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


# ---- the server process ------------------------------------------------------------------

class Handler(BaseHTTPRequestHandler):
    server_version = "newswatch-hostile/1.0"
    routes: dict = {}
    log: list[dict] = []
    hits: dict[str, int] = {}
    lock = threading.Lock()

    def log_message(self, format, *args):
        pass

    def do_GET(self):
        try:
            self._dispatch()
        except (BrokenPipeError, ConnectionResetError, ssl.SSLError, OSError):
            pass

    def _event(self, event: str, path: str, **extra) -> None:
        with self.lock:
            self.log.append({"event": event, "path": path, "time": time.time(), **extra})

    def _dispatch(self):
        parts = urlsplit(self.path)
        path = parts.path
        if path == "/__log":
            with self.lock:
                body = json.dumps(self.log).encode()
            return self._send(200, {"Content-Type": "application/json"}, body)
        if path == "/__log/clear":
            with self.lock:
                self.log.clear()
            return self._send(200, {"Content-Type": "text/plain"}, b"cleared")
        with self.lock:
            n = self.hits.get(path, 0)
            self.hits[path] = n + 1
        self._event("request", path, query=parts.query, headers={k.lower(): v for k, v in self.headers.items()})
        spec = self.routes.get(path)
        if spec is None:
            return self._send(404, {"Content-Type": "text/html; charset=utf-8"}, b"<html><body>not found</body></html>")
        if "sequence" in spec:
            spec = spec["sequence"][min(n, len(spec["sequence"]) - 1)]
        self._route(path, spec)

    def _route(self, path: str, spec: dict):
        if spec.get("delay"):
            time.sleep(float(spec["delay"]))
        if "raw" in spec:
            self.wfile.write(spec["raw"].encode("latin-1"))
            self.wfile.flush()
            self.close_connection = True
            return
        headers = dict(spec.get("headers", {}))
        status = int(spec.get("status", 200))
        if "redirect" in spec:
            headers["Location"] = spec["redirect"].replace("{port}", str(self.server.server_address[1]))
            return self._send(int(spec.get("status", 302)), headers, b"")
        if "body_file" in spec:
            body = Path(spec["body_file"]).read_bytes()
        else:
            body = str(spec.get("body", "")).replace("{port}", str(self.server.server_address[1])).encode("utf-8")
        headers.setdefault("Content-Type", "text/html; charset=utf-8")
        if "retry_after_in" in spec:
            when = time.time() + float(spec["retry_after_in"])
            headers["Retry-After"] = email.utils.formatdate(when, usegmt=True)
        if "trickle" in spec or "trickle_headers" in spec:
            return self._trickle(path, spec, status, headers, body)
        if spec.get("no_content_length"):  # close-delimited body (HTTP/1.0 style): no size up front
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)
            self.close_connection = True
            return
        self._send(status, headers, body, content_length=spec.get("content_length"))

    def _trickle(self, path: str, spec: dict, status: int, headers: dict, body: bytes):
        head = f"HTTP/1.0 {status} OK\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        if not spec.get("forever"):
            head += f"Content-Length: {len(body)}\r\n"
        head = (head + "\r\n").encode("latin-1")
        start = time.time()
        try:
            if "trickle_headers" in spec:
                for i in range(len(head)):
                    self._write(head[i:i + 1])
                    time.sleep(float(spec["trickle_headers"]))
            else:
                self._write(head)
            i = 0
            while spec.get("forever") or i < len(body):
                self._write(body[i % len(body):i % len(body) + 1])
                i += 1
                time.sleep(float(spec.get("trickle", 1)))
        except OSError:
            self._event("hangup", path, after=time.time() - start, bytes_sent=i if "i" in locals() else 0)

    def _write(self, data: bytes) -> None:
        self.wfile.write(data)
        self.wfile.flush()
        # A write into a socket the client closed can still succeed once (the kernel buffers
        # it); a zero-timeout peek notices the FIN or RST at once, so hang-ups are timed exactly.
        sock = self.connection
        sock.setblocking(False)
        try:
            if isinstance(sock, ssl.SSLSocket):
                return
            if sock.recv(1, socket.MSG_PEEK) == b"":
                raise BrokenPipeError("client closed the connection")
        except BlockingIOError:
            pass
        finally:
            sock.setblocking(True)

    def _send(self, status: int, headers: dict, body: bytes, content_length: int | None = None):
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(content_length if content_length is not None else len(body)))
        self.end_headers()
        if body:
            self.wfile.write(body)
        self.wfile.flush()
        self.close_connection = True


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="newswatch hostile test server")
    parser.add_argument("--routes")
    parser.add_argument("--cert")
    parser.add_argument("--key")
    args = parser.parse_args(argv)
    Handler.routes = json.loads(Path(args.routes).read_text()) if args.routes else {}
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    scheme = "http"
    if args.cert:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(args.cert, args.key)
        server.socket = context.wrap_socket(server.socket, server_side=True)
        scheme = "https"
    print(f"{scheme}://127.0.0.1:{server.server_address[1]}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    main()
