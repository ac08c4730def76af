"""Article-body accuracy and speed of ``pipelines.extract`` on the article-extraction benchmark.

Usage: ``.venv/bin/python bench/extraction_f1.py [DATA_DIR]`` (default ``../shared/data/
article-extraction-benchmark``). Prints mean precision, recall, F1 and pages/second.

The metric re-implements scrapinghub/article-extraction-benchmark's ``evaluate.py`` so numbers
are comparable with its published table:
- tokens are ``\\w+`` runs (case kept), shingles are token 4-grams counted as a multiset;
  a text of 1-3 tokens yields one short shingle, an empty text yields none;
- per page, TP/FP/FN are multiset overlaps, then normalised to sum to 1 so long pages
  don't weigh more;
- precision is averaged over pages with a non-empty prediction, recall over pages with a
  non-empty ground truth (an empty prediction therefore costs recall, not precision);
- F1 is the harmonic mean of the two averages (not the mean of per-page F1).
"""
from __future__ import annotations

import gzip
import json
import re
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]
if str(PROJECT_ROOT) not in sys.path:  # so the script runs from any working directory
    sys.path.insert(0, str(PROJECT_ROOT))

_TOKEN = re.compile(r"\w+")
NGRAM = 4


def shingles(text: str | None, n: int = NGRAM) -> Counter:
    tokens = _TOKEN.findall(text or "")
    grams = (tuple(tokens[i : i + n]) for i in range(max(1, len(tokens) - n + 1)))
    return Counter(g for g in grams if g)


def page_scores(truth: str | None, pred: str | None) -> tuple[float, float, float]:
    """Normalised (tp, fp, fn) for one page."""
    t, p = shingles(truth), shingles(pred)
    tp = sum((t & p).values())
    fp = sum((p - t).values())
    fn = sum((t - p).values())
    total = tp + fp + fn
    return (tp / total, fp / total, fn / total) if total else (0.0, 0.0, 0.0)


def _precision(tp: float, fp: float, fn: float) -> float:
    if fp == fn == 0:
        return 1.0
    return 0.0 if tp == fp == 0 else tp / (tp + fp)


def _recall(tp: float, fp: float, fn: float) -> float:
    if fp == fn == 0:
        return 1.0
    return 0.0 if tp == fn == 0 else tp / (tp + fn)


def mean_scores(per_page: list[tuple[float, float, float]]) -> dict[str, float]:
    precision = statistics.mean(_precision(*s) for s in per_page if s[0] + s[1] > 0)
    recall = statistics.mean(_recall(*s) for s in per_page if s[0] + s[2] > 0)
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1}


def load_pages(data_dir: Path) -> list[tuple[str, str, str, str]]:
    """(sha, url, html, truth) per page; html decoded as the benchmark does (gzip, UTF-8)."""
    truth = json.loads((data_dir / "ground-truth.json").read_text(encoding="utf-8"))
    pages = []
    for sha, entry in sorted(truth.items()):
        with gzip.open(data_dir / "html" / f"{sha}.html.gz", "rt", encoding="utf-8") as f:
            pages.append((sha, entry.get("url"), f.read(), entry.get("articleBody", "")))
    return pages


def run(data_dir: Path) -> dict[str, float]:
    from pipelines.extract import extract_article

    pages = load_pages(data_dir)
    per_page, elapsed = [], 0.0
    for _sha, url, html, truth in pages:
        start = time.perf_counter()
        result = extract_article(html, url)
        elapsed += time.perf_counter() - start
        per_page.append(page_scores(truth, result.text if result else ""))
    scores = mean_scores(per_page)
    scores["pages"] = len(pages)
    scores["pages_per_second"] = len(pages) / elapsed
    return scores


def main() -> None:
    default = PROJECT_ROOT.parent / "shared" / "data" / "article-extraction-benchmark"
    data_dir = Path(sys.argv[1]) if len(sys.argv) > 1 else default
    s = run(data_dir)
    print(f"pages={s['pages']} precision={s['precision']:.3f} recall={s['recall']:.3f} "
          f"F1={s['f1']:.3f} pages/s={s['pages_per_second']:.1f}")


if __name__ == "__main__":
    main()
