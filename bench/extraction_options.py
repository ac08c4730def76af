"""Extraction options by accuracy and cost, on the 181 real pages of the article-extraction benchmark.

    .venv/bin/python bench/extraction_options.py [DATA_DIR] [--repeat 3]

Prints, for trafilatura's text extraction under each set of options: precision, recall and F1
(bench/extraction_f1.py's metric; texts under ``MIN_ARTICLE_CHARS`` count as no article, as in
``pipelines.extract``) and milliseconds of CPU per page (each page's median over ``--repeat``
passes, the passes alternating between option sets, summed). The "fast, then fallback" rows run
the fast pass and, on the pages where it finds fewer than N characters, the full one (its cost is
both passes there). Then the metadata (trafilatura's ``extract_metadata`` against
``pipelines.extract._metadata``, with the date as each would get it) and language identification
on prefixes of the text (agreement with the first 10,000 characters, as before).
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.extraction_f1 import load_pages, mean_scores, page_scores  # noqa: E402

BASE = dict(include_comments=False, include_tables=True, deduplicate=False)
OPTIONS = {
    "favor_precision, fallback (before)": dict(favor_precision=True),
    "favor_precision, fast": dict(favor_precision=True, fast=True),
    "default, fallback (trafilatura.extract)": dict(),
    "default, fast": dict(fast=True),
    "favor_recall, fast": dict(favor_recall=True, fast=True),
}
THRESHOLDS = (500, 1000, 2000)


def cpu(fn, *args, **kwargs):
    started = time.process_time()
    result = fn(*args, **kwargs)
    return result, time.process_time() - started


def main() -> None:
    import trafilatura
    from trafilatura.metadata import extract_metadata
    from trafilatura.utils import load_html

    from pipelines.extract import MIN_ARTICLE_CHARS, _exact_published_time, _metadata
    from pipelines.language import _identifier

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", nargs="?", default=str(ROOT.parent / "shared" / "data" / "article-extraction-benchmark"))
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    pages = load_pages(Path(args.data))
    texts: dict[str, list[str]] = {}
    times: dict[str, list[list[float]]] = {name: [] for name in OPTIONS}
    for run in range(args.repeat):
        for name, options in OPTIONS.items():
            per_page, out = [], []
            for _sha, url, html, _truth in pages:
                doc, seconds = cpu(trafilatura.bare_extraction, html, url=url, **BASE, **options)
                per_page.append(seconds)
                out.append((doc.text or "").strip() if doc is not None else "")
            times[name].append(per_page)
            texts[name] = out
    cost = {name: [statistics.median(p) for p in zip(*runs)] for name, runs in times.items()}

    def score(out: list[str]) -> dict[str, float]:
        return mean_scores([page_scores(truth, text if len(text) >= MIN_ARTICLE_CHARS else "")
                            for (_, _, _, truth), text in zip(pages, out)])

    rows = [(name, score(texts[name]), 1000 * statistics.mean(cost[name])) for name in OPTIONS]
    fast, full = "favor_precision, fast", "favor_precision, fallback (before)"
    for threshold in THRESHOLDS:
        short = [len(t) < threshold for t in texts[fast]]
        out = [texts[full][i] if short[i] else texts[fast][i] for i in range(len(pages))]
        ms = statistics.mean(cost[fast][i] + (cost[full][i] if short[i] else 0) for i in range(len(pages)))
        rows.append((f"favor_precision, fast, then fallback under {threshold} chars ({sum(short)} pages)",
                     score(out), 1000 * ms))
    print(f"{len(pages)} pages, text extraction, CPU ms per page (median of {args.repeat} per page)")
    print("| options | precision | recall | F1 | ms/page |\n| --- | --- | --- | --- | --- |")
    for name, s, ms in rows:
        print(f"| {name} | {s['precision']:.3f} | {s['recall']:.3f} | {s['f1']:.3f} | {ms:.1f} |")

    now = datetime.now(timezone.utc)
    params = {"original_date": True, "extensive_search": True, "outputformat": "%Y-%m-%dT%H:%M:%S%z",
              "max_date": "2099-01-01"}
    trees = [(load_html(html), url, html) for _, url, html, _ in pages]
    t_theirs, t_ours = [], []
    for _ in range(args.repeat):
        t_theirs.append(sum(cpu(extract_metadata, tree, url, params, True, None)[1] for tree, url, _ in trees))
        t_ours.append(sum(cpu(lambda tree, url, html: _exact_published_time(html, now) or _metadata(tree, url, now).date(),
                              tree, url, html)[1] for tree, url, html in trees))
    print(f"\nmetadata: trafilatura.extract_metadata {1000 * statistics.median(t_theirs) / len(pages):.1f} ms/page, "
          f"pipelines.extract._metadata with the date {1000 * statistics.median(t_ours) / len(pages):.1f} ms/page")

    ident = _identifier()
    bodies = [truth for _, _, _, truth in pages if truth]
    reference = [ident.classify(t[:10_000])[0] for t in bodies]
    print("\nlanguage (py3langid) on a prefix of the text: | characters | ms/text | same answer as 10,000 |")
    for size in (500, 1000, 2000, 3000, 5000, 10_000):
        answers, seconds = cpu(lambda: [ident.classify(t[:size])[0] for t in bodies])
        agree = sum(a == b for a, b in zip(answers, reference))
        print(f"| {size} | {1000 * seconds / len(bodies):.2f} | {agree}/{len(bodies)} |")


if __name__ == "__main__":
    main()
