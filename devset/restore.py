"""Put the development set's texts back after they were lost with a machine.

    .venv/bin/python devset/restore.py status            # how many texts are there, missing, changed
    .venv/bin/python devset/restore.py history           # articles 001-303, from the git history
    .venv/bin/python devset/restore.py missing > m.tsv   # rows still missing: id, split, label, lang, url, key, query, found_by
    .venv/bin/python devset/restore.py keys              # record a search key for each text present
    .venv/bin/python devset/restore.py found F.tsv       # note what found each text (lines: id TAB key|query|other)
    .venv/bin/python devset/restore.py unavailable > u.tsv  # the same for the texts given up as lost
    .venv/bin/python devset/restore.py save ANSWER.json [ID]   # a whole search answer, or one result

(``restore_queue.py`` hands the missing rows out to several searchers at once.)

The texts live outside the repository (``texts.py``) and are copies of a public web-page corpus's
stored excerpts: the excerpt, stripped, plus a newline; a few were cut at a line end. So a lost
text is found again by searching that corpus for the row's URL, and ``save`` takes a whole search
answer as the tool printed it (``{"results": [...]}``), or one result (``{"url": ..., "excerpt": ...}``),
and keeps each result's text only
when its sha256 is the one recorded in ``texts.sha256.tsv``: an exact copy of what was measured,
or nothing. A copy that differs is left in ``<texts>/mismatch/`` for a person to judge.
Articles 001-303 were in the repository until commit 9f52c88 moved them out; ``history`` takes
them from the commit before it. A text listed in ``unavailable.tsv`` keeps its last hash, so it
can still be saved when it turns up; then take its row out of ``unavailable.tsv``.

A text's own opening words find it at the top of the search far more surely than its URL or words
guessed from it, so ``keys`` records for each text present a short search key (``search-keys.tsv``):
the first words of its first line that reads as a headline or a sentence, as a citation gives a
title; ``missing`` prints it beside the query made from the URL, and ``found_by``: which of the two
brought the text back at its last restore, the one to try first ("other": it came among another
row's results). On 2026-11-30 the key found 440 of the 771 texts it was tried on, one search each;
the URL's words then found 53 of the 200 left (the key had missed them, or there was none). At the
next restore, rows with a ``found_by`` first, 720 searches brought back 618 texts (one search can
bring several); 200 more on rows with a key but no recorded ``found_by`` brought back 65. The
restore after that: 508 searches on the rows with a ``found_by`` brought back 861 texts, and 401
on rows with a key and none (those whose recorded outcome came from an older watch) 137. On
2026-12-01: 920 searches, rows with a ``found_by`` first, brought back 1,437 texts; 79 more on rows
with a key and none brought back 34, and then the session's search budget was spent (1,774 present).
A stored key that today's furniture test rejects (a weather widget, a template mark) is printed
empty, so the row is searched by its URL's words instead.
"""
from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import subprocess
import sys
import tarfile
import urllib.parse
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from texts import DEVSET, TEXTS, read_table, text_path  # noqa: E402

LAST_COMMIT_WITH_TEXTS = "9f52c88^"
KEYS = DEVSET / "search-keys.tsv"
KEY_WORDS = 12  # a headline's length: enough to find the page, short as a citation
# what brought a text back: its own key, the query made from its URL, or another row's search
# (its page was among that search's results; the next restore tries its key first, as for none)
FOUND_BY = ("key", "query", "other")


def _articles() -> list[dict]:
    """Every article with a split and a recorded hash, with its url, split, text path, and
    ``lost``: listed in unavailable.tsv."""
    urls = {r["id"]: r["url"] for r in read_table("articles.tsv")}
    hashes = {r["id"]: r["sha256"] for r in read_table("texts.sha256.tsv")}
    unavailable = {r["id"] for r in read_table("unavailable.tsv")}
    out = []
    for r in read_table("split.tsv"):
        if r["id"] not in hashes:
            continue
        out.append({**r, "url": urls[r["id"]], "sha256": hashes[r["id"]], "path": text_path(r["split"], r),
                    "lost": r["id"] in unavailable})
    return out


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _same_page(a: str, b: str) -> bool:
    """URLs of one page: scheme, www./m./amp. and a trailing slash aside."""
    def bare(url: str) -> str:
        return re.sub(r"^https?://(www\.|m\.|amp\.)?", "", url.strip().lower()).rstrip("/")
    return bare(a) == bare(b)


def query_for(url: str, article_id: str) -> str:
    """What to search the page corpus with. The search goes by meaning, so the outlet's name and
    the headline's words find a page far more often than its address (2026-11-30: 0.8 texts
    restored per search against 0.4). The words come from the URL's last part with letters (%-decoded: Urdu and
    Russian slugs), else from the article's id, which names it in Latin letters; whoever searches
    puts them back into the article's language."""
    parts = urllib.parse.urlsplit(url)
    outlet = re.sub(r"^(www\d?|m|amp|en|ru|ur)\.", "", parts.netloc.lower()).split(".")[0]
    words = ""
    for segment in reversed([s for s in parts.path.split("/") if s]):
        segment = re.sub(r"\.(s?html?|php|aspx?)$", "", urllib.parse.unquote(segment))
        letters = re.findall(r"[^\W\d_]{2,}", segment)
        if len(letters) >= 2:
            words = " ".join(letters)
            break
    if not words:
        words = " ".join(w for w in article_id.split("-")[1:] if not w.isdigit() and w != outlet)
    return f"{outlet} {words}".strip()


# a page's furniture, not its article: markup and template marks ("{{date}}"), breadcrumbs and bars
# ("Home » News", "Today's Paper | date", "【打 印】"), a weather widget ("Beirut 17 °C"), the
# notices of a page that needs scripts or lost its connection, and (keys that missed on 2026-12-02)
# photo credits and captions ("© AFP", "ⓒ YONHAP", "(Archivfoto)"), reading times ("Article de 366
# mots ⏱️"), share and bookmark buttons ("分享", "收藏")
_FURNITURE = re.compile(r"<[a-z/!]|\{\{|\s[>»›|]\s|[【】]|°|JavaScript|went wrong"
                        r"|[©ⓒ⏱]|分享|收藏|Archivfoto|Article de \d+ mots|^\d+ min read")
_HAN = re.compile(r"[\u3400-\u9fff]")
HAN_KEY_CHARS = 30  # Chinese is written without spaces: a headline's length in characters


def search_key(text: str, shared: frozenset = frozenset()) -> str:
    """The first KEY_WORDS words of the text's first line that reads as a headline or a sentence:
    five words or more (in Chinese, twelve Han characters or more: it has no spaces), mostly
    without digits (not a dateline or a time stamp), not a page's furniture (``_FURNITURE``), and
    not one of the ``shared`` lines (a site's notice printed on several pages: "Your email address
    will not be published"), after the corpus's leading "date 2021-02" marker. Empty when no line
    qualifies."""
    for line in text.split("\n"):
        line = re.sub(r"^\s*(date \d{4}(-\d\d){0,2}\s+|# )", "", line).strip()
        # French and Russian quotes close with a spaced » ("« parties d'échecs » politiques")
        if line in shared or _FURNITURE.search(line.replace(" » ", " ") if "«" in line else line):
            continue
        words, han = line.split(), len(_HAN.findall(line))
        if han >= 12 and len(words) < 5:
            # a few "words" of many characters each: count digits against the characters
            if sum(c.isdigit() for c in line) * 3 <= han:
                return line[:HAN_KEY_CHARS].strip()
            continue
        if sum(any(c.isdigit() for c in w) for w in words) * 3 > len(words):
            continue
        if len(words) >= 5:
            return " ".join(words[:KEY_WORDS])
    return ""


def shared_lines(texts: list[str]) -> frozenset:
    """Lines found in more than one text: site furniture, not an article's own words."""
    seen: dict[str, int] = {}
    for text in texts:
        for line in {line.strip() for line in text.split("\n")}:
            seen[line] = seen.get(line, 0) + 1
    return frozenset(line for line, n in seen.items() if n > 1)


def _read_keys() -> dict[str, dict]:
    """{id: {"key", "found_by"}} from search-keys.tsv (written by csv.writer: a key that starts with a
    quote mark is quoted, so it is not read as the start of a quoted field)."""
    if not KEYS.exists():
        return {}
    return {r["id"]: {"key": r["key"], "found_by": r.get("found_by") or ""} for r in read_table(KEYS.name)}


def _write_keys_file(articles: list[dict], keys: dict[str, dict]) -> None:
    with KEYS.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f, delimiter="\t", lineterminator="\n")
        writer.writerow(["id", "key", "found_by"])
        for a in articles:
            if a["id"] in keys:
                writer.writerow([a["id"], keys[a["id"]]["key"], keys[a["id"]]["found_by"]])


def write_keys(articles: list[dict]) -> int:
    """Record the search key of every text present; keep the recorded keys of absent ones, and
    what found each text at its last restore."""
    keys = _read_keys()
    present = {a["id"]: a["path"].read_text(encoding="utf-8") for a in articles if a["path"].exists()}
    shared = shared_lines(list(present.values()))
    for ident, text in present.items():
        key = search_key(text, shared)
        if key:
            keys[ident] = {"key": key, "found_by": keys.get(ident, {}).get("found_by", "")}
    _write_keys_file(articles, keys)
    return len(present)


def record_found_by(articles: list[dict], found: dict[str, str]) -> int:
    """Note which search brought each text back (FOUND_BY), so the next restore tries that one
    first. Returns how many were noted."""
    keys = _read_keys()
    noted = 0
    for ident, how in found.items():
        if how not in FOUND_BY:
            raise ValueError(f"{ident}: found_by must be one of {', '.join(FOUND_BY)}, not {how!r}")
        if ident in keys:
            keys[ident]["found_by"] = how
            noted += 1
    _write_keys_file(articles, keys)
    return noted


def candidates(excerpt: str):
    """The texts a stored excerpt could have been saved as: whole, or cut at a line end; each also
    without the "date 2019-12-22" marker the corpus puts before some pages (another stored version
    of the page may lack it)."""
    versions = [excerpt.strip()]
    undated = re.sub(r"^date \d{4}(-\d\d){0,2}\s+", "", versions[0])
    if undated != versions[0]:
        versions.append(undated)
    for version in versions:
        lines = version.split("\n")
        for end in range(len(lines), 0, -1):
            kept = "\n".join(lines[:end]).strip()
            if kept:
                yield kept + "\n"


def save(result: dict, articles: list[dict], article_id: str | None = None, keep_mismatch: bool = True) -> str:
    """Keep the result's excerpt as the text of the row it is (``article_id``, else every row whose
    URL is the result's page: some outlets' pages share one URL), when its hash is the one recorded;
    else the excerpt is kept in ``mismatch/`` for a person to judge (``keep_mismatch``)."""
    rows = [a for a in articles if (a["id"] == article_id if article_id else _same_page(a["url"], result["url"]))]
    if not rows:
        return f"NO ROW for {result['url']} (give the id if the corpus URL differs)"
    absent = [row for row in rows if not row["path"].exists()]
    if not absent:
        return f"ALREADY SAVED {' '.join(row['id'] for row in rows)}"
    for text in candidates(result["excerpt"]):
        for row in absent:
            if _digest(text.encode("utf-8")) == row["sha256"]:
                row["path"].parent.mkdir(parents=True, exist_ok=True)
                row["path"].write_text(text, encoding="utf-8")
                return f"OK {row['id']}"
    if not keep_mismatch:
        return f"MISMATCH {' '.join(row['id'] for row in absent)}"
    kept = TEXTS / "mismatch" / absent[0]["path"].name
    kept.parent.mkdir(parents=True, exist_ok=True)
    kept.write_text(result["excerpt"].strip() + "\n", encoding="utf-8")
    return f"MISMATCH {' '.join(row['id'] for row in absent)}: not the text measured (kept in {kept})"


def save_answer(answer: dict, articles: list[dict], article_id: str | None = None) -> list[str]:
    """``save`` for every result of a whole search answer (``{"results": [...]}``): a search can bring
    back several lost texts. With ``article_id``, each result is also tried as that row's text
    (the corpus may hold its page under another URL)."""
    messages = []
    for result in answer.get("results", []):
        if not result.get("url") or not result.get("excerpt"):
            continue
        message = save(result, articles)
        if article_id and not message.startswith(("OK", "ALREADY")):
            # any other page of the answer is no copy for a person to judge
            tried = save(result, articles, article_id, keep_mismatch=False)
            message = tried if tried.startswith("OK") else message
        messages.append(message)
    return messages


MISSING_FIELDS = ["id", "split", "label", "lang", "url", "key", "query", "found_by"]


def missing_rows(articles: list[dict], lost: bool = False) -> list[dict]:
    """The rows whose text is absent (``lost``: those given up as lost instead), each with what to
    search it by: its recorded key, the query made from its URL, and what found it last time."""
    keys = _read_keys()
    out = []
    for a in articles:
        if not a["path"].exists() and a["lost"] == lost:
            known = keys.get(a["id"], {"key": "", "found_by": ""})
            # a key recorded before the furniture test learnt a kind of line is no key
            key = known["key"] if search_key(known["key"]) else ""
            out.append({"id": a["id"], "split": a["split"], "label": a["label"], "lang": a["lang"], "url": a["url"],
                        "key": key, "query": query_for(a["url"], a["id"]), "found_by": known["found_by"]})
    return out


def from_history(articles: list[dict]) -> int:
    """Articles 001-303 from the last commit that held them; only those whose hash matches."""
    archive = subprocess.run(["git", "archive", LAST_COMMIT_WITH_TEXTS, "devset/russia_pakistan_security"],
                             cwd=DEVSET.parents[1], capture_output=True, check=True).stdout
    by_name = {a["path"].name: a for a in articles}
    restored = 0
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        for member in tar.getmembers():
            row = by_name.get(Path(member.name).name)
            if row is None or not member.isfile() or row["path"].exists():
                continue
            data = tar.extractfile(member).read()
            if _digest(data) == row["sha256"]:
                row["path"].parent.mkdir(parents=True, exist_ok=True)
                row["path"].write_bytes(data)
                restored += 1
    return restored


def main(argv: list[str]) -> int:
    everything = _articles()  # the lost ones too: one that turns up can still be saved
    articles = [a for a in everything if not a["lost"]]
    command = argv[0] if argv else "status"
    if command == "status":
        present = [a for a in articles if a["path"].exists()]
        changed = [a["id"] for a in present if _digest(a["path"].read_bytes()) != a["sha256"]]
        print(f"{len(present)} of {len(articles)} texts present in {TEXTS}; "
              f"{len(articles) - len(present)} missing; {len(changed)} changed {' '.join(changed)}")
        return 0
    if command == "history":
        print(f"{from_history(articles)} texts restored from {LAST_COMMIT_WITH_TEXTS}")
        return 0
    if command in ("missing", "unavailable"):
        writer = csv.DictWriter(sys.stdout, fieldnames=MISSING_FIELDS, delimiter="\t", lineterminator="\n")
        writer.writeheader()
        writer.writerows(missing_rows(everything, lost=command == "unavailable"))
        return 0
    if command == "keys":
        print(f"search keys recorded for the {write_keys(everything)} texts present in {KEYS}")
        return 0
    if command == "found" and len(argv) == 2:
        found = dict(line.split("\t")[:2] for line in Path(argv[1]).read_text(encoding="utf-8").split("\n") if line)
        print(f"what found the text noted for {record_found_by(everything, found)} texts in {KEYS}")
        return 0
    if command == "save" and len(argv) in (2, 3):
        result = json.loads(Path(argv[1]).read_text(encoding="utf-8"))
        given = argv[2] if len(argv) == 3 else None
        messages = save_answer(result, everything, given) if "results" in result else [save(result, everything, given)]
        print("\n".join(messages) or "no result with a URL and an excerpt")
        lost = {a["id"] for a in everything if a["lost"]}
        for message in messages:
            if message.startswith("OK") and message.split()[-1] in lost:
                print(f"{message.split()[-1]} is listed in unavailable.tsv: take its row out")
        return 0 if any(m.startswith(("OK", "ALREADY")) for m in messages) else 1
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
