"""What every page handler shares: templates, the App, CSRF-checked forms, the configured watches."""
from __future__ import annotations

import secrets
import threading
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode

import jinja2
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse

from pipelines.clock import utcnow
from pipelines.watch import Matcher, Watch, load_watches

HERE = Path(__file__).resolve().parent
CSRF_COOKIE = "newswatch_csrf"

templates = jinja2.Environment(loader=jinja2.FileSystemLoader(HERE / "templates"), autoescape=True,
                               trim_blocks=True, lstrip_blocks=True, undefined=jinja2.StrictUndefined)


def when(value: datetime | None, with_seconds: bool = False) -> str:
    if value is None:
        return "–"
    return value.strftime("%Y-%m-%d %H:%M:%S" if with_seconds else "%Y-%m-%d %H:%M")


def ago(value: datetime | None) -> str:
    if value is None:
        return "never"
    seconds = (utcnow() - value).total_seconds()
    future = seconds < 0
    seconds = abs(seconds)
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            text = f"{seconds / size:.0f} {unit}"
            break
    else:
        text = f"{seconds:.0f} s"
    return f"in {text}" if future else f"{text} ago"


templates.filters.update(when=when, ago=ago)


def query(request: Request, **changes) -> str:
    """This page's query string with some parameters changed (None removes one)."""
    params = dict(request.query_params)
    for key, value in changes.items():
        if value is None:
            params.pop(key, None)
        else:
            params[key] = str(value)
    return ("?" + urlencode(params)) if params else "?"


def render(request: Request, template: str, status_code: int = 200, **context) -> HTMLResponse:
    context.update(request=request, csrf=csrf_token(request), query=lambda **c: query(request, **c),
                   page=template.removesuffix(".html"))
    response = HTMLResponse(templates.get_template(template).render(context), status_code=status_code)
    if CSRF_COOKIE not in request.cookies:
        response.set_cookie(CSRF_COOKIE, context["csrf"], httponly=True, samesite="strict", path="/")
    return response


def csrf_token(request: Request) -> str:
    """The double-submit token: the cookie's value, echoed by each form (and the script's header)."""
    token = request.cookies.get(CSRF_COOKIE) or request.scope.get("newswatch.csrf")
    if not token:
        token = request.scope["newswatch.csrf"] = secrets.token_urlsafe(32)
    return token


async def checked_form(request: Request) -> dict:
    """The POSTed form, after the CSRF check: its token (field or X-CSRF-Token header) must be the
    cookie's, which another site can neither read nor set (SameSite=Strict)."""
    form = await request.form()
    cookie = request.cookies.get(CSRF_COOKIE)
    sent = form.get("csrf") or request.headers.get("x-csrf-token")
    if not cookie or not sent or not secrets.compare_digest(str(sent), cookie):
        raise HTTPException(403, "missing or wrong CSRF token: reload the page and try again")
    return {key: value for key, value in form.items() if key != "csrf"}


def newswatch(request: Request):
    """The App (configuration, sessions)."""
    return request.app.state.newswatch


async def in_thread(function, *args, **kwargs):
    """Database work off the event loop."""
    return await run_in_threadpool(function, *args, **kwargs)


def not_found(what: str) -> HTTPException:
    return HTTPException(404, f"no {what}")


class Watches:
    """The configured watches and a matcher over them, loaded again when a file changes."""

    def __init__(self, paths_of):
        self._paths_of, self._lock, self._key, self._value = paths_of, threading.Lock(), None, ([], None)

    def get(self) -> tuple[list[Watch], Matcher]:
        paths = self._paths_of()
        key = tuple((str(p), p.stat().st_mtime_ns) for p in paths if p.exists())
        with self._lock:
            if key != self._key:
                watches = load_watches(paths)
                self._value, self._key = (watches, Matcher(watches)), key
            return self._value

    def named(self, name: str) -> Watch | None:
        return next((w for w in self.get()[0] if w.name == name), None)


def parse_day(value: str | None, end: bool = False) -> datetime | None:
    """'2026-11-30' → that day's start in UTC (``end``: the next day's start); bad input → None."""
    if not value:
        return None
    try:
        day = datetime.fromisoformat(value[:10]).replace(tzinfo=utcnow().tzinfo)
    except ValueError:
        return None
    return day + timedelta(days=1) if end else day


def parse_float(value: str | None) -> float | None:
    try:
        number = float(value) if value not in (None, "") else None
    except ValueError:
        return None
    return number if number is not None and abs(number) < 1e9 else None


def parse_id(value: str | None) -> int | None:
    try:
        number = int(value) if value else None
    except ValueError:
        return None
    return number if number is not None and 0 < number < 2**31 else None
