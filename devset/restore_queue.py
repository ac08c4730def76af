"""A shared queue for restoring the development set's texts with several searchers at once.

    .venv/bin/python devset/restore_queue.py start [--cap N]    # queue every missing row, best first
    .venv/bin/python devset/restore_queue.py prompt             # what to tell each helper session
    .venv/bin/python devset/restore_queue.py next               # claim a row: ID, KIND, QUERY to search
    .venv/bin/python devset/restore_queue.py done ID KIND ANSWER.json   # save what the search found
    .venv/bin/python devset/restore_queue.py status
    .venv/bin/python devset/restore_queue.py finish             # note what found each text; record keys

``restore.py`` saves a search answer; this hands the searches out. Helper sessions share one
search budget, and one search often brings back several texts, so each ``next`` skips a row whose
text has come back meanwhile (static shares of the rows searched for texts already restored).
Rows are queued in the order that paid best before: those a key found at the last restore, then
those the URL's words found, then the rest with a key, then those that came among another row's
results (their key first). A row its first search did not bring back is queued once more, at the
end, with the other query. ``--cap`` stops handing out searches at that count: the session's
budget is shared with whoever else searches. On 2026-12-02, seven helper sessions on this queue
brought back 1,447 texts in 870 searches (1.7 a search; 1,750 present with the 303 from the git
history), against about 1,300 in 843 with fixed shares of the rows the day before.

The queue's files live beside the texts (``<texts>/restore-queue``), not in the repository; a
lock file keeps the helpers' claims apart.
"""
from __future__ import annotations

import fcntl
import json
import os
import sys
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import restore  # noqa: E402
from texts import TEXTS  # noqa: E402

QUEUE = TEXTS.parent / "restore-queue"
DEFAULT_CAP = 850  # of a session's 1,000 look-ups: the rest for whoever runs the restore
PRIORITY = {"key": 0, "query": 1, "": 2, "other": 3}

PROMPT = """\
You are restoring lost text files of a development set by finding them again in a stored
web-page corpus. Do not edit anything in the repository. You are helper number H.

Loop until told to stop:
1. Run `{python} {script} next`. A line starting with STOP means you are done. Otherwise it
   prints ID, KIND, LANG, URL and QUERY lines.
2. Call the `search` tool with corpus "pages" and query = the QUERY text exactly as printed.
3. Write the answer to {queue}/ans-H.json with the file tool's `create` command, as
   {{"results": [ ... ]}} holding EVERY result, each with its "url" and "excerpt" copied exactly as
   printed (JSON escapes such as \\n and \\" kept; every character kept, unusual spaces too; "rank"
   may be dropped). Never shorten, fix or translate an excerpt: a file is kept only when its
   checksum matches.
4. Run `{python} {script} done ID KIND {queue}/ans-H.json` with the ID and KIND from step 1.
   Then go back to step 1.

If the search "did not answer this time", try the same query once more; if it fails again, do
step 4 with {{"results": []}}. If the search budget is used up, stop at once. Search nothing but
the QUERY given. At the end reply in one paragraph: searches made, OK saves reported, anything odd.
"""


def _present(row: dict) -> bool:
    return restore.text_path(row["split"], row).exists()


@contextmanager
def _locked(queue: Path):
    queue.mkdir(parents=True, exist_ok=True)
    with (queue / "lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def _state(queue: Path) -> dict:
    return json.loads((queue / "state.json").read_text(encoding="utf-8"))


def _write_state(queue: Path, state: dict) -> None:
    # whole or not at all: a searcher stopped mid-write must not leave the others a broken queue
    partial = queue / "state.json.partial"
    partial.write_text(json.dumps(state, ensure_ascii=False), encoding="utf-8")
    os.replace(partial, queue / "state.json")


def start(missing: list[dict], queue: Path = QUEUE, cap: int = DEFAULT_CAP) -> int:
    """Queue the rows of ``restore.py missing`` (dicts with id, split, label, lang, url, key, query,
    found_by), best first; returns how many."""
    rows = sorted(missing, key=lambda r: (PRIORITY.get(r["found_by"], 2), not r["key"]))
    with _locked(queue):
        _write_state(queue, {"rows": rows, "next": 0, "spent": 0, "cap": cap, "again": [], "retried": []})
    return len(rows)


def claim(queue: Path = QUEUE, present=_present) -> dict | None:
    """The next row to search, with the query to search it by (``kind``: key or query), or None when
    the queue is done or the cap is spent. A row whose text is present is passed over."""
    with _locked(queue):
        state = _state(queue)
        by_id = {r["id"]: r for r in state["rows"]}
        while state["spent"] < state["cap"]:
            if state["next"] < len(state["rows"]):
                row = state["rows"][state["next"]]
                state["next"] += 1
                kind = "query" if row["found_by"] == "query" or not row["key"] else "key"
            elif state["again"]:
                ident, kind = state["again"].pop(0)
                row = by_id[ident]
            else:
                break
            if present(row):
                continue
            state["spent"] += 1
            _write_state(queue, state)
            return {**row, "kind": kind, "search": row[kind]}
        _write_state(queue, state)
        return None


def done(ident: str, kind: str, answer: dict, articles: list[dict], queue: Path = QUEUE) -> list[str]:
    """Save the texts a search for row ``ident`` brought back, note what found each (``found.tsv``
    in the queue), and queue the row again with its other query when this one missed it."""
    messages = restore.save_answer(answer, articles, ident)
    saved = [m.split()[1] for m in messages if m.startswith("OK")]
    with _locked(queue):
        state = _state(queue)
        with (queue / "found.tsv").open("a", encoding="utf-8") as f:
            for other in saved:
                f.write(f"{other}\t{kind if other == ident else 'other'}\n")
        row = next((r for r in state["rows"] if r["id"] == ident), None)
        if row is None or kind not in ("key", "query"):
            messages.append(f"{ident} {kind}: not a row and kind that `next` handed out; nothing queued again")
            return messages
        other_kind = "query" if kind == "key" else "key"
        if ident not in saved and row[other_kind] and ident not in state["retried"] and not _present_in(ident, articles):
            state["again"].append([ident, other_kind])
            state["retried"].append(ident)
            messages.append(f"{ident}: queued again, by its {'URL words' if other_kind == 'query' else 'key'}")
        _write_state(queue, state)
    return messages


def _present_in(ident: str, articles: list[dict]) -> bool:
    return any(a["id"] == ident and a["path"].exists() for a in articles)


def main(argv: list[str]) -> int:
    command = argv[0] if argv else "status"
    if command in ("next", "done", "status") and not (QUEUE / "state.json").exists():
        print(f"no queue in {QUEUE}: run `restore_queue.py start` first")
        return 2
    if command == "start":
        cap = int(argv[argv.index("--cap") + 1]) if "--cap" in argv else DEFAULT_CAP
        print(f"{start(restore.missing_rows(restore._articles()), cap=cap)} rows queued in {QUEUE}, at most {cap} searches")
        return 0
    if command == "prompt":
        print(PROMPT.format(python=sys.executable, script=Path(__file__).resolve(), queue=QUEUE))
        return 0
    if command == "next":
        row = claim()
        if row is None:
            print("STOP: the queue is done or its searches are spent")
            return 0
        print(f"ID\t{row['id']}\nKIND\t{row['kind']}\nLANG\t{row['lang']}\nURL\t{row['url']}\nQUERY\t{row['search']}")
        return 0
    if command == "done" and len(argv) == 4:
        answer = json.loads(Path(argv[3]).read_text(encoding="utf-8"))
        print("\n".join(done(argv[1], argv[2], answer, restore._articles())) or "nothing in the answer")
        return 0
    if command == "status":
        state = _state(QUEUE)
        print(f"{state['next']} of {len(state['rows'])} rows handed out, {len(state['again'])} to search again; "
              f"{state['spent']} of {state['cap']} searches spent")
        return 0
    if command == "finish":
        found = QUEUE / "found.tsv"
        if found.exists():
            restore.main(["found", str(found)])
        return restore.main(["keys"])
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
