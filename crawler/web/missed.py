"""Missed articles: an analyst pastes a URL or a text the watch should have caught; it is stored
with the watch's explanation (why it did not fire), counted as a false negative in `report`, and
can be downloaded as a labelled example for `watch test`."""
from __future__ import annotations

from sqlalchemy import select
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse

from crawler.web.common import checked_form, in_thread, newswatch, not_found, render
from pipelines.language import detect_language
from pipelines.models import MissedArticle
from pipelines.review import example_file, report_missed
from pipelines.watch import Document, MatchResult

MAX_TEXT = 200_000


def _recent(app) -> list[MissedArticle]:
    with app.sessions() as session:
        return list(session.scalars(select(MissedArticle).order_by(MissedArticle.id.desc()).limit(100)))


async def page(request: Request):
    app = newswatch(request)
    watches, _ = request.app.state.watches.get()
    names = [w.name for w in watches]
    if request.method == "GET":
        return render(request, "missed.html", names=names, missed=await in_thread(_recent, app), problem=None, form={})
    form = await checked_form(request)
    try:
        missed_id = await in_thread(_report, request, form)
    except ValueError as exc:
        return render(request, "missed.html", status_code=400, names=names, missed=await in_thread(_recent, app),
                      problem=str(exc), form=form)
    return RedirectResponse(f"/missed/{missed_id}", 303)


def _report(request: Request, form: dict) -> int:
    """Store the report; ValueError says what is wrong with the form, or why the URL was refused."""
    from crawler.explain_input import FetchRefused, load_document

    app = newswatch(request)
    _, matcher = request.app.state.watches.get()
    watch = str(form.get("watch") or "")
    url = str(form.get("url") or "").strip() or None
    text = str(form.get("text") or "").strip()[:MAX_TEXT]
    title = " ".join(str(form.get("title") or "").split())[:500]
    note = str(form.get("note") or "").strip()[:2000] or None
    if watch not in {w.name for w in matcher.watches}:
        raise ValueError("choose the watch that should have caught the article")
    if text:
        document = Document(title, text, detect_language(f"{title}\n{text}"))
    elif url:
        if not url.startswith(("http://", "https://")):  # never a path: load_document would read a file
            raise ValueError("the URL must start with http:// or https://")
        try:
            document = load_document(app, url)
        except (FetchRefused, OSError) as exc:
            raise ValueError(f"could not fetch {url}: {exc}") from None
        if title:
            document = Document(title, document.text, document.language)
    else:
        raise ValueError("paste the article's URL, or its text")
    with app.sessions() as session:
        return report_missed(session, matcher, watch, document, url, note).id


def _get(request: Request) -> MissedArticle:
    missed_id = request.path_params["id"]
    with newswatch(request).sessions() as session:
        row = session.get(MissedArticle, missed_id)
    if row is None:
        raise not_found(f"missed article {missed_id}")
    return row


def detail(request: Request):
    row = _get(request)
    return render(request, "missed_detail.html", row=row, result=MatchResult.from_dict(row.explanation),
                  filename=example_file(row)[0])


def example(request: Request):
    name, content = example_file(_get(request))
    return PlainTextResponse(content, headers={"Content-Disposition": f'attachment; filename="{name}"'})
