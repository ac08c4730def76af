"""Plots, drawn as SVG on the server (pipelines.plots): matches per day per watch, language and
source; precision per day; source failures per day; alert latency."""
from __future__ import annotations

from datetime import timedelta

from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import Response

from crawler.web.common import newswatch, not_found, parse_id, render
from pipelines import stats
from pipelines.clock import utcnow
from pipelines.plots import line_chart

PLOTS = {
    "matches-by-watch": "Matches per day, by watch",
    "matches-by-language": "Matches per day, by language",
    "matches-by-source": "Matches per day, by source",
    "precision": "Precision per day (newest verdicts), by watch",
    "failures": "Source failures per day",
    "latency": "Alert latency (created → sent), per day",
}


def draw(session, name: str, period_days: int) -> str:
    now = utcnow()
    since = (now - timedelta(days=period_days - 1)).replace(hour=0, minute=0, second=0, microsecond=0)
    days = stats.days(since, now)
    title = PLOTS[name]
    if name.startswith("matches-by-"):
        return line_chart(stats.matches_per_day(session, since, name.removeprefix("matches-by-")), days, title=title)
    if name == "precision":
        return line_chart(stats.precision_per_day(session, since), days, unit="%", fill_zero=False, y_max=1,
                          title=title)
    if name == "failures":
        return line_chart(stats.failures_per_day(session, since), days, title=title)
    return line_chart(stats.alert_latency_per_day(session, since), days, unit="s", fill_zero=False, title=title)


def _period(request: Request) -> int:
    return min(parse_id(request.query_params.get("days")) or 30, 366)


def page(request: Request):
    period = _period(request)
    with newswatch(request).sessions() as session:
        figures = [(name, title, Markup(draw(session, name, period))) for name, title in PLOTS.items()]
    return render(request, "plots.html", figures=figures, period=period)


def svg(request: Request):
    name = request.path_params["name"]
    if name not in PLOTS:
        raise not_found(f"plot {name}")
    with newswatch(request).sessions() as session:
        return Response(draw(session, name, _period(request)), media_type="image/svg+xml")
