"""The ASGI app: routes, security headers, authentication."""
from __future__ import annotations

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.base import BaseHTTPMiddleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from crawler.web import feed, feedback, inbox, match, missed, outbox, plots, sources, watches
from crawler.web.auth import BasicAuth
from crawler.web.common import HERE, Watches, render

CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
       "form-action 'self'; base-uri 'none'; frame-ancestors 'none'")
OPEN_PATHS = ("/static/", "/f/")  # a signed feedback link is its own authority


class Guard(BaseHTTPMiddleware):
    """Authentication (when configured) and the security headers of every response."""

    def __init__(self, asgi, web_config):
        super().__init__(asgi)
        self.basic = BasicAuth(web_config.user, web_config.password_hash) if web_config.password_hash else None
        self.header = web_config.auth_header

    async def dispatch(self, request: Request, call_next) -> Response:
        request.state.user = None  # who is using the app, when authentication says so (verdicts record it)
        if not request.url.path.startswith(OPEN_PATHS):
            if self.header and not request.headers.get(self.header):
                return PlainTextResponse(f"no {self.header} header: reach the app through its reverse proxy", 403)
            if self.header:
                request.state.user = request.headers[self.header]
            if self.basic:
                request.state.user = self.basic(request.headers.get("authorization"))
                if request.state.user is None:
                    return PlainTextResponse("authentication required", 401,
                                             {"WWW-Authenticate": 'Basic realm="newswatch", charset="UTF-8"'})
        response = await call_next(request)
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers["X-Frame-Options"] = "DENY"
        return response


async def error_page(request: Request, exc) -> Response:
    status = getattr(exc, "status_code", 500)
    return render(request, "error.html", status_code=status, status=status,
                  detail=getattr(exc, "detail", "") or "something went wrong")


def create_app(app) -> Starlette:
    """The review app over ``app`` (a crawler.app.App: configuration and sessions)."""
    routes = [
        Route("/", inbox.page),
        Route("/matches/{id:int}", match.page),
        Route("/matches/{id:int}/verdict", match.verdict, methods=["POST"]),
        Route("/missed", missed.page, methods=["GET", "POST"]),
        Route("/missed/{id:int}", missed.detail),
        Route("/missed/{id:int}/example.txt", missed.example),
        Route("/f/{token}", feedback.page, methods=["GET", "POST"]),
        Route("/sources", sources.page),
        Route("/outbox", outbox.page),
        Route("/outbox/retry", outbox.retry, methods=["POST"]),
        Route("/watches", watches.page),
        Route("/watches/{name}/try", watches.try_page, methods=["GET", "POST"]),
        Route("/watches/{name}/feed.atom", feed.atom),
        Route("/plots", plots.page),
        Route("/plots/{name}.svg", plots.svg),
        Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
    ]
    web = Starlette(routes=routes, middleware=[Middleware(Guard, web_config=app.config.web)],
                    exception_handlers={404: error_page, 403: error_page, 400: error_page, 405: error_page})
    web.state.newswatch = app
    web.state.watches = Watches(app.config.watch_paths)
    return web
