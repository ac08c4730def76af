"""One match: the article with every hit highlighted, why the watch fired (explained again on the
stored text), the other copies of the story, its alerts, and the verdict buttons."""
from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse

from crawler.web.common import checked_form, in_thread, newswatch, not_found, render
from crawler.web.inbox import filter_of
from pipelines.inbox import match_detail, neighbours
from pipelines.items import read_from_note
from pipelines.review import VERDICTS, highlighted, record_feedback
from pipelines.watch import Document


def page(request: Request):
    match_id = request.path_params["id"]
    with newswatch(request).sessions() as session:
        detail = match_detail(session, match_id)
        if detail is None:
            raise not_found(f"match {match_id}")
        newer, older = neighbours(session, filter_of(request), match_id)
    match, article = detail["match"], detail["article"]
    document = Document(article.title or "", article.text, article.language)
    watch = request.app.state.watches.named(match.watch)
    explanation = None
    if watch is not None:
        _, matcher = request.app.state.watches.get()
        explanation = next((r for r in matcher.explain(document) if r.watch == match.watch), None)
    hits = match.terms or []
    # a match the page read later does not bear out: its text hits were in the feed's text, which
    # the page's replaced (the title stays), so they would mark other words
    text_hits = [] if match.page_silent_at else hits
    return render(request, "match.html", d=detail, m=match, a=article, explanation=explanation,
                  watch_configured=watch is not None,
                  title_parts=highlighted(document.title, hits, "title"),
                  text_parts=highlighted(document.text, text_hits, "text"),
                  groups=sorted({h["group"] for h in hits}), newer=newer, older=older,
                  read_from=read_from_note(article.content_origin, article.fallback_reason),
                  filters=request.url.query)


async def verdict(request: Request):
    """Record a verdict: a form (redirects back) or the script's fetch (answers JSON)."""
    match_id = request.path_params["id"]
    form = await checked_form(request)
    choice, note = form.get("verdict"), (form.get("note") or "").strip()[:2000] or None
    if choice not in VERDICTS:
        return JSONResponse({"error": f"verdict must be one of {', '.join(VERDICTS)}"}, 400)

    def record():
        with newswatch(request).sessions() as session:
            record_feedback(session, match_id, choice, note, getattr(request.state, "user", None))

    try:
        await in_thread(record)
    except LookupError:
        raise not_found(f"match {match_id}") from None
    if "application/json" in request.headers.get("accept", ""):
        return JSONResponse({"match": match_id, "verdict": choice})
    back = str(form.get("next") or f"/matches/{match_id}")
    return RedirectResponse(back if back.startswith("/") and not back.startswith("//") else "/", 303)
