"""The rule language: AND/OR/NOT, phrases, proximity, counts, weights, threshold, title boost,
exclusions, included groups and the term flags (=exact, prefix*, Pak-, ACRONYM)."""
from pipelines.watch import Document, Matcher, parse_watch


def watch(groups: str, rules: str, extra: str = "", threshold: float = 1, title_boost: float = 1):
    return parse_watch(f"""
[watch]
name = "w"
threshold = {threshold}
title_boost = {title_boost}
{groups}
{rules}
{extra}
""", "test.toml")


GROUPS = """
[groups.a]
terms = ["alpha", "Alfa"]
[groups.b]
terms = ["bravo"]
[groups.c]
terms = ["charlie"]
"""


def fires(w, text, title=""):
    return bool(Matcher([w]).match(Document(title=title, text=text)))


def result(w, text, title=""):
    return Matcher([w]).explain(Document(title=title, text=text))[0]


def rule(expr, **extra):
    lines = ["[[rules]]", f"expr = '{expr}'"] + [f"{k} = {v}" for k, v in extra.items()]
    return "\n".join(lines)


def test_and_or_not():
    both = watch(GROUPS, rule("a AND b"))
    assert fires(both, "alpha and bravo")
    assert not fires(both, "alpha alone")
    either = watch(GROUPS, rule("a OR c"))
    assert fires(either, "only charlie")
    assert not fires(either, "only bravo")
    without = watch(GROUPS, rule("a AND NOT c"))
    assert fires(without, "alpha here")
    assert not fires(without, "alpha and charlie")
    grouped = watch(GROUPS, rule("(a OR b) AND NOT (c OR b)"))
    assert fires(grouped, "alpha")
    assert not fires(grouped, "alpha bravo")


def test_inline_phrase_needs_adjacent_words_in_order():
    w = watch(GROUPS, rule('"joint exercise" AND a'))
    assert fires(w, "alpha held a joint exercise")
    assert fires(w, "alpha held joint exercises")             # inflects
    assert not fires(w, "alpha: the exercise was joint")
    assert not fires(w, "alpha held a joint, exercise")       # a comma breaks a phrase
    assert not fires(w, "alpha held a joint\nexercise")       # so does a line break


def test_near_counts_words():
    w = watch(GROUPS, rule("NEAR(a, b, 3)"))
    assert fires(w, "alpha one two bravo")
    assert not fires(w, "alpha one two three four bravo")


def test_near_does_not_count_a_possessive_or_an_elided_article_as_a_word():
    """Folding turns the apostrophe into a space ("alpha's" is "alpha s"): what is left of "'s",
    "l'" and "d'" is no word of its own, so distances are the ones a reader counts."""
    w = watch(GROUPS, rule("NEAR(a, b, 3)"))
    assert fires(w, "Alpha's ties with bravo.")        # ties, with, bravo: three words on
    assert fires(w, "alpha et l'appui bravo")          # et, appui, bravo
    assert fires(w, "alpha et d’autres bravo")         # the typographic apostrophe too
    assert not fires(w, "alpha's ties with the bravo")  # four words on, as without the "'s"


def test_lead_holds_when_its_operands_are_among_the_first_words():
    """The title's words come first, then the text's; a hit past the count is not in the lead."""
    w = watch(GROUPS, rule("LEAD(a, b, 5)"))
    assert fires(w, "Alpha met bravo on Monday, and then charlie.")
    assert fires(w, "bravo arrives later in the week.", title="Alpha waits")
    assert not fires(w, "Alpha met many people on Monday, bravo among them.")  # bravo is word 8
    one = watch(GROUPS, rule("LEAD(c, 3)"))
    assert fires(one, "One two charlie")
    assert not fires(one, "One two three charlie")


def test_lead_counts_once_and_says_why_not():
    counted = watch(GROUPS, rule("LEAD(a, 10)", weight=2), threshold=2)
    assert result(counted, "alpha alpha alpha").score == 2        # once, however many hits
    required = watch(GROUPS, rule("LEAD(a, b, 3)", required="true") + "\n" + rule("a", weight=1))
    outcome = result(required, "Alpha said one two three bravo.")
    assert not outcome.fired
    assert any("together in the first 3 words" in reason for reason in outcome.reasons)


def test_a_box_of_related_headlines_at_the_top_is_not_the_lead():
    from pipelines.watch.model import Zone
    w = watch(GROUPS, rule("LEAD(a, b, 6)"))
    text = "Alpha and bravo\nThe story itself begins here, naming alpha and bravo much later."
    doc = Document(title="", text=text, zones=(Zone(0, 15, "related"),))
    assert not Matcher([w]).match(doc)
    assert Matcher([w]).match(Document(title="", text=text))


def test_sentence_and_paragraph_scopes():
    sentence = watch(GROUPS, rule("SENTENCE(a, b)"))
    assert fires(sentence, "Alpha met bravo. Then left.")
    assert not fires(sentence, "Alpha met nobody. Bravo left.")
    assert fires(sentence, "Gen. Alpha met Mr. bravo.")          # abbreviations do not split
    paragraph = watch(GROUPS, rule("PARAGRAPH(a, b)"))
    assert fires(paragraph, "Alpha met nobody. Bravo left.")
    assert not fires(paragraph, "Alpha met nobody.\n\nBravo left.")


def test_not_inside_a_scope_is_local():
    w = watch(GROUPS, rule("SENTENCE(a, b, NOT c)"))
    assert fires(w, "Alpha and bravo. Charlie elsewhere.")
    assert not fires(w, "Alpha, bravo and charlie.")


def test_atleast_counts_hits():
    w = watch(GROUPS, rule("ATLEAST(2, a)"))
    assert fires(w, "alpha and Alfa")
    assert not fires(w, "alpha only")


def test_weights_cap_and_threshold():
    w = watch(GROUPS, rule("a", weight=2, cap=2), threshold=4)
    assert result(w, "alpha").score == 2
    assert not fires(w, "alpha")
    assert fires(w, "alpha alpha")
    assert result(w, "alpha alpha alpha alpha").score == 4    # capped at 2 occurrences


def test_group_weight_scores_hits():
    groups = GROUPS.replace('terms = ["bravo"]', 'terms = ["bravo"]\nweight = 1.5\ncap = 2')
    w = watch(groups, rule("b", weight=0), threshold=3)
    assert not fires(w, "bravo")
    assert fires(w, "bravo bravo")
    assert result(w, "bravo bravo bravo").score == 3


def test_negative_weight_penalises():
    w = watch(GROUPS, rule("a", weight=2) + "\n" + rule("SENTENCE(a, c)", weight=-2, name='"penalty"'),
              threshold=2)
    assert fires(w, "Alpha. Charlie.")
    assert not fires(w, "Alpha and charlie.")


def test_required_rule_blocks_even_a_high_score():
    w = watch(GROUPS, rule("a", weight=10) + "\n" + rule("b", required="true", weight=0, name='"needs b"'),
              threshold=1)
    assert not fires(w, "alpha")
    assert fires(w, "alpha bravo")


def test_title_boost_multiplies_title_hits():
    w = watch(GROUPS, rule("a", weight=1, cap=10), threshold=2, title_boost=2)
    assert not fires(w, "alpha")
    assert fires(w, "nothing here", title="Alpha news")
    hit = result(w, "text", title="Alpha news").hits[0]
    assert (hit.field, hit.start, hit.end, hit.form) == ("title", 0, 5, "Alpha")


def test_exclusion_cancels_hits_in_its_sentence():
    extra = """
[[exclusions]]
name = "rival context"
context = ["rival"]
cancels = ["b"]
scope = "sentence"
"""
    w = watch(GROUPS, rule("a AND b"), extra)
    assert fires(w, "Alpha met bravo.")
    assert not fires(w, "Alpha met its rival bravo.")
    assert fires(w, "Alpha met its rival bravo. Later bravo came.")
    near_miss = result(w, "Alpha met its rival bravo.")
    assert any("rival context" in r and "bravo" in r for r in near_miss.reasons)


def test_exclusion_by_words_and_by_paragraph():
    words = watch(GROUPS, rule("b"), '[[exclusions]]\ncontext = ["food"]\nscope = 1')
    assert fires(words, "food and more bravo")
    assert not fires(words, "food bravo")
    paragraph = watch(GROUPS, rule("a"), '[[exclusions]]\ncontext = ["Most read"]\nscope = "paragraph"')
    assert not fires(paragraph, "Story text.\nMost read: alpha wins.")
    assert fires(paragraph, "Alpha story text.\nMost read: other news.")


def test_exclusion_of_the_rest_of_a_paragraph_spares_what_comes_before_the_context():
    # a feed's teaser is one paragraph that ends "Read more": its own words are not the link list
    rest = watch(GROUPS, rule("a"), '[[exclusions]]\ncontext = ["Read more"]\nscope = "rest of paragraph"')
    assert fires(rest, "Alpha story text in one paragraph. Read more")
    assert not fires(rest, "Story text. Read more: alpha wins.")
    assert not fires(rest, "Story text.\nRead more: alpha wins.")
    whole = watch(GROUPS, rule("a"), '[[exclusions]]\ncontext = ["Read more"]\nscope = "paragraph"')
    assert not fires(whole, "Alpha story text in one paragraph. Read more")


def test_exclusion_context_may_be_an_expression():
    extra = '[[exclusions]]\ncontext = "c"\ncancels = ["a"]\nscope = "sentence"'
    w = watch(GROUPS, rule("a"), extra)
    assert not fires(w, "Alpha with charlie.")
    assert fires(w, "Alpha. Charlie.")


def test_exclusions_apply_in_order_and_a_cancelled_hit_is_no_context_after():
    # "charlie" cancels c's neighbour "bravo"; a later exclusion whose context is b then no longer
    # sees that bravo, so alpha keeps its hit. In the other order, both go.
    first = '[[exclusions]]\nname = "c cancels b"\ncontext = ["charlie"]\ncancels = ["b"]\nscope = 1\n'
    then = '[[exclusions]]\nname = "b cancels a"\ncontext = "b"\ncancels = ["a"]\nscope = "sentence"\n'
    w = watch(GROUPS, rule("a"), first + then)
    assert fires(w, "Alpha met charlie bravo.")
    assert not fires(w, "Alpha met bravo.")  # a bravo nobody cancelled is still context
    reversed_order = watch(GROUPS, rule("a"), then + first)
    assert not fires(reversed_order, "Alpha met charlie bravo.")


def test_exclusion_spares_a_scope_where_unless_holds_counting_the_hit_itself():
    extra = """
[[exclusions]]
name = "rival context"
context = ["rival"]
cancels = ["a", "b"]
scope = "sentence"
unless = "NEAR(a, b, 2)"
"""
    w = watch(GROUPS, rule("a AND b"), extra)
    assert not fires(w, "Alpha, the rival, later met bravo.")  # a and b apart: cancelled
    assert fires(w, "The rival watched alpha and bravo.")      # a and b paired: spared
    spared = result(w, "The rival watched alpha and bravo.")
    assert not any("rival context" in r for r in spared.reasons)


def test_included_groups_count_for_the_parent():
    groups = GROUPS + '[groups.ab]\ninclude = ["a", "b"]\n'
    w = watch(groups, rule("ATLEAST(2, ab)"))
    assert fires(w, "alpha bravo")
    hits = result(w, "alpha bravo").hits
    assert {h.group for h in hits} == {"a", "b"}


def test_term_flags():
    groups = """
[groups.t]
terms = ["=Mir", "kontrterror*", "ISI", "Pak-", "Mi-35"]
"""
    w = watch(groups, rule("t"))
    assert fires(w, "stacja Mir")
    assert not fires(w, "stacji Mira")                 # exact: no endings
    assert fires(w, "działania kontrterrorystyczne")   # prefix
    assert fires(w, "the ISI chief")
    assert not fires(w, "a decision by Isi")            # acronyms are case-sensitive
    assert fires(w, "Pak-Afghan border")
    assert not fires(w, "Pak said")                     # Pak- only inside a compound
    assert fires(w, "four Mi-35M helicopters")          # digits allow a short suffix
    assert not fires(w, "four Mi-350 helicopters")


def test_compound_heads_and_infixes_match_inside_a_word():
    # German writes compounds as one word: a prefix (Sicherheit*) finds their first part only
    w = watch('[groups.t]\nterms = ["*hubschrauber", "*abwehr*"]', rule("t"))
    hits = result(w, "Kampfhubschraubern, ein Hubschrauber, Flugabwehrraketen und Luftabwehr").hits
    assert [(h.form, h.start, h.end) for h in hits] == [
        ("Kampfhubschraubern", 0, 18), ("Hubschrauber", 24, 36), ("Flugabwehrraketen", 38, 55),
        ("Luftabwehr", 60, 70)]
    assert not fires(w, "der Hubschrauberlandeplatz")   # a head ends the word, but for an ending
    assert not fires(w, "Hubschrauberei")
    assert fires(w, "Abwehrchance")                      # an infix may also begin or end it


def test_same_alias_in_two_watches_is_reported_for_both():
    one = watch(GROUPS, rule("a"))
    two = parse_watch('[watch]\nname = "other"\n[groups.x]\nterms = ["alpha"]\n[[rules]]\nexpr = "x"', "o.toml")
    results = Matcher([one, two]).match(Document(title="", text="alpha"))
    assert sorted(r.watch for r in results) == ["other", "w"]


def test_readme_example_watch_parses_and_fires():
    from pathlib import Path

    readme = (Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8")
    watches_section = readme.split("## Watches: the rule language", 1)[1]
    source = watches_section.split("```toml\n", 1)[1].split("```", 1)[0]
    w = parse_watch(source, "README.md")
    text = ("Rosja sprzedała Pakistanowi śmigłowce Mi-35. Moskwa i Islamabad zacieśniają "
            "współpracę, a Szojgu spotkał się z Bajwą.")
    assert fires(w, text)
    assert not fires(w, "India bought S-400 from Russia. Moscow sells to India; Pakistan protests.")
