"""devset/restore.py keeps a re-found text only when it is the text measured (its recorded sha256).

The rows and texts here are written for the test; nothing from the real development set is read.
"""
import csv
import hashlib
import json

import pytest

from tests.devset_scripts import load


def _restore():
    return load("restore")


MEASURED = "Headline of a made-up page\n\nFirst paragraph about a made-up meeting.\n"
STORED = "  Headline of a made-up page\n\nFirst paragraph about a made-up meeting.\nRead more: other news\n"


def _row(tmp_path, text=MEASURED, url="https://example.org/news/made-up-meeting"):
    return {"id": "901-made-up", "url": url, "sha256": hashlib.sha256(text.encode()).hexdigest(),
            "path": tmp_path / "heldout" / "relevant" / "901-made-up.en.txt"}


def test_an_exact_excerpt_is_saved(tmp_path):
    restore = _restore()
    row = _row(tmp_path)
    message = restore.save({"url": "http://www.example.org/news/made-up-meeting/", "excerpt": MEASURED.strip()}, [row])
    assert message == "OK 901-made-up"
    assert row["path"].read_text(encoding="utf-8") == MEASURED


def test_a_text_cut_at_a_line_end_is_found_in_the_longer_excerpt(tmp_path):
    restore = _restore()
    row = _row(tmp_path)
    assert restore.save({"url": row["url"], "excerpt": STORED}, [row]) == "OK 901-made-up"
    assert row["path"].read_bytes() == MEASURED.encode()


def test_a_copy_with_one_changed_letter_is_not_saved(tmp_path, monkeypatch):
    restore = _restore()
    monkeypatch.setattr(restore, "TEXTS", tmp_path)
    row = _row(tmp_path)
    message = restore.save({"url": row["url"], "excerpt": MEASURED.replace("meeting", "meetings")}, [row])
    assert message.startswith("MISMATCH 901-made-up")
    assert not row["path"].exists()
    assert (tmp_path / "mismatch" / "901-made-up.en.txt").exists()  # kept for a person to judge


def test_a_result_of_another_page_needs_the_id(tmp_path):
    restore = _restore()
    row = _row(tmp_path)
    result = {"url": "https://mirror.example.net/copy", "excerpt": MEASURED}
    assert restore.save(result, [row]).startswith("NO ROW")
    assert restore.save(result, [row], "901-made-up") == "OK 901-made-up"
    assert restore.save(result, [row], "901-made-up") == "ALREADY SAVED 901-made-up"


def test_rows_sharing_one_url_are_each_checked(tmp_path):
    # some outlets serve several articles under one address: the second row's text is saved too,
    # where only the first row with that URL was tried before
    restore = _restore()
    other = "Another made-up page under the same address\n"
    first = _row(tmp_path, text=other)
    second = {**_row(tmp_path), "id": "902-same-url", "path": tmp_path / "heldout" / "relevant" / "902-same-url.en.txt"}
    assert restore.save({"url": second["url"], "excerpt": MEASURED}, [first, second]) == "OK 902-same-url"
    assert not first["path"].exists()


def test_a_whole_answer_saves_every_lost_text_it_holds(tmp_path, monkeypatch):
    restore = _restore()
    monkeypatch.setattr(restore, "TEXTS", tmp_path)
    wanted = _row(tmp_path)
    other_text = "A second made-up report on a made-up visit\n"
    other = {**_row(tmp_path, text=other_text, url="https://example.net/made-up-visit"), "id": "902-visit",
             "path": tmp_path / "tuning" / "irrelevant" / "902-visit.en.txt"}
    answer = {"query": "made-up", "results": [
        {"url": "https://unrelated.example/page", "excerpt": "Not a row of the set"},
        {"url": other["url"], "excerpt": other_text},
        {"url": "https://mirror.example.net/copy", "excerpt": MEASURED},
        {"title": "a result without an address"}]}
    # the search was made for 901: a result under another address is tried as its text
    messages = restore.save_answer(answer, [wanted, other], "901-made-up")
    assert messages == ["NO ROW for https://unrelated.example/page (give the id if the corpus URL differs)",
                        "OK 902-visit", "OK 901-made-up"]
    assert wanted["path"].read_bytes() == MEASURED.encode()
    assert other["path"].read_bytes() == other_text.encode()
    assert not (tmp_path / "mismatch").exists()  # the unrelated page is not kept as 901's copy


def test_the_query_is_the_outlet_and_the_headline_words():
    query_for = _restore().query_for
    # words in the address: the outlet and the last part with words
    assert (query_for("https://www.example-news.com/world/2024/05/made-up-talks-in-moscow.html", "901-x")
            == "example-news made up talks in moscow")
    # a %-encoded Urdu slug is decoded
    assert query_for("https://urdu.example.pk/news/%D8%A7%D8%AC%D9%84%D8%A7%D8%B3-%D9%85%D8%A7%D8%B3%DA%A9%D9%88",
                     "902-x") == "urdu اجلاس ماسکو"
    # a number for an address: the article's id names it
    assert query_for("https://m.example.ru/news/68250238/", "903-druzhba-2025-zavershilis-example") == \
        "example druzhba zavershilis"


def test_the_search_key_is_the_first_headline_or_sentence():
    restore = _restore()
    text = ("date 2021-02 Share\n11 July 2025, 03:15 11 July 2025, 04:15\n"
            "Made-up navies hold a made-up drill off a made-up port for the first time in years\n"
            "Body of the made-up report.\n")
    # the corpus's date marker, a one-word line and a time stamp are passed over; twelve words kept
    assert restore.search_key(text) == "Made-up navies hold a made-up drill off a made-up port for the"
    # a "# title" line of the oldest texts counts as the headline it is
    assert restore.search_key("# Made-up minister visits a made-up capital\nText.\n") == \
        "Made-up minister visits a made-up capital"
    # a site's notice found on several pages is not the article's own
    notice = "Your made-up email address will not be published here"
    shared = restore.shared_lines([f"{notice}\nFirst made-up article about a made-up visit\n",
                                   f"{notice}\nSecond made-up article about a made-up deal\n"])
    assert notice in shared
    assert restore.search_key(f"{notice}\nFirst made-up article about a made-up visit\n", shared) == \
        "First made-up article about a made-up visit"
    assert restore.search_key("Too short\n12 34 56 78 90\n") == ""



def test_the_search_key_passes_over_a_pages_furniture_and_reads_chinese():
    restore = _restore()
    furniture = ("Home » News » Made-up section of a made-up site\n"
                 "Today's Paper | a made-up day of a made-up month\n"
                 '<p style="padding: 0px">made-up markup left in the page text</p>\n'
                 "Sorry, you need to enable JavaScript to visit this made-up website\n"
                 "{{dayPoint.date | date : 'd MMMM yyyy'}} made-up template marks\n"
                 "Made-up city weather 17.41 ° C today and tomorrow\n"
                 "Something went wrong with the made-up connection!\n"
                 "Article de 366 mots ⏱️ 2 min de lecture\n"
                 "Made-up minister at a made-up meeting (Archivfoto)\n"
                 "© Made-up Agency / Made-up Photographer a made-up caption line\n"
                 "微博 微信 空间 分享 添加喜爱\n")
    headline = "Made-up navies hold a made-up drill off a made-up port\n"
    assert restore.search_key(furniture + headline) == headline.strip()
    # quotation marks are not breadcrumbs
    assert restore.search_key("«Дружба» made-up drills open «near» a made-up town\n") == \
        "«Дружба» made-up drills open «near» a made-up town"
    # nor is the spaced » that closes a French quote
    assert restore.search_key("La Russie joue ses « parties d’échecs » imaginaires avec un voisin\n") == \
        "La Russie joue ses « parties d’échecs » imaginaires avec un voisin"
    # Chinese has no spaces: a line of twelve Han characters or more is a headline, cut at 30
    chinese = "虚构的两国海军在虚构的港口附近举行虚构的联合演习并发表虚构的声明称合作将继续\n"
    assert restore.search_key("首页 » 新闻\n" + chinese) == chinese[:30]
    # its digits are counted against its characters, not its few "words": a dated headline is a key,
    # and a key cut at 30 characters is still one when read back
    dated = "虚构的外长们将于2月初在虚构的城市举行第三次虚构会议 -\n"
    assert restore.search_key(dated) == dated[:30].strip()
    assert restore.search_key(restore.search_key(dated)) == dated[:30].strip()
    assert restore.search_key("发表于 2018-4-7 13:32\n") == ""


def _restore_keeping_keys_in(tmp_path, monkeypatch):
    """restore.py with its search-keys.tsv (and every table it reads) in tmp_path."""
    restore = _restore()
    monkeypatch.setattr(restore, "KEYS", tmp_path / "search-keys.tsv")
    monkeypatch.setattr(restore, "read_table", lambda name: _read_tsv(tmp_path / name))
    return restore


def test_keys_are_recorded_for_present_texts_and_kept_for_absent_ones(tmp_path, monkeypatch):
    restore = _restore_keeping_keys_in(tmp_path, monkeypatch)
    present, absent = _row(tmp_path), {**_row(tmp_path), "id": "902-gone", "path": tmp_path / "902-gone.en.txt"}
    present["path"].parent.mkdir(parents=True)
    present["path"].write_text("Made-up headline about a made-up meeting in a made-up city\nText.\n", encoding="utf-8")
    (tmp_path / "search-keys.tsv").write_text("id\tkey\tfound_by\n902-gone\tkey recorded when the text was here\tquery\n",
                                              encoding="utf-8")
    assert restore.write_keys([present, absent]) == 1
    assert _read_tsv(tmp_path / "search-keys.tsv") == [
        {"id": "901-made-up", "key": "Made-up headline about a made-up meeting in a made-up city", "found_by": ""},
        {"id": "902-gone", "key": "key recorded when the text was here", "found_by": "query"}]


def test_a_key_that_starts_with_a_quote_mark_stays_one_row(tmp_path, monkeypatch):
    # written unquoted, '"Переломный момент": …' opened a quoted field that swallowed the next 88
    # rows when read back: their keys were lost to 'missing'
    restore = _restore_keeping_keys_in(tmp_path, monkeypatch)
    quoted, plain = _row(tmp_path), {**_row(tmp_path), "id": "902-next", "path": tmp_path / "902-next.en.txt"}
    quoted["path"].parent.mkdir(parents=True)
    quoted["path"].write_text('"A made-up quote": the made-up minister opens the made-up talks\n', encoding="utf-8")
    plain["path"].write_text("Made-up headline about a made-up meeting in a made-up city\n", encoding="utf-8")
    restore.write_keys([quoted, plain])
    assert [(r["id"], r["key"]) for r in _read_tsv(tmp_path / "search-keys.tsv")] == [
        ("901-made-up", '"A made-up quote": the made-up minister opens the made-up talks'),
        ("902-next", "Made-up headline about a made-up meeting in a made-up city")]


def test_what_found_a_text_is_noted_for_the_next_restore(tmp_path, monkeypatch):
    restore = _restore_keeping_keys_in(tmp_path, monkeypatch)
    row = _row(tmp_path)
    (tmp_path / "search-keys.tsv").write_text("id\tkey\n901-made-up\tMade-up headline\n", encoding="utf-8")
    assert restore.record_found_by([row], {"901-made-up": "key", "999-unknown": "query"}) == 1
    assert _read_tsv(tmp_path / "search-keys.tsv") == [{"id": "901-made-up", "key": "Made-up headline", "found_by": "key"}]
    with pytest.raises(ValueError, match="found_by"):
        restore.record_found_by([row], {"901-made-up": "guess"})
    # found among another row's results: said so, not passed off as its own key
    assert restore.record_found_by([row], {"901-made-up": "other"}) == 1
    assert _read_tsv(tmp_path / "search-keys.tsv")[0]["found_by"] == "other"


def test_a_version_of_the_page_without_the_date_marker_is_found(tmp_path):
    restore = _restore()
    row = _row(tmp_path)
    assert restore.save({"url": row["url"], "excerpt": " date 2019-12-22 " + MEASURED}, [row]) == "OK 901-made-up"
    assert row["path"].read_bytes() == MEASURED.encode()


def _read_tsv(path):
    with open(path, encoding="utf-8") as f:
        return list(csv.DictReader(f, delimiter="\t"))


def _add_articles():
    return load("add_articles")


def test_a_collected_search_result_is_kept_as_restore_would_find_it_again(tmp_path, monkeypatch):
    """A page collected from its saved search result (add_articles.py FILE.json) is the text that
    restore.py save rebuilds from the same result, so a lost text can be checked by its hash."""
    add = _add_articles()
    monkeypatch.setattr(add, "TEXTS", tmp_path / "texts")
    monkeypatch.setattr(add, "INDEX", tmp_path / "articles.tsv")
    result = {"url": "https://example.org/news/made-up-meeting", "excerpt": STORED}
    saved = tmp_path / "made-up-meeting-example.json"
    saved.write_text(json.dumps({**result, "lang": "en", "label": "irrelevant", "date": "2024-05",
                                 "why": "a made-up meeting; no security", "doubt": ""}), encoding="utf-8")
    add.main(add.batch_from_json([str(saved)]))

    row = _read_tsv(tmp_path / "articles.tsv")[0]
    assert row["id"] == "001-made-up-meeting-example"
    assert (row["label"], row["lang"], row["date"], row["url"], row["why"]) == (
        "irrelevant", "en", "2024-05", result["url"], "a made-up meeting; no security")
    kept = (tmp_path / "texts" / "pool" / "irrelevant" / "001-made-up-meeting-example.en.txt").read_text(encoding="utf-8")
    assert kept == STORED.strip() + "\n"

    restore = _restore()
    measured = {"id": row["id"], "url": row["url"], "sha256": hashlib.sha256(kept.encode()).hexdigest(),
                "path": tmp_path / "again" / "001.en.txt"}
    assert restore.save(result, [measured]) == f"OK {row['id']}"
