"""Inflected, compound and variously spelled forms match their base terms (no form listed twice)."""
import pytest

from pipelines.watch import Document, Matcher, parse_watch

WATCH = """
[watch]
name = "forms"
threshold = 0

[groups.people]
terms = ["Patruszew", "Bajwa", "Janjua", "Патрушев", "Баджва", "Shoigu"]

[groups.places]
terms = ["Islamabad", "Исламабад", "Moskwa", "اسلام آباد", "پاکستان", "کراچی", "Kreml"]

[groups.countries]
terms = ["rosyjski", "pakistański", "российский", "пакистанский", "Russian", "Pakistani",
         "Pak-", "Russia", "Pakistan", "Rosja", "Łotwa", "Ёлкино"]

[groups.topics]
terms = ["ćwiczenia", "śmigłowiec", "учения", "вертолёт", "Übung", "exercice", "مشق", "دہشت گردی"]

[[rules]]
expr = "people OR places OR countries OR topics"
"""


@pytest.fixture(scope="module")
def matcher():
    return Matcher([parse_watch(WATCH, "forms.toml")])


def found(matcher, text, language=None):
    results = matcher.explain(Document(title="", text=text, language=language))
    return {(hit.form, hit.term) for hit in results[0].hits}


@pytest.mark.parametrize("text, form, term", [
    ("Rozmowy z Patruszewem trwały dwa dni.", "Patruszewem", "Patruszew"),
    ("Delegacja Patruszewa przyleciała rano.", "Patruszewa", "Patruszew"),
    ("Wizyta gen. Bajwy w Moskwie.", "Bajwy", "Bajwa"),
    ("Rozmawiał z gen. Bajwą.", "Bajwą", "Bajwa"),
    ("Spotkanie z Nasserem Janjuą.", "Janjuą", "Janjua"),
    ("Spotkali się w Islamabadzie.", "Islamabadzie", "Islamabad"),
    ("Встреча с Николаем Патрушевым.", "Патрушевым", "Патрушев"),
    ("Визит Патрушева в Пакистан.", "Патрушева", "Патрушев"),
    ("Шойгу встретился с генералом Баджвой.", "Баджвой", "Баджва"),
    ("Переговоры прошли в Исламабаде.", "Исламабаде", "Исламабад"),
    ("Wizyta w Moskwie i rozmowy z Moskwą.", "Moskwą", "Moskwa"),
    ("Stanowisko Kremla jest jasne.", "Kremla", "Kreml"),
])
def test_case_endings_on_names_and_places(matcher, text, form, term):
    assert (form, term) in found(matcher, text)


@pytest.mark.parametrize("text, form, term", [
    ("Zakończyły się wspólne ćwiczenia.", "ćwiczenia", "ćwiczenia"),
    ("Podczas ćwiczeń żołnierze trenowali.", "ćwiczeń", "ćwiczenia"),
    ("Dostawa czterech śmigłowców Mi-35.", "śmigłowców", "śmigłowiec"),
    ("Завершились совместные учения.", "учения", "учения"),
    ("В ходе учений отработали десант.", "учений", "учения"),
    ("Поставка четырёх вертолётов Ми-35.", "вертолётов", "вертолёт"),
    ("Поставка четырёх вертолетов Ми-35.", "вертолетов", "вертолёт"),
    ("Die gemeinsamen Übungen begannen.", "Übungen", "Übung"),
    ("Les exercices conjoints ont commencé.", "exercices", "exercice"),
    ("مشترکہ فوجی مشقیں شروع ہو گئیں", "مشقیں", "مشق"),
])
def test_common_word_forms(matcher, text, form, term):
    assert (form, term) in found(matcher, text)


@pytest.mark.parametrize("text, forms", [
    ("rosyjsko-pakistańskie ćwiczenia", {"rosyjsko", "pakistańskie"}),
    ("российско-пакистанские учения", {"российско", "пакистанские"}),
    ("Russian-Pakistani drills", {"Russian", "Pakistani"}),
    ("the Pak-Russia strategic dialogue", {"Pak", "Russia"}),
])
def test_compounds_and_adjectives(matcher, text, forms):
    assert forms <= {form for form, _ in found(matcher, text)}


def test_pak_only_counts_in_a_hyphenated_compound(matcher):
    assert "Pak" not in {form for form, _ in found(matcher, "Marshal Pak Jong Chon said.")}
    assert "Pak" in {form for form, _ in found(matcher, "Pak-Russia ties")}


@pytest.mark.parametrize("text, form", [
    ("PATRUSZEW przyleciał", "PATRUSZEW"),        # case
    ("Lotwa i Estonia", "Lotwa"),                  # Polish ł typed as l
    ("Rosja", "Rosja"),
    ("ROSJA", "ROSJA"),
    ("Ёлкино", "Ёлкино"),
    ("Елкино", "Елкино"),                           # ё printed as е
    ("اسلام‌آباد میں", "اسلام‌آباد"),                # zero-width non-joiner inside the compound
    ("پاكستان", "پاكستان"),                          # Arabic kaf instead of Urdu keheh
    ("كراچي", "كراچي"),                             # Arabic kaf and yeh
    ("دهشت گردی", "دهشت گردی"),                      # Arabic heh instead of heh goal
])
def test_diacritics_case_and_script_variants_fold(matcher, text, form):
    assert form in {f for f, _ in found(matcher, text)}


def test_urdu_harakat_are_ignored_and_offsets_stay_on_the_original(matcher):
    text = "وفد پَاکِستان پہنچا"
    results = matcher.explain(Document(title="", text=text))
    hit = next(h for h in results[0].hits if h.term == "پاکستان")
    assert text[hit.start:hit.end] == "پَاکِستان"


def test_short_stems_do_not_overmatch(matcher):
    # "Rosja" must not reach "rosa" (dew) or "Rosario"; "Bajwa" must not reach "bajka"
    forms = {f for f, _ in found(matcher, "Rosa na trawie, Rosario, bajka o Rosie.")}
    assert forms == set()


def test_language_hint_narrows_endings(matcher):
    # with an English hint a Polish case ending is not accepted on an English-looking word
    assert "Russiami" in {f for f, _ in found(matcher, "Russiami")}
    assert "Russiami" not in {f for f, _ in found(matcher, "Russiami", language="en")}
    assert "Pakistanem" in {f for f, _ in found(matcher, "z Pakistanem", language="pl")}


PHRASES = """
[watch]
name = "phrases"
threshold = 0

[groups.forces]
terms = ["вооружённые силы", "siły zbrojne", "збройні сили"]

[groups.single]
terms = ["силы", "siły"]

[groups.deals]
terms = ["сделка", "поставка", "подводная лодка", "łódka", "tank"]

[[rules]]
expr = "forces OR single OR deals"
"""


@pytest.fixture(scope="module")
def genitive():
    return Matcher([parse_watch(PHRASES, "phrases.toml")])


@pytest.mark.parametrize("text, language, form", [
    ("Командующий вооружённых сил Пакистана прибыл в Москву.", "ru", "вооружённых сил"),
    ("Dowódca sił zbrojnych Pakistanu odwiedził Moskwę.", "pl", "sił zbrojnych"),
    ("Командувач збройних сил Пакистану прибув до Москви.", "uk", "збройних сил"),
])
def test_a_phrase_word_may_stand_bare_in_the_genitive_plural(genitive, text, language, form):
    # "сил", "sił": the genitive plural has no ending; the phrase's other word vouches for it
    results = genitive.explain(Document("", text, language))
    assert {(h.form, h.group) for h in results[0].hits} == {(form, "forces")}


def test_a_short_bare_stem_alone_still_does_not_match(genitive):
    # alone, "сил" / "sił" (three letters) is too short to stand for "силы" / "siły"
    assert not genitive.explain(Document("", "Нет сил ждать.", "ru"))[0].hits
    assert not genitive.explain(Document("", "Brak sił.", "pl"))[0].hits


@pytest.mark.parametrize("text, language, form", [
    ("Стороны заключили пять сделок.", "ru", "сделок"),
    ("Сроки поставок сдвинулись.", "ru", "поставок"),
    ("Флот получит шесть подводных лодок.", "ru", "подводных лодок"),
    ("Sprzedaż łódek wzrosła.", "pl", "łódek"),
])
def test_a_vowel_comes_back_in_the_genitive_plural_of_a_noun_in_ka(genitive, text, language, form):
    # лодка -> лодок, сделка -> сделок: the bare genitive plural puts a vowel between the consonants
    results = genitive.explain(Document("", text, language))
    assert [h.form for h in results[0].hits] == [form]


def test_no_vowel_is_put_into_a_word_that_does_not_end_in_ka(genitive):
    assert not genitive.explain(Document("", "tanek", "en"))[0].hits  # "tank" is no -ka noun


@pytest.mark.parametrize("text, form, term", [
    ("پاکستان اورروس کے درمیان", "روس", "روس"),              # "and" written on
    ("وفد پراسلام آباد پہنچا", "اسلام آباد", "اسلام آباد"),   # a phrase after "on"
    ("نےپاکستان کا دورہ کیا", "پاکستان", "پاکستان"),          # after ے
    ("مشقوں پرماسکونے جواب دیا", "ماسکونے", "ماسکو"),         # both sides glued
    ("روسیوںکے ساتھ", "روسیوںکے", "روسی"),                    # an ending, then a postposition
    ("اجلاس ماسکومیں ہوا", "ماسکومیں", "ماسکو"),
])
def test_urdu_words_written_on_after_a_non_joining_letter(text, form, term):
    """Urdu leaves out the space after a letter that does not join the next one (the gap shows
    anyway): the term is found where the space would be, with the postposition written on."""
    matcher = Matcher([parse_watch(WATCH.replace('"Russia",', '"Russia", "روس", "روسی", "ماسکو",'), "forms.toml")])
    hits = {(f, t) for f, t in found(matcher, text, language="ur")}
    assert (form, term) in hits


def test_glued_urdu_forms_need_the_urdu_hint_and_a_non_joining_letter(matcher):
    # Arabic and Farsi keep their spaces: there the written word is the word
    assert not {f for f, _ in found(matcher, "اورپاکستان", language="fa")} & {"پاکستان"}
    # after a joining letter the two would show as one word: not a gap left out
    assert "پاکستان" not in {f for f, _ in found(matcher, "سپاکستان", language="ur")}
    assert "پاکستان" in {f for f, _ in found(matcher, "اورپاکستان", language="ur")}


def test_sharp_s_is_ss_and_offsets_stay_on_the_original():
    """German before 1996 and in Switzerland: Rußland is Russland, Fussball is Fußball."""
    watch = parse_watch('[watch]\nname = "s"\nthreshold = 0\n[groups.g]\nterms = ["Russland", "Fußball"]\n'
                        '[[rules]]\nexpr = "g"\n', "s.toml")
    text = "Der Außenminister Rußlands sprach über Fussball und GROẞE Pläne in Rußland."
    hits = Matcher([watch]).explain(Document(title="", text=text, language="de"))[0].hits
    assert [(text[h.start:h.end], h.term) for h in hits] == [
        ("Rußlands", "Russland"), ("Fussball", "Fußball"), ("Rußland", "Russland")]


UKRAINIAN = """
[watch]
name = "ukrainian"
threshold = 0

[groups.words]
terms = ["навчання", "озброєння", "безпека", "розвідка", "газопровід", "корабель", "перемир'я",
         "россиянин", "росіянин", "Петербург"]

[[rules]]
expr = "words"
"""


@pytest.mark.parametrize("text, language, form", [
    ("Проведення спільних навчань у горах.", "uk", "навчань"),        # -ння: genitive plural -нь
    ("Постачання озброєнь до Пакистану.", "uk", "озброєнь"),
    ("Це загроза безпеці регіону.", "uk", "безпеці"),                   # -ка: dative/locative -ці
    ("Обмін даними в розвідці.", "uk", "розвідці"),
    ("Форум у Петербурзі.", "uk", "Петербурзі"),
    ("Будівництво газопроводу Пакистан-Потік.", "uk", "газопроводу"),  # closed і opens to о
    ("Заходи двох кораблів у порт Карачі.", "uk", "кораблів"),         # fleeting е
    ("Сторони закликали до перемир'я.", "uk", "перемир'я"),            # apostrophe inside the word
    ("Сторони закликали до перемирʼя.", "uk", "перемирʼя"),
    ("Про режим перемир’ю.", "uk", "перемир’ю"),
    ("Россияне и пакистанцы провели учения.", "ru", "Россияне"),       # -анин: plural drops -ин
    ("Группа россиян прибыла.", "ru", "россиян"),
    ("Росіяни прибули до Карачі.", "uk", "Росіяни"),
])
def test_ukrainian_alternations_and_apostrophes(text, language, form):
    matcher = Matcher([parse_watch(UKRAINIAN, "uk.toml")])
    hits = matcher.explain(Document("", text, language))[0].hits
    assert [h.form for h in hits] == [form]
    start = text.index(form)
    assert (hits[0].start, hits[0].end) == (start, start + len(form))  # offsets on the original


@pytest.mark.parametrize("term, text, language, form", [
    ("Rosjanin", "Wizyta Rosjan w Karaczi.", "pl", "Rosjan"),         # -anin: the plural drops -in
    ("Rosjanin", "Rozmowy z Rosjanami.", "pl", "Rosjanami"),
    ("iranien", "La marine iranienne et la marine russe.", "fr", "iranienne"),  # -ien: -ienne
    ("spatial", "Les programmes spatiaux des deux pays.", "fr", "spatiaux"),    # -al: -aux
])
def test_peoples_and_french_adjectives(term, text, language, form):
    watch = UKRAINIAN.replace('terms = ["навчання"', f'terms = ["{term}", "навчання"')
    hits = Matcher([parse_watch(watch, "forms.toml")]).explain(Document("", text, language))[0].hits
    assert [h.form for h in hits] == [form]


@pytest.mark.parametrize("text, language, found", [
    ("Ortak tatbikatlarına katıldı.", "tr", ["tatbikatlarına"]),      # plural + possessive + dative
    ("Helikopterlerimizde sorun yok.", "tr", ["Helikopterlerimizde"]),
    ("Tanklarla ve tatbikattaki askerlerle.", "tr", ["Tanklarla", "tatbikattaki"]),
    ("Tatbikatlarına", "en", []),  # an English document: Turkish chains are Turkish only
])
def test_turkish_suffix_chains(text, language, found):
    watch = UKRAINIAN.replace('terms = ["навчання"', 'terms = ["tatbikat", "helikopter", "tank", "навчання"')
    hits = Matcher([parse_watch(watch, "tr.toml")]).explain(Document("", text, language))[0].hits
    assert [h.form for h in hits] == found


def test_an_apostrophe_joins_only_inside_a_cyrillic_word():
    from pipelines.watch.normalize import fold

    assert fold("Pakistan's").padded == fold("Pakistanʼs").padded == " pakistan s "
    assert fold("Росія' і").padded == " росія  і "
    assert fold("об'єднаних").padded == fold("об’єднаних").padded == " обʼєднаних "
