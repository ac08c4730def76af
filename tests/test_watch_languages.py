"""Ukrainian, Arabic, Farsi, Hindi, Chinese and Turkish: folding, segmentation, inflection."""
from pathlib import Path

import pytest

from pipelines.watch import Document, Matcher, load_watch, parse_watch
from pipelines.watch.normalize import fold, script_of

ROOT = Path(__file__).resolve().parents[1]
WATCH = ROOT / "crawler" / "watchlists" / "russia_pakistan_security.toml"


@pytest.fixture(scope="module")
def bundled():
    return Matcher([load_watch(WATCH)])


def forms(matcher, text, language, group_prefix=""):
    result = matcher.explain(Document("", text, language))[0]
    return {h.form for h in result.hits if h.group.startswith(group_prefix)}


def folded(text):
    return fold(text).padded.strip()


# ------------------------------------------------------------------------------- folding
def test_devanagari_vowel_signs_stay_in_the_word_and_nukta_is_dropped():
    assert folded("पाकिस्तान") == "पाकिस्तान"  # one word, matras kept
    assert folded("फ़ौजी क़ानून") == folded("फौजी कानून")  # precomposed and combining nukta alike
    assert folded("\u092b\u093c\u094c\u091c\u0940") == "फौजि"  # and the long ī is short
    assert folded("हँसी") == folded("हंसी")  # candrabindu as anusvara
    assert script_of("पाकिस्तान") == "devanagari"


def test_traditional_chinese_folds_to_simplified():
    assert folded("俄羅斯與巴基斯坦軍隊") == "俄罗斯与巴基斯坦军队"
    assert script_of("俄罗斯") == "han"


def test_persian_and_arabic_letter_variants_fold_together():
    # Arabic yeh/kaf/teh marbuta/alef with hamza vs Persian/Urdu forms
    assert folded("إسلام أباد") == folded("اسلام آباد")
    assert folded("باكستانية") == folded("باکستانیہ")
    assert folded("همکاری\u200cهای") == folded("همکاری های")  # ZWNJ is a word break
    assert folded("پاکستان") == folded("پاكستان")


def test_devanagari_long_i_and_u_fold_to_short():
    # Hindi news spells Russia रूस and रुस, and a word's long ending either way
    assert folded("रूस") == folded("रुस")
    assert folded("रूसी सेना") == folded("रुसि सेना")
    assert folded("ईरान ऊर्जा") == folded("इरान उर्जा")  # the letters too, not only the signs
    assert folded("रूस") != folded("रास")  # a vowel sign is still part of the word


def test_hindi_short_spelling_of_russia_matches_the_term(bundled):
    assert "रुस" in forms(bundled, "रुस और पाकिस्तान के बीच सैन्य अभ्यास", "hi")


def test_offsets_survive_dropped_characters():
    text = "फ़ौजी रूस"
    f = fold(text)
    start = f.padded.index(fold("रूस").padded.strip())
    assert text[f.original_offset(start):f.original_end(start + 3)] == "रूस"


# --------------------------------------------------------------------------- segmentation
def test_chinese_terms_are_found_inside_unsegmented_text(bundled):
    found = forms(bundled, "俄罗斯与巴基斯坦举行联合反恐军事演习。", "zh")
    assert {"俄罗斯", "巴基斯坦", "联合", "反恐", "军事", "演习"} & found >= {"俄罗斯", "巴基斯坦", "反恐", "军事"}


def test_chinese_belarus_is_not_russia(bundled):
    # 白俄罗斯 (Belarus) holds 俄罗斯 (Russia) as a substring, as Urdu بیلاروس holds روس
    assert forms(bundled, "白俄罗斯总统与巴基斯坦总理会谈。", "zh", "russia") == set()
    assert forms(bundled, "俄罗斯和白俄罗斯举行联合军事演习。", "zh", "russia") == {"俄罗斯"}


def test_chinese_sentences_end_without_a_space(bundled):
    text = "俄罗斯国防部表示。巴基斯坦军方说。"
    result = bundled.explain(Document("", text, "zh"))[0]
    # two sentences: "Russia and Pakistan in one sentence" must not hold
    assert not any("one sentence" in r for r in result.rules)


def test_hindi_danda_ends_a_sentence(bundled):
    text = "रूस ने बयान दिया। पाकिस्तान ने जवाब दिया।"
    result = bundled.explain(Document("", text, "hi"))[0]
    assert not any("in one sentence" in r for r in result.rules)


def test_han_characters_count_as_words_for_distances():
    """A Chinese word is 1.6 characters on average: five words apart are about eight characters."""
    watch = parse_watch("""[watch]
name = "t"
threshold = 1
[groups.a]
terms = ["俄罗斯"]
[groups.b]
terms = ["巴基斯坦"]
[[rules]]
expr = "NEAR(a, b, 5)"
required = true
""", "<t>")
    m = Matcher([watch])
    assert m.match(Document("", "俄罗斯与巴基斯坦", "zh"))
    assert m.match(Document("", "俄罗斯" + "的" * 5 + "巴基斯坦", "zh"))  # 8 characters apart: 5 words
    assert not m.match(Document("", "俄罗斯" + "的" * 12 + "巴基斯坦", "zh"))


def test_a_pair_abbreviation_names_both_sides(bundled):
    """俄巴关系 (Russia-Pakistan relations) names the two in two characters, as 中巴 does China and
    Pakistan: each side is named there, and the relation as such."""
    result = bundled.explain(Document("", "俄巴关系是建设性的。两国在反恐和防务领域合作。", "zh"))[0]
    groups = {h.group for h in result.hits if h.form == "俄巴"}
    assert {"russia", "pakistan"} <= groups


def test_a_term_written_for_some_languages_matches_only_in_them():
    """Farsi اطلاعاتی (intelligence) cut to its stem is Urdu اطلاعات ("reports", as in "according
    to reports"): scoped to Farsi, it is not found in Urdu; a document of unknown language keeps
    every term, as does one in a language the scope names."""
    watch = parse_watch("""[watch]
name = "t"
threshold = 1
[groups.intel]
terms = ["اطلاعاتی@fa", "intelligence@en,pl"]
[[rules]]
expr = "intel"
""", "<t>")
    m = Matcher([watch])
    urdu = "اطلاعات کے مطابق"
    assert not m.match(Document("", urdu, "ur"))
    assert m.match(Document("", "سازمان اطلاعات ایران", "fa"))
    assert m.match(Document("", urdu, None))
    assert m.match(Document("", "military intelligence", "pl"))
    assert not m.match(Document("", "military intelligence", "de"))


def test_the_bundled_watch_reads_urdu_reports_as_reports(bundled):
    assert "اطلاعات" not in forms(bundled, "اطلاعات کے مطابق روس اور پاکستان", "ur", "security")
    assert "اطلاعات" in forms(bundled, "وزارت اطلاعات روسیه و پاکستان", "fa", "security")


def test_heads_of_state_in_farsi_and_urdu_are_not_russia(bundled):
    """رؤسای جمهور (the presidents) folds to Russia's name plus an ending; the country named
    beside it still counts."""
    assert forms(bundled, "رؤسای جمهور روسیه و پاکستان", "fa", "russia") == {"روسیه"}
    assert forms(bundled, "ملک کے رؤسا اور روس", "ur", "russia") == {"روس"}


def test_german_indes_is_meanwhile_not_india(bundled):
    """French Inde with a German plural s was German "indes" (meanwhile), and India in a sentence
    cancels Pakistan there (the rival exclusion)."""
    assert forms(bundled, "Pakistan hat indes erklärt, Russland sei ein Partner.", "de", "india") == set()
    assert forms(bundled, "Indien und Pakistan", "de", "india") == {"Indien"}
    assert forms(bundled, "l'Inde et le Pakistan", "fr", "india") == {"Inde"}


# ------------------------------------------------------------------------------ inflection
@pytest.mark.parametrize("language,text,expected", [
    ("uk", "Делегація Росії прибула до Ісламабада, зустріч із Пакистаном.", {"Росії", "Ісламабада", "Пакистаном"}),
    ("uk", "у російському Генштабі та в Ісламабаді", {"російському", "Ісламабаді"}),
    ("tr", "Rusya'nın Pakistan'a sattığı helikopterler, Moskova'da", {"Rusya", "Pakistan", "Moskova"}),
    ("ar", "وباكستان والقوات الروسية في إسلام آباد", {"وباكستان", "الروسية", "إسلام آباد"}),
    ("fa", "روسیه و پاکستان در اسلام‌آباد", {"روسیه", "پاکستان", "اسلام‌آباد"}),
    ("hi", "रूसी दल पाकिस्तानी सेना के साथ इस्लामाबाद में", {"रूसी", "पाकिस्तानी", "इस्लामाबाद"}),
])
def test_country_and_capital_inflect(bundled, language, text, expected):
    found = forms(bundled, text, language)
    assert expected <= found, found


@pytest.mark.parametrize("language,text,form", [
    ("tr", "ortak askeri tatbikatı ve savunmaya", "savunmaya"),
    ("uk", "спільні військові навчання, оборонної співпраці", "військові"),
    ("ar", "العسكرية والمناورات", "العسكرية"),
    ("hi", "सैनिकों ने", "सैनिकों"),
])
def test_security_words_inflect(bundled, language, text, form):
    assert form in forms(bundled, text, language, "security")


@pytest.mark.parametrize("language,text,group", [
    ("uk", "Путін", "russia_people"), ("ar", "بوتين", "russia_people"), ("fa", "شویگو", "russia_people"),
    ("hi", "पुतिन", "russia_people"), ("zh", "普京", "russia_people"), ("tr", "Şoygu", "russia_people"),
    ("ar", "باجوا", "pakistan_people"), ("hi", "बाजवा", "pakistan_people"), ("zh", "穆尼尔", "pakistan_people"),
    ("en", "The COAS met the CJCSC.", "pakistan_institutions"), ("en", "PN and RFN ships", "pakistan_institutions"),
])
def test_officials_and_institutions(bundled, language, text, group):
    result = bundled.explain(Document("", text, language))[0]
    assert any(h.group == group for h in result.hits), result.hits


def test_urdu_hind_helicopter_is_not_india(bundled):
    # Farsi names India هند; in Urdu ہند is the Mi-35 "Hind": not listed bare
    found = forms(bundled, "Mi-35 (ہند E) لڑاکا ہیلی کاپٹرس", "ur", "india")
    assert not found


# ------------------------------------------- general causes from the tuning split (303-set)
def test_energy_vocabulary_in_the_new_languages(bundled):
    """Pakistan Stream and other pipeline deals reported in Arabic, Farsi, Hindi, Chinese,
    Turkish and Ukrainian were missed: no energy term in those languages."""
    assert forms(bundled, "وقعت موسكو وإسلام آباد اتفاقية لبناء خط أنابيب الغاز", "ar", "energy") == {"خط أنابيب", "أنابيب الغاز"}
    assert forms(bundled, "قرارداد ساخت خط لوله گاز امضا شد", "fa", "energy") == {"خط لوله گاز"}
    assert forms(bundled, "रूस और पाकिस्तान ने गैस पाइपलाइन समझौता किया", "hi", "energy") == {"गैस पाइपलाइन"}
    assert forms(bundled, "俄巴签署天然气管道协议", "zh", "energy") == {"天然气管道"}
    assert forms(bundled, "Rusya ve Pakistan doğalgaz boru hattı anlaşması", "tr", "energy") == {"doğalgaz", "boru hattı"}


def test_a_multilateral_format_names_each_member_once(bundled):
    """Reports on Afghan formats list the members once and put the security agenda in the next
    sentence; the India penalty must not cancel a member list that names India too."""
    text = ("The quadripartite meeting of Russia, China, Pakistan and Iran on Afghanistan opened in "
            "Moscow.\nThe envoys discussed the Taliban, the ceasefire and terrorism in Afghanistan.")
    result = bundled.explain(Document("", text, "en"))[0]
    assert not any("not met" in r for r in result.reasons[:3] if "named at least twice" in r)
    listed = "The Moscow format includes Russia, Afghanistan, China, Pakistan, Iran and India."
    result = bundled.explain(Document("", listed, "en"))[0]
    assert not any("India's neighbour" in r for r in result.reasons)
    arms = "Russia will deliver S-400 systems to India, Pakistan's rival."
    result = bundled.explain(Document("", arms, "en"))[0]
    assert any("India's neighbour" in r for r in result.reasons)
