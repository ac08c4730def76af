"""The inbox: matches newest first, filtered and searched, a keyset page at a time."""
from __future__ import annotations

import threading
import time

from starlette.requests import Request

from crawler.web.common import newswatch, parse_day, parse_float, parse_id, render
from pipelines.inbox import VERDICT_FILTERS, InboxFilter, facets, inbox


def filter_of(request: Request) -> InboxFilter:
    """The inbox filter in this request's query string; values that make no sense are ignored."""
    p = request.query_params
    verdict = p.get("verdict")
    return InboxFilter(watch=p.get("watch") or None, source=p.get("source") or None,
                       language=p.get("language") or None, since=parse_day(p.get("since")),
                       until=parse_day(p.get("until"), end=True), min_score=parse_float(p.get("min_score")),
                       verdict=verdict if verdict in VERDICT_FILTERS else None, q=(p.get("q") or "")[:200])


FACETS_TTL = 300.0  # the filters' choices (languages scan the articles) are read again after this
_facets: dict = {}
_facets_lock = threading.Lock()


def cached_facets(request: Request, session) -> dict[str, list[str]]:
    key = id(request.app)
    with _facets_lock:
        found = _facets.get(key)
        if found and time.monotonic() - found[0] < FACETS_TTL:
            return found[1]
    value = facets(session)
    configured = [w.name for w in request.app.state.watches.get()[0]]
    value["watch"] = sorted(set(value["watch"]) | set(configured))
    with _facets_lock:
        _facets[key] = (time.monotonic(), value)
    return value


def page(request: Request):
    f = filter_of(request)
    p = request.query_params
    with newswatch(request).sessions() as session:
        result = inbox(session, f, before=parse_id(p.get("before")), after=parse_id(p.get("after")))
        choices = cached_facets(request, session)
    return render(request, "inbox.html", result=result, f=f, choices=choices, params=p,
                  verdicts=VERDICT_FILTERS, filters=_filter_string(request))


def _filter_string(request: Request) -> str:
    """The filters alone (no page cursor), carried to a match page so j/k keep to them."""
    from urllib.parse import urlencode

    return urlencode({k: v for k, v in request.query_params.items() if k not in ("before", "after") and v})
