"""devset/restore_queue.py hands a restore's searches out to several searchers: best rows first, none
for a text already back, a second try with the other query, and no more than the cap.

The rows and texts here are written for the test; nothing from the real development set is read.
"""
import hashlib
import threading

from tests.devset_scripts import load, needs

pytestmark = needs("restore_queue")


def _row(ident, found_by="", key="A made-up headline of five words", query="example made up"):
    return {"id": ident, "split": "heldout", "label": "relevant", "lang": "en",
            "url": f"https://example.org/{ident}", "key": key, "query": query, "found_by": found_by}


def _article(tmp_path, row, text):
    return {**row, "sha256": hashlib.sha256(text.encode()).hexdigest(),
            "path": tmp_path / "texts" / f"{row['id']}.en.txt", "lost": False}


def test_rows_are_handed_out_best_first_each_by_its_query(tmp_path):
    queue = load("restore_queue")
    rows = [_row("1-other", "other"), _row("2-none"), _row("3-none-no-key", key=""),
            _row("4-by-query", "query"), _row("5-by-key", "key")]
    queue.start(rows, tmp_path)
    claimed = []
    while (row := queue.claim(tmp_path, present=lambda r: False)) is not None:
        claimed.append((row["id"], row["kind"], row["search"]))
    assert claimed == [("5-by-key", "key", rows[4]["key"]), ("4-by-query", "query", "example made up"),
                       ("2-none", "key", rows[1]["key"]), ("3-none-no-key", "query", "example made up"),
                       ("1-other", "key", rows[0]["key"])]


def test_a_text_back_already_costs_no_search_and_the_cap_holds(tmp_path):
    queue = load("restore_queue")
    queue.start([_row(f"{n}-row") for n in range(6)], tmp_path, cap=2)
    back = {"0-row", "2-row"}
    claimed = [queue.claim(tmp_path, present=lambda r: r["id"] in back) for _ in range(4)]
    assert [r["id"] if r else None for r in claimed] == ["1-row", "3-row", None, None]


def test_a_missed_row_is_tried_once_more_with_its_other_query(tmp_path):
    queue = load("restore_queue")
    text = "A made-up headline of five words\nA made-up paragraph.\n"
    wanted = _row("7-wanted")
    articles = [_article(tmp_path, wanted, text)]
    queue.start([wanted], tmp_path)
    first = queue.claim(tmp_path, present=lambda r: False)
    assert first["kind"] == "key"
    messages = queue.done("7-wanted", "key", {"results": [{"url": "https://elsewhere.example/x", "excerpt": "Not it"}]},
                          articles, tmp_path)
    assert messages[-1] == "7-wanted: queued again, by its URL words"
    second = queue.claim(tmp_path, present=lambda r: False)
    assert (second["id"], second["kind"], second["search"]) == ("7-wanted", "query", "example made up")
    # the URL's words find it, under another address: saved, and noted as found by them
    queue.done("7-wanted", "query", {"results": [{"url": "https://mirror.example/copy", "excerpt": text}]},
               articles, tmp_path)
    assert articles[0]["path"].read_text(encoding="utf-8") == text
    assert (tmp_path / "found.tsv").read_text(encoding="utf-8") == "7-wanted\tquery\n"
    assert queue.claim(tmp_path, present=lambda r: False) is None  # no third try


def test_a_text_another_search_brings_back_is_noted_as_found_by_another(tmp_path):
    queue = load("restore_queue")
    first_text, second_text = "First made-up article text\n", "Second made-up article text\n"
    first, second = _row("8-first"), _row("9-second")
    articles = [_article(tmp_path, first, first_text), _article(tmp_path, second, second_text)]
    queue.start([first, second], tmp_path)
    queue.claim(tmp_path, present=lambda r: False)
    answer = {"results": [{"url": second["url"], "excerpt": second_text}, {"url": first["url"], "excerpt": first_text}]}
    assert queue.done("8-first", "key", answer, articles, tmp_path) == ["OK 9-second", "OK 8-first"]
    assert (tmp_path / "found.tsv").read_text(encoding="utf-8") == "9-second\tother\n8-first\tkey\n"


def test_searchers_at_once_never_claim_one_row_twice(tmp_path):
    queue = load("restore_queue")
    queue.start([_row(f"{n}-row") for n in range(200)], tmp_path, cap=150)
    claimed, lock = [], threading.Lock()

    def searcher():
        while (row := queue.claim(tmp_path, present=lambda r: False)) is not None:
            with lock:
                claimed.append(row["id"])

    threads = [threading.Thread(target=searcher) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(claimed) == 150 and len(set(claimed)) == 150


def test_an_answer_for_a_row_never_handed_out_saves_yet_queues_nothing(tmp_path):
    queue = load("restore_queue")
    text = "A made-up text of a row outside the queue\n"
    outside = _row("10-outside")
    articles = [_article(tmp_path, outside, text)]
    queue.start([_row("11-queued")], tmp_path)
    messages = queue.done("10-outside", "key", {"results": [{"url": outside["url"], "excerpt": text}]}, articles, tmp_path)
    assert messages[0] == "OK 10-outside"  # the text is still the one measured: kept
    assert "nothing queued again" in messages[-1]
    assert queue.claim(tmp_path, present=lambda r: False)["id"] == "11-queued"
