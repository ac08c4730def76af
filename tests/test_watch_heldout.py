"""The bundled Russia–Pakistan watch on a held-out set, and the general causes it revealed.

``tests/fixtures/watch/heldout`` holds 48 news paragraphs (English, Polish, Russian, Urdu,
German, French; 4 relevant and 4 irrelevant each, the irrelevant ones mostly hard negatives:
Russia–India deals naming Pakistan in passing, Pakistan–China/US/Saudi security without Russia,
Russia–Pakistan trade and culture, sidebars, Russia–Afghanistan/Iran, SCO summits). They were
written blind, before their author read the watch file or its labelled examples. The watch
scored 1.00/1.00 on them unchanged. Reading the scores and probing around the set then exposed
general causes (a Slavic surname stem that matched the city of Kabul, unknown sidebar headers,
missing alias classes), fixed in the matcher and the watch and pinned by the tests below. The
set was then used to check those fixes, so it is no longer blind either: it is a regression
floor, not an estimate of accuracy on unseen news.

Known limitation, left as is: a sentence naming India cancels the Russian and Pakistani hits in
it, so an analysis that mentions India in nearly every sentence can be missed. Keeping the hits
when all three are named was tried and reverted: it made Russia–India summit reports and SCO
country lists fire.
"""
from pathlib import Path

import pytest

from pipelines.watch import Document, Matcher, evaluate_examples, load_watch

ROOT = Path(__file__).resolve().parents[1]
WATCH = ROOT / "crawler" / "watchlists" / "russia_pakistan_security.toml"
HELDOUT = ROOT / "tests" / "fixtures" / "watch" / "heldout"


@pytest.fixture(scope="module")
def watch():
    return load_watch(WATCH)


@pytest.fixture(scope="module")
def matcher(watch):
    return Matcher([watch])


def fired(matcher, title, text, language):
    return matcher.explain(Document(title, text, language))[0]


def test_heldout_set_has_the_promised_shape():
    files = sorted(HELDOUT.glob("*/*.txt"))
    assert len(files) == 48
    for label in ("relevant", "irrelevant"):
        for lang in ("en", "pl", "ru", "ur", "de", "fr"):
            assert len(list((HELDOUT / label).glob(f"*.{lang}.txt"))) == 4, (label, lang)


def test_heldout_precision_and_recall(watch):
    report = evaluate_examples(watch, HELDOUT)
    assert report.tp + report.fn == 24 and report.fp + report.tn == 24
    assert report.precision >= 1.0, str(report)
    assert report.recall >= 1.0, str(report)


# --------------------------------------------------------------------------------------------
# Kabułow / Кабулов (Russia's Afghanistan envoy) once stemmed to "Kabul": every mention of the
# Afghan capital counted as a Russian official, so Pakistan–Afghanistan clashes fired the watch.

PAK_AFGHAN = [
    ("en", "Pakistan, Afghan Taliban agree to extend ceasefire",
     "ISLAMABAD: Pakistan and the Taliban government in Kabul agreed to extend a ceasefire after "
     "talks in Istanbul. Defence Minister Khawaja Asif said Islamabad wanted guarantees that Kabul "
     "would stop militants attacking Pakistan. Pakistani air strikes hit terrorist hideouts in Kabul."),
    ("pl", "Starcia na granicy Pakistanu i Afganistanu",
     "Co najmniej 23 pakistańskich żołnierzy zginęło w starciach z talibami. Islamabad oskarża "
     "władze w Kabulu o wspieranie bojowników. Minister obrony Pakistanu zagroził wojną, jeśli Kabul "
     "nie powstrzyma terrorystów. Rzecznik talibów w Kabulu odpowiedział armii pakistańskiej."),
    ("ru", "Пакистан нанес авиаудары по Афганистану",
     "ВВС Пакистана нанесли удары по объектам в Кабуле, заявили в Кабуле. По данным пакистанской "
     "армии, целью были лагеря боевиков. Министр обороны Пакистана заявил, что терпение Исламабада "
     "исчерпано. Власти в Кабуле пригрозили ответом."),
]


@pytest.mark.parametrize("language,title,text", PAK_AFGHAN, ids=[p[0] for p in PAK_AFGHAN])
def test_pakistan_afghanistan_without_russia_does_not_fire(matcher, language, title, text):
    result = fired(matcher, title, text, language)
    assert not result.fired, result.reasons
    assert not [h for h in result.hits if h.group == "russia_people"]


def test_slavic_surnames_still_decline(matcher):
    text = ("Rozmowa z Kabułowem. Delegacja Kabułowa. С Кабуловым и Патрушевым. "
            "Встреча Белоусова. Rozmowy z Ławrowem.")
    forms = {h.form for h in fired(matcher, "", text, None).hits if h.group == "russia_people"}
    assert {"Kabułowem", "Kabułowa", "Кабуловым", "Патрушевым", "Белоусова", "Ławrowem"} <= forms


# --------------------------------------------------------------------------------------------
# Alias classes that were missing: Urdu names Pakistan's services "پاک فوج/بحریہ/فضائیہ" and the
# pairing "پاک روس" (پاک alone also means "pure", so only these compounds); the bilateral naval
# exercise "Arabian Monsoon" in every language of the watch; current office holders.

def test_urdu_pak_compounds_name_pakistan(matcher):
    text = ("پاک فوج اور روسی فوج کے دستوں نے انسداد دہشت گردی کی مشترکہ مشق میں حصہ لیا۔ "
            "روسی دستے کے کمانڈر نے کہا کہ پاک فوج کا تجربہ قابل قدر ہے۔ "
            "پاک روس دفاعی تعاون میں اضافہ ہو رہا ہے۔")
    result = fired(matcher, "پاک فوج اور روسی فوج کی مشترکہ مشق", text, "ur")
    assert result.fired, result.reasons
    groups = {h.form: h.group for h in result.hits}
    assert groups["پاک فوج"] == "pakistan_institutions" and groups["پاک روس"] == "pakistan"
    # "pure" is not Pakistan
    pure = fired(matcher, "", "قرآن پاک کی تلاوت کی گئی۔ روس میں موسم سرد ہے۔", "ur")
    assert not [h for h in pure.hits if h.group.startswith("pakistan")]


@pytest.mark.parametrize("language,phrase", [
    ("en", "Arabian Monsoon"), ("pl", "Arabski Monsun"), ("ru", "Аравийский муссон"),
    ("ur", "عریبین مون سون"), ("de", "Arabischer Monsun"), ("fr", "Mousson arabe"),
])
def test_arabian_monsoon_exercise_in_every_language(matcher, language, phrase):
    result = fired(matcher, "", f"«{phrase}» 2025.", language)
    assert any(h.group == "exercises" for h in result.hits), result.hits


@pytest.mark.parametrize("language,name,group", [
    ("en", "Lieutenant General Muhammad Asim Malik", "pakistan_people"),
    ("ru", "с Асимом Маликом", "pakistan_people"),
    ("ur", "عاصم ملک", "pakistan_people"),
    ("en", "Interior Minister Mohsin Naqvi", "pakistan_people"),
    ("ru", "директор ФСВТС Дмитрий Шугаев", "russia_people"),
    ("en", "SUPARCO", "pakistan_institutions"),
])
def test_current_office_holders_and_institutions(matcher, language, name, group):
    result = fired(matcher, "", name + ".", language)
    assert any(h.group == group for h in result.hits), result.hits


# --------------------------------------------------------------------------------------------
# Space cooperation had a term in English, Polish, Russian and French nouns only: the German and
# Urdu words and the Slavic adjectives (kosmiczny, космический) were missing.

def test_space_cooperation_counts_as_strategic_context(matcher):
    text = ("Россия и Пакистан обсудили сотрудничество в космической сфере и мирном использовании "
            "атомной энергии. Пакистанская делегация посетила космодром Восточный. Российская сторона "
            "предложила запустить пакистанский спутник.\n\nПосол России в Исламабаде отметил, что "
            "стороны также обсуждают информационную безопасность.")
    result = fired(matcher, "Россия и Пакистан обсудили космическое сотрудничество", text, "ru")
    assert result.fired, result.reasons


# Link lists under headers the watch did not know ("See also", "Также по теме", "Voir aussi",
# "Weitere Artikel") let two sidebar headlines fire the watch on an unrelated article.

SIDEBARS = [
    ("en", "Lahore smog: schools closed", "The Punjab government closed schools in Lahore.",
     "See also\nPakistan, Russia discuss defence cooperation in Moscow\n"
     "Russian warships arrive in Karachi for joint naval drills"),
    ("ru", "В Москве ожидается снег", "Синоптики прогнозируют в столице снегопад.",
     "Также по теме:\nРоссия и Пакистан провели совместные военные учения\n"
     "Пакистан закупит российские вертолеты Ми-35"),
    ("fr", "Météo : un automne très doux", "Les températures restent supérieures aux normales.",
     "Voir aussi\nLa Russie et le Pakistan organisent des exercices militaires conjoints\n"
     "Le Pakistan achète des hélicoptères russes"),
]


@pytest.mark.parametrize("language,title,body,sidebar", SIDEBARS, ids=[s[0] for s in SIDEBARS])
def test_sidebar_headlines_do_not_fire(matcher, language, title, body, sidebar):
    result = fired(matcher, title, body + "\n\n" + sidebar, language)
    assert not result.fired, result.reasons
    assert any("sidebar" in reason for reason in result.reasons), result.reasons
