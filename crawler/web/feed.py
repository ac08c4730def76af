"""An Atom feed (RFC 4287) of a watch's newest matches, for analysts' own feed readers."""
from __future__ import annotations

from sqlalchemy import select
from starlette.requests import Request
from starlette.responses import Response

from crawler.web.common import newswatch, not_found, templates
from pipelines.clock import utcnow
from pipelines.models import Article, Match, Source

ENTRIES = 50


def atom(request: Request):
    name = request.path_params["name"]
    app = newswatch(request)
    with app.sessions() as session:
        rows = list(session.execute(
            select(Match, Article, Source.name).join(Article, Match.article_id == Article.id)
            .outerjoin(Source, Article.source_id == Source.id).where(Match.watch == name)
            .order_by(Match.id.desc()).limit(ENTRIES)))
    watch = request.app.state.watches.named(name)
    if watch is None and not rows:
        raise not_found(f"watch {name}")
    base = app.config.web.base_url or str(request.base_url).rstrip("/")
    updated = rows[0][0].created_at if rows else utcnow()
    xml = templates.get_template("feed.atom").render(
        base=base, name=name, title=watch.title if watch else name, updated=updated, rows=rows,
        self_url=f"{base}/watches/{name}/feed.atom")
    return Response(xml, media_type="application/atom+xml; charset=utf-8")
