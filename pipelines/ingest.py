"""Item → article record: extraction, the feed fallback, language and identity.

Plain Python: the Scrapy adapter and the benchmark call ``build_article`` the same way.
Order: the page's extracted text when there is an article on it (``extract_article`` decides,
with ``MIN_ARTICLE_CHARS``); otherwise the feed's full content; otherwise the feed's summary,
each time saying why in ``fallback_reason``. When the feed's content is the whole article
(``feed_carries_full_article``), the feed spider does not fetch the page at all: the item comes
without HTML, with ``fallback_reason`` = ``items.FULL_CONTENT_REASON``, and is stored as "feed-content".
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from pipelines.clock import utcnow
from pipelines.dedup import canonical_url, content_hash, simhash
from pipelines.extract import extract_article, text_from_html_fragment
from pipelines.items import ArticleItem
from pipelines.language import detect_language
from pipelines.text import one_line


# "Full" is decided on the feed's content element only (RSS content:encoded, Atom <content>), never
# on a summary or description: its text must be article-sized and must not end the way teasers do.
# Teasers and excerpts run to a few hundred characters (WordPress cuts at 55 words); news articles
# run to thousands. A feed that passes is stored from its own text, as when the page fails; one
# that does not is fetched as always, so a wrong "no" costs a fetch and a wrong "yes" is guarded by
# the length and the endings below.
FULL_CONTENT_CHARS = 1500
_TEASER_ENDING = re.compile(
    r"(\.\.\.|…|\[…\]|\[\.\.\.\]|\(more…\)|\(more\.\.\.\)|read more|read the full|continue reading|"
    r"keep reading|more »|weiterlesen|lire la suite|czytaj dalej|czytaj więcej|"
    r"читать далее|подробнее|ادامه|مزید پڑھیں)\W{0,40}$",
    re.IGNORECASE)
# WordPress ends full articles and teasers alike with "The post <title> appeared first on <site>."
_WORDPRESS_FOOTER = re.compile(r"\s*The post .{1,400} appeared first on [^\n]{1,200}$", re.IGNORECASE)


def feed_carries_full_article(feed_content: str | None) -> bool:
    """Whether a feed entry's content element is the whole article, so its page need not be fetched."""
    if not feed_content or len(feed_content) < FULL_CONTENT_CHARS:
        return False
    text = text_from_html_fragment(feed_content)
    if "appeared first on" in text[-300:]:
        text = text[:-700] + _WORDPRESS_FOOTER.sub("", text[-700:])
    return len(text) >= FULL_CONTENT_CHARS and not _TEASER_ENDING.search(text[-300:])


@dataclass
class ArticleRecord:
    url: str
    canonical_url: str
    content_hash: str
    source: str
    title: str | None
    author: str | None
    text: str
    language: str | None
    published_at: datetime | None
    content_origin: str             # page | feed-content | feed-summary
    fallback_reason: str | None
    entry_id: str | None
    discovered_via: str
    simhash: int | None = None      # near-duplicate signature; computed here, in the worker processes


def fallback_reason_of(item: ArticleItem) -> str:
    """Why the item's page gave no article: the spider's reason, else that the page held none."""
    return item.fallback_reason or ("no article text on the page" if item.html is not None else "page not fetched")


def build_article(item: ArticleItem, now: datetime | None = None) -> ArticleRecord | None:
    """The article this item stands for, or None when there is no text at all."""
    now = now or utcnow()
    # the entry's own title and date win over the page's: the page is not searched for them then
    extracted = extract_article(item.html, item.url, language_hint=item.language_hint, now=now,
                                need_title=not one_line(item.title), need_date=item.published_at is None,
                                ) if item.html else None
    author = None
    if extracted:
        text, origin, reason = extracted.text, "page", None
        author = extracted.author
    else:
        reason = fallback_reason_of(item)
        feed_text = text_from_html_fragment(item.feed_content) if item.feed_content else ""
        summary_text = text_from_html_fragment(item.feed_summary) if item.feed_summary else ""
        if feed_text.strip():
            text, origin = feed_text, "feed-content"
        elif summary_text.strip():
            text, origin = summary_text, "feed-summary"
        else:
            return None
    title = one_line(item.title) or (extracted.title if extracted else None)
    published = item.published_at or (extracted.published_at if extracted else None)
    if published and published > now:
        published = now  # a date in the future is a feed's mistake; never sort it above today
    language = (extracted.language if extracted else None) or detect_language(text, item.language_hint)
    return ArticleRecord(
        url=item.url,
        canonical_url=canonical_url(item.url),
        content_hash=content_hash(title, text),
        source=item.source,
        title=title,
        author=author,
        text=text,
        language=language,
        published_at=published,
        content_origin=origin,
        fallback_reason=reason,
        entry_id=item.entry_id,
        discovered_via=item.discovered_via,
        simhash=simhash(text),
    )
