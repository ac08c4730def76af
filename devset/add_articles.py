"""Add articles to the development set's pool from a batch file (used while collecting).

Batch format: records start with a line
    @@ slug lang=xx label=relevant|irrelevant|borderline [date=YYYY-MM-DD] url=URL
then optional 'why: ...' lines (the reason for a borderline or hard-negative label), then the
article: '# title' line (if the page has one) and the text exactly as published.
Each article becomes pool/<label>/<NNN>-<slug>.<lang>.txt (title line + text, nothing else:
the matcher reads the whole file), and a row in articles.tsv (id, label, lang, date, url, why).

    .venv/bin/python devset/add_articles.py < batch.txt
    .venv/bin/python devset/add_articles.py saved/*.json

The second form takes search results saved as collected: one JSON object per file, the corpus's
``url`` and ``excerpt`` as the search printed them, with ``lang``, ``label``, ``date`` and ``why``
added by the collector (the file's name, without .json, is the slug). The text kept is the
excerpt stripped, plus a newline, as ``restore.py save`` rebuilds it, so a lost text can be found
and checked again the same way. Files are added in name order.
"""
from __future__ import annotations

import csv
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent / "russia_pakistan_security"  # labels, split, guideline
sys.path.insert(0, str(Path(__file__).resolve().parent))
from texts import TEXTS  # noqa: E402  (the article texts: outside the repository)

INDEX = ROOT / "articles.tsv"
FIELDS = ["id", "label", "lang", "date", "url", "why"]


def batch_from_json(paths: list[str]) -> str:
    """The batch records of saved search results (see the module's docstring)."""
    records = []
    for path in sorted(paths, key=lambda p: Path(p).name):
        saved = json.loads(Path(path).read_text(encoding="utf-8"))
        head = f"@@ {Path(path).stem} lang={saved['lang']} label={saved['label']}"
        if saved.get("date"):
            head += f" date={saved['date']}"
        head += f" url={saved['url']}"
        why = [f"why: {saved['why']}"] if saved.get("why") else []
        records.append("\n".join([head, *why, saved["excerpt"].strip()]))
    return "\n".join(records)


def main(batch: str) -> None:
    rows = []
    if INDEX.exists():
        with INDEX.open(encoding="utf-8") as f:
            rows = list(csv.DictReader(f, delimiter="\t"))
    seen = {r["url"] for r in rows}
    number = max((int(r["id"].split("-")[0]) for r in rows), default=0)
    records = batch.split("\n@@ ")
    for record in records:
        record = record.removeprefix("@@ ").strip("\n")
        if not record.strip():
            continue
        head, _, body = record.partition("\n")
        slug, *pairs = head.split()
        meta = dict(p.split("=", 1) for p in pairs)
        why = []
        lines = body.split("\n")
        while lines and lines[0].startswith("why: "):
            why.append(lines.pop(0)[5:].strip())
        text = "\n".join(lines).strip() + "\n"
        if meta["url"] in seen:
            print("duplicate, skipped:", meta["url"], file=sys.stderr)
            continue
        seen.add(meta["url"])
        number += 1
        ident = f"{number:03d}-{slug}"
        folder = TEXTS / "pool" / meta["label"]
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{ident}.{meta['lang']}.txt").write_text(text, encoding="utf-8")
        rows.append({"id": ident, "label": meta["label"], "lang": meta["lang"],
                     "date": meta.get("date", ""), "url": meta["url"], "why": " ".join(why)})
    with INDEX.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, FIELDS, delimiter="\t", lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    print(f"{len(rows)} articles in {INDEX}")


if __name__ == "__main__":
    main(batch_from_json(sys.argv[1:]) if sys.argv[1:] else sys.stdin.read())
