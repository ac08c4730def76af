"""Sources: each source's health, broken first."""
from __future__ import annotations

from starlette.requests import Request

from crawler.web.common import newswatch, render
from pipelines.stats import sources_overview


def page(request: Request):
    with newswatch(request).sessions() as session:
        rows = sources_overview(session)
    return render(request, "sources.html", rows=rows)
