"""Explanations: near-miss reasons, snippets with highlight spans, and round trips through JSON."""
import json

from pipelines.watch import Document, Matcher, MatchResult, format_explanation, parse_watch

WATCH = parse_watch("""
[watch]
name = "ru_pk"
threshold = 3

[groups.russia]
label = "Russia"
terms = ["Russia", "Moscow"]

[groups.pakistan]
label = "Pakistan"
terms = ["Pakistan", "Islamabad"]

[groups.security]
terms = ["defence", "military"]

[[rules]]
name = "both sides twice"
expr = "ATLEAST(2, russia) AND ATLEAST(2, pakistan)"
required = true
weight = 0

[[rules]]
name = "together with security"
expr = "SENTENCE(russia, pakistan, security)"
weight = 2
cap = 3

[[exclusions]]
name = "sidebar"
context = ["Most read"]
scope = "paragraph"
""", "ru_pk.toml")

ARTICLE = ("Officials met in Islamabad on Monday. Russia and Pakistan signed a defence pact. "
           "Moscow will train the Pakistan military, the ministry said. Weather was fine.")


def test_fired_result_has_hits_rules_reasons_and_snippet():
    result = Matcher([WATCH]).match(Document("Pact signed", ARTICLE))[0]
    assert result.fired and result.score >= 3
    assert any("together with security" in r for r in result.rules)
    assert any("≥ threshold" in r for r in result.reasons)
    # whole sentences around the hits; a sentence without hits at the edge is left out
    assert result.snippet.startswith("Officials met in Islamabad")
    assert result.snippet.endswith("the ministry said.")
    highlighted = [result.snippet[a:b] for a, b in result.snippet_spans]
    assert highlighted[:4] == ["Islamabad", "Russia", "Pakistan", "defence"]


def test_explain_gives_a_reason_for_a_near_miss():
    doc = Document("", "Russia and Pakistan signed a defence pact. Moscow agreed.")
    assert Matcher([WATCH]).match(doc) == []
    result = Matcher([WATCH]).explain(doc)[0]
    assert not result.fired
    assert any("both sides twice" in r and "Pakistan" in r and "found 1×" in r and "2 needed" in r
               for r in result.reasons), result.reasons


def test_explain_reports_a_watch_with_no_terms():
    result = Matcher([WATCH]).explain(Document("", "Nothing relevant here."))[0]
    assert result.reasons == ["no terms of this watch found"] and result.hits == []


def test_explain_names_the_exclusion_that_cancelled_hits():
    doc = Document("", "Cats are great.\nMost read: Russia and Pakistan sign defence deal, "
                       "Moscow and Islamabad happy with military ties.")
    result = Matcher([WATCH]).explain(doc)[0]
    assert not result.fired
    assert any("sidebar" in r and "cancelled" in r for r in result.reasons)


def test_to_dict_from_dict_round_trip_through_json():
    result = Matcher([WATCH]).match(Document("Pact signed", ARTICLE))[0]
    data = json.loads(json.dumps(result.to_dict()))
    again = MatchResult.from_dict(data)
    assert again == result
    assert data["hits"][0].keys() == {"term", "group", "form", "start", "end", "field", "zone"}


def test_format_explanation_shows_forms_and_marks_the_snippet():
    result = Matcher([WATCH]).match(Document("Pact signed", ARTICLE))[0]
    text = format_explanation(result)
    assert "FIRED" in text and "[Russia]" in text and "pakistan: " in text
    near_miss = Matcher([WATCH]).explain(Document("", "Russia only."))[0]
    assert "did not fire" in format_explanation(near_miss)


def test_long_single_sentence_snippet_is_cut_around_the_hits():
    filler = " ".join(["word"] * 120)
    doc = Document("", f"{filler} Russia and Pakistan defence Moscow Islamabad military {filler}.")
    result = Matcher([WATCH]).explain(doc)[0]
    assert len(result.snippet) <= 302
    assert result.snippet.startswith("…") and result.snippet.endswith("…")
    assert "Russia" in result.snippet
    for a, b in result.snippet_spans:
        assert result.snippet[a:b] in {"Russia", "Pakistan", "defence", "Moscow", "Islamabad", "military"}


def test_an_inline_phrase_shows_as_evidence_only_where_a_rule_names_it():
    """A phrase in a rule is evidence an alert lists; one only an exclusion's proviso names
    (the secretary beside a Security Council) decides the exclusion and is not listed."""
    watch = parse_watch("""
[watch]
name = "council"
threshold = 1

[groups.security]
terms = ["security"]

[[rules]]
expr = "security OR \\"defence pact\\""

[[exclusions]]
name = "a council is a body"
context = ["Security Council"]
cancels = ["security"]
scope = 4
unless = "\\"secretary\\""
""", "council.toml")
    result = Matcher([watch]).explain(Document(title="", text=(
        "The secretary of the Security Council spoke. The UN Security Council met. A defence pact.")))[0]
    forms = [hit.form for hit in result.hits]
    assert forms == ["Security", "defence pact"]  # the secretary's council kept, the UN's cancelled
    assert result.fired and "secretary" not in " ".join(result.reasons)  # nor among the matched forms
