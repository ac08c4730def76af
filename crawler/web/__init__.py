"""The review app: a small server-rendered web app over the store, for analysts and operators.

One handler module per page (as Miniflux's internal/ui): ``inbox``, ``match``, ``missed``,
``feedback`` (signed links from alerts), ``sources``, ``outbox``, ``watches`` (precision, the try
page, Atom feeds), ``plots``. Templates and static files (one script, one stylesheet) are in the
package: no CDN, no inline script, works offline. ``create_app`` builds the ASGI app;
``serve`` runs it (``newswatch web``) and ``serve_in_background`` runs it in a thread of the
daemon (``newswatch run --web``).
"""
from crawler.web.app import create_app
from crawler.web.server import serve, serve_in_background

__all__ = ["create_app", "serve", "serve_in_background"]
