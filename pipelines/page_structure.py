"""Page structure as match evidence: which lines of an article's text are page furniture.

A watch hit in the body of an article is evidence; the same words in a "related stories" box,
a "most read" list, the navigation or an image caption are much weaker evidence (a Ukraine-war
economy piece whose sidebar headline is about a Russia–Pakistan pipeline is not about the
pipeline). Extraction already knows a good part of this: ``text_zones`` reads the page (or the
feed's HTML fragment) once more and marks the lines of the text the matcher reads that come
only from page furniture, as trafilatura sees it:

- HTML5 sectioning that is not the article: ``<nav>``, ``<aside>``, ``<footer>``, ``<menu>``,
  ``<figcaption>``;
- the elements trafilatura itself discards as boilerplate: its ``OVERALL_DISCARD_XPATH``
  (navigation, footers, "related", "most popular", sidebars, share and ad widgets, bylines),
  ``TEASER_DISCARD_XPATH`` (teasers) and ``DISCARD_IMAGE_ELEMENTS`` (captions), matched on the
  page as fetched, with a guard in the spirit of trafilatura's own (an element that holds most
  of the page's text or its ``<h1>`` is not furniture);
- link lists and linked headlines: lists whose text is mostly link text, and short blocks that
  are one link with at most a label ("Read more: …"), trafilatura's link-density idea.

A line of the text is furniture when every place it occurs in the page is inside such an
element; a sentence that also occurs in the body (a pull quote, a headline repeated in a
caption) stays body. The result is a tuple of ``Zone(start, end, role)`` spans over the text,
which ``pipelines.watch.Document(zones=...)`` takes: hits inside them count less, and the
required rules of a watch must hold without them (see ``pipelines/watch/scoring.py``).

Plain Python over lxml and trafilatura's XPath tables; it never raises on bad HTML (the zones
are then empty, and every hit counts as body, as before).
"""
from __future__ import annotations

import logging
import re
from dataclasses import dataclass

import lxml.etree
from trafilatura.xpaths import DISCARD_IMAGE_ELEMENTS, OVERALL_DISCARD_XPATH, TEASER_DISCARD_XPATH

from pipelines.extract import bounded_html

log = logging.getLogger(__name__)

ROLES = ("related", "navigation", "caption", "boilerplate")

# An element matched by class name that holds more than this share of the page's text and
# three long paragraphs is a layout wrapper, not furniture (trafilatura's pruning guard reverts
# a prune that would remove too much text in the same spirit); nor is one holding the <h1>.
MAX_SHARE_OF_PAGE = 0.4
# A link list: at least this share of its text is link text.
LINK_LIST_SHARE = 0.7
# A linked headline: a short paragraph, item or heading that is (almost) all one link and not
# a sentence ("Read more: <a>…</a>").
HEADLINE_MAX_CHARS = 200
HEADLINE_LINK_SHARE = 0.8
# Lines shorter than this are matched to the page only whole (a menu item "Pakistan"); longer
# ones may also be found inside a longer furniture block.
SUBSTRING_MIN_CHARS = 20

_DROP = ("script", "style", "noscript", "template", "svg", "head", "iframe", "object")
_BLOCKS = frozenset("""
p div section article aside header footer nav menu blockquote pre ul ol li dl dt dd table tr td th
figure figcaption hr h1 h2 h3 h4 h5 h6 address main form fieldset details summary
""".split())
_HEADLINE_BLOCKS = frozenset("p li h2 h3 h4 h5 h6 dt dd".split())
_TAG_ROLES = {"nav": "navigation", "menu": "navigation", "footer": "navigation",
              "aside": "related", "figcaption": "caption"}
_NAVIGATION = re.compile(r"nav|menu|footer|bread-?crumb|(^|[\s_-])bar($|[\s_-])|header", re.I)
_RELATED = re.compile(r"relat|popular|most|more|read|sidebar|teaser|stories|recommend|trending|widget|next",
                      re.I)
_CAPTION = re.compile(r"caption", re.I)
_SPACE = re.compile(r"\s+")
_BREAK = object()
_PARSER = lxml.etree.HTMLParser(remove_comments=True, remove_pis=True, no_network=True)
_LENGTH = lxml.etree.XPath("string-length(normalize-space(.))")
_LONG_PARAGRAPHS = lxml.etree.XPath("count(.//p[string-length(normalize-space(.)) > 150])")
_SENTENCE_END = re.compile(r"[.!?\u3002\u06d4\u0964]$")


@dataclass(frozen=True)
class Zone:
    start: int  # character offsets in the text the matcher reads
    end: int
    role: str   # related | navigation | caption | boilerplate


def zones_for_item(item, record) -> tuple[Zone, ...]:
    """Zones of ``record.text`` from the HTML it was made from: the page when the text is the
    page's (``content_origin == "page"``), else the feed's content or summary fragment, which
    keep their sidebars ("related posts", "the post appeared first on …") too."""
    origin = getattr(record, "content_origin", None)
    html = {"page": getattr(item, "html", None),
            "feed-content": getattr(item, "feed_content", None),
            "feed-summary": getattr(item, "feed_summary", None)}.get(origin)
    return text_zones(html, record.text) if html else ()


def text_zones(html: str | None, text: str) -> tuple[Zone, ...]:
    """Spans of ``text`` whose lines come only from page furniture of ``html``."""
    if not html or not text:
        return ()
    try:
        lines = page_lines(html)
    except Exception:  # lxml on pathological input; no zones is the safe answer
        log.debug("page structure failed", exc_info=True)
        return ()
    if not lines:
        return ()
    exact: dict[str, set[str]] = {}
    body_parts, furniture_parts = [], {role: [] for role in ROLES}
    for line, role in lines:
        exact.setdefault(line, set()).add(role or "body")
        (body_parts if role is None else furniture_parts[role]).append(line)
    body = "\n".join(body_parts)
    furniture = {role: "\n".join(parts) for role, parts in furniture_parts.items() if parts}
    zones: list[Zone] = []
    offset = 0
    for raw in text.split("\n"):
        start, end = offset, offset + len(raw)
        offset = end + 1
        line = _SPACE.sub(" ", raw).strip()
        if not line:
            continue
        role = _role_of_line(line, exact, body, furniture)
        if role is None:
            continue
        if zones and zones[-1].role == role and not text[zones[-1].end:start].strip():
            zones[-1] = Zone(zones[-1].start, end, role)
        else:
            zones.append(Zone(start, end, role))
    return tuple(zones)


def _role_of_line(line: str, exact: dict, body: str, furniture: dict) -> str | None:
    roles = exact.get(line)
    if roles is not None:
        if "body" in roles:
            return None
        return next(role for role in ROLES if role in roles)
    if len(line) < SUBSTRING_MIN_CHARS or line in body:
        return None
    for role in ROLES:
        if role in furniture and line in furniture[role]:
            return role
    return None


def page_lines(html: str) -> list[tuple[str, str | None]]:
    """The page's text as lines (whitespace collapsed), each with its furniture role, or None
    for lines that are (at least partly) outside furniture."""
    html = bounded_html(html)
    if not html.strip():
        return []
    # a plain lxml tree (no lxml.html element classes: their lookup costs a third of the time)
    root = lxml.etree.fromstring(html, _PARSER)
    if root is None:
        return []
    lxml.etree.strip_elements(root, *_DROP, with_tail=False)
    roles = _furniture(root)
    pieces: list = []
    _render(root, None, roles, pieces)
    lines: list[tuple[str, str | None]] = []
    current: list[tuple[str, str | None]] = []
    for piece in pieces + [_BREAK]:
        if piece is _BREAK:
            text = _SPACE.sub(" ", "".join(t for t, _ in current)).strip()
            if text:
                found = {role for t, role in current if t.strip()}
                lines.append((text, found.pop() if len(found) == 1 else None))
            current = []
        else:
            current.append(piece)
    return lines


def _render(el, role, roles: dict, out: list) -> None:
    tag = el.tag.lower() if isinstance(el.tag, str) else ""
    role = roles.get(el, role)
    block = tag in _BLOCKS or tag == "br"
    if block:
        out.append(_BREAK)
    if el.text:
        out.append((el.text, role))
    for child in el:
        _render(child, role, roles, out)
        if child.tail:
            out.append((child.tail, role))
    if block:
        out.append(_BREAK)


def _furniture(root) -> dict:
    """{element: role} for the outermost furniture elements of the page."""
    page_chars = max(_LENGTH(root), 1.0)
    found: dict = {}

    def add(el, role, by_name=False):
        if el in found or el is root or el.find(".//h1") is not None or el.find(".//article") is not None:
            return  # it holds the article: a layout wrapper, not furniture
        if by_name and _LENGTH(el) > MAX_SHARE_OF_PAGE * page_chars and _LONG_PARAGRAPHS(el) >= 3:
            return  # a class name that matched a wrapper ("elementor-widget"), not furniture
        found[el] = role

    for el in root.iter(*_TAG_ROLES):
        add(el, _TAG_ROLES[el.tag])
    for expression in DISCARD_IMAGE_ELEMENTS:
        for el in expression(root):
            add(el, "caption", by_name=True)
    for expression in TEASER_DISCARD_XPATH:
        for el in expression(root):
            add(el, "related", by_name=True)
    for expression in OVERALL_DISCARD_XPATH:
        for el in expression(root):
            add(el, _role_by_name(el), by_name=True)
    for el in root.iter("ul", "ol"):
        items = [li for li in el if isinstance(li.tag, str) and li.tag == "li"]
        if len(items) >= 2 and _link_share(el) >= LINK_LIST_SHARE:
            add(el, "related")
    for link in root.iter("a"):
        block = _block_of(link)
        if block is None or block in found:
            continue
        text = _SPACE.sub(" ", _text(block)).strip()
        if (15 <= len(text) <= HEADLINE_MAX_CHARS and not _SENTENCE_END.search(text)
                and len(block.findall(".//a")) == 1 and _link_share(block) >= HEADLINE_LINK_SHARE):
            add(block, "related")
    # keep the outermost: a role set on an ancestor covers its descendants when rendering
    return {el: role for el, role in found.items()
            if not any(a in found for a in el.iterancestors())}


def _block_of(link):
    """The nearest block ancestor of a link (a paragraph, item or heading holding it)."""
    for el in link.iterancestors():
        if el.tag in _HEADLINE_BLOCKS:
            return el
        if el.tag in _BLOCKS:
            return None
    return None


def _role_by_name(el) -> str:
    name = f"{el.get('id', '')} {el.get('class', '')} {el.get('role', '')}"
    if _CAPTION.search(name):
        return "caption"
    if _RELATED.search(name):
        return "related"
    if _NAVIGATION.search(name):
        return "navigation"
    return "boilerplate"


def _text(el) -> str:
    return "".join(el.itertext())


def _link_share(el) -> float:
    text = len(_SPACE.sub("", _text(el)))
    if not text:
        return 0.0
    linked = sum(len(_SPACE.sub("", _text(a))) for a in el.iter("a"))
    return linked / text
