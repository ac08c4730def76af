"""A generated news site for crash, concurrency and soak runs: N article pages and an RSS feed.

    pages = write_site(tmp_path / "site", count=30, relevant_every=3, slow=0.4)
    with MockServer(site_dir=tmp_path / "site") as server:
        feed_url = server.url("/feed.xml")

Every page has its own text (its own content hash). Pages ``i % relevant_every == 0`` carry a
Russia–Pakistan security story the bundled watch matches; the others are plain filler that it
does not. Feed links are host-relative (the server's random port is not known yet), and with
``slow`` (seconds, or a function of the page) they go through MockServer's ``/__slow/<seconds>/``
route, so a crawl takes long enough to be interrupted. The feed is newest first and the newest
pages have the highest numbers: a crawl fetches them first. ``update_site`` adds pages and rewrites the feed (new work each cycle).
"""
from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Union
from xml.sax.saxutils import escape

STORY = (
    "Russian and Pakistani special forces began the Druzhba joint military exercise near Rawalpindi on "
    "Monday, the Inter-Services Public Relations said. The drills focus on counter-terrorism operations "
    "in mountainous terrain. Moscow and Islamabad signed a defence cooperation agreement in 2014 and "
    "Russia has since delivered Mi-35M attack helicopters to the Pakistan Army."
)
WORDS = ("market harvest weather council festival museum library school garden railway bridge river "
         "season concert league stadium tourism recipe village orchard bakery theatre novel").split()


@dataclass(frozen=True)
class Page:
    number: int
    path: str          # "/articles/7.html"
    title: str
    relevant: bool


Slow = Union[float, Callable[[Page], float]]  # seconds each page takes to serve (or per page)


def _filler(rng: random.Random, sentences: int) -> str:
    return " ".join(" ".join(rng.choice(WORDS) for _ in range(rng.randint(10, 18))).capitalize() + "."
                    for _ in range(sentences))


def story_text(number: int) -> str:
    """A matching article's text of its own: the story amid filler, so no two are near duplicates."""
    rng = random.Random(number)
    return "\n".join([_filler(rng, 4), STORY, _filler(rng, 4), f"This is report number {number}."])


def page_html(page: Page) -> str:
    rng = random.Random(page.number)
    paragraphs = [_filler(rng, 4) for _ in range(3)]
    if page.relevant:
        paragraphs.insert(1, STORY)
    paragraphs.append(f"This is report number {page.number} of the generated site.")
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    nav = "".join(f'<li><a href="/section/{k}/">Section {k}</a></li>' for k in range(12))
    return (f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{escape(page.title)}</title>'
            f'<meta property="article:published_time" content="2030-01-01T08:00:00Z"></head>'
            f'<body><header><nav><ul>{nav}</ul></nav></header><main><article><h1>{escape(page.title)}</h1>'
            f'{body}</article></main><footer><p>Generated site</p></footer></body></html>')


def make_pages(start: int, count: int, relevant_every: int) -> list[Page]:
    return [Page(i, f"/articles/{i}.html",
                 (f"Security report {i}: Russia and Pakistan" if i % relevant_every == 0 else f"Local news {i}"),
                 i % relevant_every == 0)
            for i in range(start, start + count)]


def _link(page: Page, slow: Slow) -> str:
    seconds = slow(page) if callable(slow) else slow
    return f"/__slow/{seconds:g}{page.path}" if seconds else page.path


def write_feed(site: Path, pages: list[Page], slow: Slow = 0.0, name: str = "feed.xml") -> None:
    items = "".join(
        f"<item><title>{escape(p.title)}</title><link>{_link(p, slow)}</link><guid>gen-{p.number}</guid>"
        f"<pubDate>Tue, 01 Jan 2030 {p.number // 3600 % 24:02d}:{p.number // 60 % 60:02d}:{p.number % 60:02d} GMT"
        f"</pubDate><description>{escape(p.title)}</description></item>"
        for p in reversed(pages))
    (site / name).write_text(
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Generated news</title>'
        f"<link>/</link><description>generated</description>{items}</channel></rss>", encoding="utf-8")


def write_site(site: Path, count: int, relevant_every: int = 3, slow: Slow = 0.0, start: int = 0) -> list[Page]:
    (site / "articles").mkdir(parents=True, exist_ok=True)
    (site / "robots.txt").write_text("User-agent: *\nAllow: /\n")
    pages = make_pages(start, count, relevant_every)
    for page in pages:
        (site / page.path.lstrip("/")).write_text(page_html(page), encoding="utf-8")
    write_feed(site, pages, slow)
    return pages


def update_site(site: Path, pages: list[Page], add: int, relevant_every: int = 3, keep: int = 50,
                slow: Slow = 0.0) -> list[Page]:
    """Add ``add`` new pages and rewrite the feed with the newest ``keep`` of all pages."""
    start = pages[-1].number + 1 if pages else 0
    new = make_pages(start, add, relevant_every)
    for page in new:
        (site / page.path.lstrip("/")).write_text(page_html(page), encoding="utf-8")
    pages = pages + new
    write_feed(site, pages[-keep:], slow)
    return pages
