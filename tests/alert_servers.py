"""Real receivers for alert delivery tests: an SMTP server (aiosmtpd) and an HTTP webhook.

Both listen on 127.0.0.1 on a free port, run in a background thread, and record what arrived so a
test can assert on the bytes Apprise actually sent — not on what we meant to send.
"""
from __future__ import annotations

import email
import email.policy
import socket
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# --- SMTP -------------------------------------------------------------------------------------


@dataclass
class ReceivedMail:
    mail_from: str
    rcpt_tos: list[str]
    raw: bytes
    message: EmailMessage

    def part(self, content_type: str) -> str | None:
        """The decoded text of the first part with this content type (e.g. "text/html")."""
        for part in self.message.walk():
            if part.get_content_type() == content_type:
                return part.get_content()
        return None


class _MailHandler:
    def __init__(self, box: SMTPServer):
        self.box = box

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self.box.lock:
            self.box.messages.append(
                ReceivedMail(envelope.mail_from, list(envelope.rcpt_tos), envelope.content, message)
            )
        return "250 OK"


@dataclass
class SMTPServer:
    host: str = "127.0.0.1"
    port: int = 0
    user: str = "alerts"
    password: str = "s3cret-smtp-pass"
    messages: list[ReceivedMail] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def url(self, to: str = "analyst@example.org", sender: str = "newswatch@example.org",
            password: str | None = None) -> str:
        """An Apprise mailto:// URL for this server: plain SMTP, AUTH LOGIN/PLAIN, no TLS."""
        pw = self.password if password is None else password
        return (f"mailto://{self.user}:{pw}@{self.host}:{self.port}"
                f"?from={sender}&to={to}&mode=insecure")

    def _authenticate(self, server, session, envelope, mechanism, auth_data):
        ok = isinstance(auth_data, LoginPassword) and (
            auth_data.login.decode() == self.user and auth_data.password.decode() == self.password
        )
        return AuthResult(success=ok, handled=False)  # handled=False: aiosmtpd sends the 535 reply


@contextmanager
def smtp_server():
    box = SMTPServer(port=free_port())
    controller = Controller(
        _MailHandler(box), hostname=box.host, port=box.port,
        # Test-only: allow AUTH on a plain connection so the URL can carry a (fake) secret.
        auth_require_tls=False, authenticator=box._authenticate,
    )
    controller.start()
    try:
        yield box
    finally:
        controller.stop()


# --- HTTP webhook -----------------------------------------------------------------------------


@dataclass
class ReceivedRequest:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    at: float = 0.0              # time.monotonic() when it arrived


@dataclass
class WebhookServer:
    host: str = "127.0.0.1"
    port: int = 0
    requests: list[ReceivedRequest] = field(default_factory=list)
    fail_first: int = 0          # answer the first N requests with HTTP 500
    delay: float = 0.0           # seconds each answer takes (a slow service)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def url(self, path: str = "/hook", scheme: str = "json") -> str:
        return f"{scheme}://{self.host}:{self.port}{path}"

    @property
    def bodies(self) -> list[bytes]:
        with self.lock:
            return [r.body for r in self.requests]


def _handler_for(box: WebhookServer):
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 (http.server naming)
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length)
            with box.lock:
                box.requests.append(ReceivedRequest("POST", self.path, dict(self.headers), body, time.monotonic()))
                failing = box.fail_first > 0
                if failing:
                    box.fail_first -= 1
            time.sleep(box.delay)
            self.send_response(500 if failing else 200)
            # Slack's incoming webhooks answer a bare "ok"; Apprise's Slack plugin checks for it.
            self.send_header("Content-Type", "text/plain")
            self.end_headers()
            self.wfile.write(b"internal error" if failing else b"ok")

        def log_message(self, *args):  # keep test output quiet
            pass

    return Handler


@contextmanager
def webhook_server(fail_first: int = 0, delay: float = 0.0):
    box = WebhookServer(fail_first=fail_first, delay=delay)
    httpd = ThreadingHTTPServer((box.host, 0), _handler_for(box))
    httpd.daemon_threads = True
    box.port = httpd.server_address[1]
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), name="webhook", daemon=True)
    thread.start()
    try:
        yield box
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)
