"""Watches: precision and recall per watch, source and language over several periods; the try
page, which runs an edited watch over the stored articles of the last 30 days before it is saved."""
from __future__ import annotations

import time
from datetime import timedelta

from sqlalchemy import select
from starlette.requests import Request

from crawler.web.common import checked_form, in_thread, newswatch, not_found, render
from pipelines.clock import utcnow
from pipelines.models import Article
from pipelines.queries import precision_report
from pipelines.watch import Document, Matcher, WatchError, parse_watch
from pipelines.watch.loader import read_watch_source

PERIODS = (7, 30, 90)
TRY_DAYS = 30
TRY_MAX_ARTICLES = 5000    # the newest ones of the period
TRY_SECONDS = 20.0         # and no longer than this
TRY_SHOWN = 100


def page(request: Request):
    watches, _ = request.app.state.watches.get()
    now = utcnow()
    with newswatch(request).sessions() as session:
        reports = {days: precision_report(session, now - timedelta(days=days)) for days in PERIODS}
    return render(request, "watches.html", watches=watches, reports=reports, periods=PERIODS)


async def try_page(request: Request):
    name = request.path_params["name"]
    watch = request.app.state.watches.named(name)
    if watch is None:
        raise not_found(f"watch {name}")
    if request.method == "GET":
        return render(request, "try.html", watch=watch, source=read_watch_source(watch.path), result=None,
                      problem=None)
    form = await checked_form(request)
    source = str(form.get("source") or "")
    try:
        edited = parse_watch(source, watch.path)
    except WatchError as exc:
        return render(request, "try.html", status_code=400, watch=watch, source=source, result=None,
                      problem=str(exc))
    result = await in_thread(compare, newswatch(request), watch, edited)
    return render(request, "try.html", watch=watch, source=source, result=result, problem=None)


def compare(app, before, after) -> dict:
    """Which stored articles of the last TRY_DAYS the edited watch newly matches or stops matching
    (both watches run on the same stored text, so only the edit makes a difference)."""
    old, new = Matcher([before]), Matcher([after])
    since = utcnow() - timedelta(days=TRY_DAYS)
    started, checked, gained, lost, kept = time.monotonic(), 0, [], [], 0
    with app.sessions() as session:
        ids = list(session.scalars(select(Article.id).where(Article.fetched_at >= since, Article.text_pruned_at.is_(None))
                                   .order_by(Article.id.desc()).limit(TRY_MAX_ARTICLES)))
        for start in range(0, len(ids), 200):
            if time.monotonic() - started > TRY_SECONDS:
                break
            for article in session.scalars(select(Article).where(Article.id.in_(ids[start:start + 200]))
                                           .order_by(Article.id.desc())):
                document = Document(article.title or "", article.text, article.language)
                was = old.match(document)
                now = new.match(document)
                checked += 1
                row = {"id": article.id, "title": article.title, "url": article.url,
                       "before": was[0].score if was else None, "after": now[0].score if now else None}
                if now and not was:
                    gained.append(row)
                elif was and not now:
                    lost.append(row)
                elif was:
                    kept += 1
    return {"checked": checked, "of": len(ids), "gained": gained[:TRY_SHOWN], "lost": lost[:TRY_SHOWN],
            "gained_count": len(gained), "lost_count": len(lost), "kept": kept, "days": TRY_DAYS,
            "renamed": before.name != after.name, "new_name": after.name}
