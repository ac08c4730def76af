"""Serving the app: in the foreground (``newswatch web``) or in a thread of the daemon."""
from __future__ import annotations

import logging
import threading
from typing import Callable

import uvicorn

from crawler.config import ConfigError
from crawler.web.app import create_app
from crawler.web.auth import is_loopback

log = logging.getLogger(__name__)


def check_bind(app, host: str) -> None:
    """Refuse to serve on an address other machines reach while nobody has to log in."""
    if not is_loopback(host) and not app.config.web.authenticated:
        raise ConfigError("web.host", host, "the review app serves only on a loopback address (127.0.0.1) until "
                          "authentication is configured: web.password_hash (newswatch web --hash-password) "
                          "or web.auth_header behind a reverse proxy")


def _server(app, host: str, port: int) -> uvicorn.Server:
    check_bind(app, host)
    _ = app.sessions  # the schema is checked (SQLite: migrated) before the first request
    config = uvicorn.Config(create_app(app), host=host, port=port, log_level="warning", access_log=False,
                            server_header=False, lifespan="off")
    return uvicorn.Server(config)


def serve(app, host: str, port: int) -> None:
    """Serve until interrupted (Ctrl-C)."""
    server = _server(app, host, port)
    log.warning("review app on http://%s:%s/", host if ":" not in host else f"[{host}]", port)
    server.run()


def serve_in_background(app, host: str, port: int) -> Callable[[], None]:
    """Serve in a daemon thread; returns ``stop()``, which ends it and waits (at most 10 s).

    Returns once the port is bound; raises ``ConfigError`` for an address that needs
    authentication, ``OSError`` when the port cannot be bound."""
    server = _server(app, host, port)
    failed: list[BaseException] = []

    def run() -> None:
        try:
            server.run()  # not the main thread: uvicorn installs no signal handlers here
        except BaseException as exc:  # noqa: BLE001 - uvicorn exits (SystemExit) when it cannot bind
            failed.append(exc)

    thread = threading.Thread(target=run, name="newswatch-web", daemon=True)
    thread.start()
    while not server.started and thread.is_alive():
        thread.join(0.05)
    if not server.started:
        raise OSError(f"the review app could not listen on {host}:{port} (is the port in use?)")
    log.info("review app on http://%s:%s/", host, port)

    def stop() -> None:
        server.should_exit = True
        thread.join(10)

    return stop
