"""Page-structure zones (pipelines/page_structure.py) on the 181 real pages of the
article-extraction benchmark, against the benchmark's hand-made article bodies.

    .venv/bin/python bench/page_structure_bench.py [DATA_DIR]

Two texts per page:
- the whole page as text (what a feed fallback or a page without a found article gives the
  matcher, sidebars and all): how many characters outside the true article body are marked
  furniture (recall of furniture), and how many characters of the true body are (the cost);
- trafilatura's text as newswatch extracts it: how much of it is marked furniture, and how
  much of that is true body (the cost where it matters most: a body line marked furniture
  counts less).
A line counts as true body when its text (whitespace collapsed) occurs in the benchmark's
article body. Also prints the time per page.
"""
from __future__ import annotations

import gzip
import json
import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pipelines.extract import extract_article, text_from_html_fragment  # noqa: E402
from pipelines.page_structure import text_zones  # noqa: E402

_SPACE = re.compile(r"\s+")


def _norm(text: str) -> str:
    return _SPACE.sub(" ", text).strip()


def _measure(text: str, zones, body: str) -> dict:
    """Characters of body / non-body lines, and how many of each are inside zones."""
    flagged = [False] * len(text)
    for zone in zones:
        for i in range(zone.start, zone.end):
            flagged[i] = True
    counts = {"body": 0, "body_flagged": 0, "other": 0, "other_flagged": 0}
    offset = 0
    for raw in text.split("\n"):
        start, offset = offset, offset + len(raw) + 1
        line = _norm(raw)
        if not line:
            continue
        kind = "body" if line in body else "other"
        counts[kind] += len(raw)
        if flagged[start]:
            counts[kind + "_flagged"] += len(raw)
    return counts


def run(data_dir: Path) -> dict:
    truth = json.loads((data_dir / "ground-truth.json").read_text(encoding="utf-8"))
    whole = {"body": 0, "body_flagged": 0, "other": 0, "other_flagged": 0}
    extracted = dict(whole)
    seconds, pages = 0.0, 0
    for key, entry in sorted(truth.items()):
        html = gzip.decompress((data_dir / "html" / f"{key}.html.gz").read_bytes()).decode("utf-8", "replace")
        body = _norm(entry["articleBody"])
        page_text = text_from_html_fragment(html)
        started = time.perf_counter()
        page_zones = text_zones(html, page_text)
        seconds += time.perf_counter() - started
        for k, v in _measure(page_text, page_zones, body).items():
            whole[k] += v
        article = extract_article(html, entry.get("url"))
        if article:
            for k, v in _measure(article.text, text_zones(html, article.text), body).items():
                extracted[k] += v
        pages += 1
    return {"pages": pages, "whole": whole, "extracted": extracted, "ms_per_page": 1000 * seconds / pages}


def main() -> int:
    data_dir = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT.parent / "shared" / "data" / "article-extraction-benchmark"
    r = run(data_dir)
    w, e = r["whole"], r["extracted"]
    print(f"{r['pages']} pages, {r['ms_per_page']:.1f} ms/page for the zones of the whole-page text")
    print(f"whole page as text: furniture marked on {w['other_flagged'] / w['other']:.1%} of the characters outside "
          f"the article body; {w['body_flagged'] / w['body']:.2%} of the article body's characters marked")
    print(f"trafilatura's text: {(e['body_flagged'] + e['other_flagged']) / (e['body'] + e['other']):.2%} marked "
          f"furniture; of the article body's characters {e['body_flagged'] / e['body']:.2%} marked, of the rest "
          f"{e['other_flagged'] / max(e['other'], 1):.1%}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
