"""Identity text folds the way a clinic types names and numbers, and keeps the real spelling."""
from datetime import date

import pytest

from tracker.patients.duplicates import (CLOSE_NAME, FAMILY_NAME_PART, NAME_AND_BIRTH_AGREE, SAME_FAMILY_AND_BIRTH,
                                         SAME_MRN, SWAPPED_NAMES, Identity, day_month_swapped, likely_duplicates,
                                         match_reasons)
from tracker.patients.identity import (clean_name, edit_distance_at_most_one, edit_distance_within, later_part_keys,
                                       mrn_key, name_key, name_parts, normalise_mrn, parse_date, phone_key, soundex)
from tracker.patients.lookup import SearchRefused, parse_search

# (typed, the same person typed differently): equal keys.
SAME_NAME = [
    ("García", "Garcia"),
    ("GARCÍA", "garcia"),
    ("Lucía", "Lucia"),
    ("O'Brien", "OBrien"),
    ("O'Brien", "O Brien"),
    ("O’Brien", "O'Brien"),  # typographic apostrophe
    ("Smith-Jones", "Smith Jones"),
    ("Müller", "Muller"),
    ("Straße", "Strasse"),
    ("Søren", "Soren"),
    ("Łukasz", "Lukasz"),
    ("Nguyễn", "Nguyen"),
    ("Ævar", "AEvar"),
    ("Zoë", "Zoe"),
    ("François", "Francois"),
    ("Gar\u200bcia", "Garcia"),  # zero-width space pasted from a referral letter
    ("\ufeffGarcia", "Garcia"),  # byte-order mark
    ("Garc\u00eda", "Garci\u0301a"),  # composed and decomposed accent
    ("Gar\u00adcia", "Garcia"),  # soft hyphen
    ("\u202eGarcia\u202c", "Garcia"),  # right-to-left override
    ("\u2066Garcia\u2069", "Garcia"),  # isolate
    ("  van   der  Berg ", "Van der Berg"),
    ("ｇａｒｃｉａ", "garcia"),  # full-width letters
    ("Ivanova", "ivanova"),
    ("Иванова", "иванова"),  # Cyrillic keeps its letters
]


@pytest.mark.parametrize("one,other", SAME_NAME)
def test_spellings_of_one_name_fold_to_one_key(one, other):
    assert name_key(one) == name_key(other) != ""


@pytest.mark.parametrize("one,other", [("Garcia", "Garza"), ("Lucia", "Lucio"), ("Иванова", "Ivanova")])
def test_different_names_keep_different_keys(one, other):
    assert name_key(one) != name_key(other)


@pytest.mark.parametrize("typed,stored", [
    ("García", "García"),  # the accent is the person's spelling
    ("O'Brien", "O'Brien"),
    ("  Lucía   María ", "Lucía María"),
    ("Gar\u200bcía", "García"),
    ("\u202eairaM\u202c", "airaM"),  # a bidi override is never stored
    ("Ali\u200fce", "Alice"),
    ("\u2067Nadia\u2069", "Nadia"),
    ("\u0645\u0647\u200c\u0633\u0627", "\u0645\u0647\u200c\u0633\u0627"),  # Persian zero-width non-joiner is spelling
    ("Garci\u0301a", "García"),  # NFKC composes
])
def test_the_stored_name_keeps_the_spelling_without_invisible_characters(typed, stored):
    assert clean_name(typed) == stored


@pytest.mark.parametrize("typed,normal", [
    (" demo-0001 ", "DEMO-0001"),
    ("ＤＥＭＯ－０００１", "DEMO-0001"),  # full-width letters, hyphen and digits
    ("１２３４５６", "123456"),
    ("A-100\u200b200", "A-100200"),  # zero-width space
    ("A-100 200", "A-100200"),
    ("a-100200\u2069", "A-100200"),
    ("\u00a0A-100200\t", "A-100200"),  # non-breaking space and tab
])
def test_medical_record_numbers_have_one_normal_form(typed, normal):
    assert normalise_mrn(typed) == normal


@pytest.mark.parametrize("typed", ["QA-1002", "qa 1002", "QA1002", "QA.1002", "QA/1002", "ＱＡ－１００２",
                                   "qa\u200b-1002", " Q-A 10-02 "])
def test_an_mrns_key_ignores_punctuation_and_spaces(typed):
    assert mrn_key(typed) == "QA1002"


@pytest.mark.parametrize("typed,parts", [
    ("Ní Dhúill-O'Connor", ("ni", "dhuill", "oconnor")),
    ("Smith-Jones", ("smith", "jones")),
    ("Smith\u2011Jones", ("smith", "jones")),  # non-breaking hyphen
    ("de la Cruz", ("de", "la", "cruz")),
    ("St. John", ("st", "john")),
    # An apostrophe is inside a part, never between two: O'Brien is one name, not "Brien".
    ("O'Brien", ("obrien",)),
    ("García", ("garcia",)),
    ("Gar\u00adcia", ("garcia",)),  # a soft hyphen is invisible, not a break
    ("Smith - Jones", ("smith", "jones")),
    ("", ()),
])
def test_a_name_breaks_into_parts_at_spaces_and_hyphens(typed, parts):
    assert name_parts(typed) == parts


def test_a_name_is_found_from_each_later_part_to_its_end():
    assert later_part_keys("Ní Dhúill-O'Connor") == ("dhuilloconnor", "oconnor")
    assert later_part_keys("Smith-Jones") == ("jones",)
    # One part: the whole name's key (Patient.family_name_key) is all there is.
    assert later_part_keys("O'Brien") == () and later_part_keys("García") == ()


def test_the_stored_mrn_keeps_its_punctuation():
    assert normalise_mrn("qa-1002") == "QA-1002" and normalise_mrn("QA.10/02") == "QA.10/02"


def test_a_phone_number_is_searched_by_its_digits():
    assert phone_key("+1 (555) 010-0100") == "15550100100"
    assert phone_key("５５５ ０１００") == "5550100"


@pytest.mark.parametrize("a,b,close", [
    ("smith", "smtih", True), ("smith", "smyth", True), ("smith", "smit", True), ("smith", "smiths", True),
    ("smith", "smith", True), ("smith", "smythe", False), ("smith", "jones", False), ("ab", "ba", True),
])
def test_one_typing_slip_apart(a, b, close):
    assert edit_distance_at_most_one(a, b) is close


BORN = date(1961, 4, 2)


def _who(mrn="X1", family="García", given="Lucía", born=BORN):
    return Identity(mrn, family, given, born)


@pytest.mark.parametrize("new,reason", [
    (_who(mrn="Y9", family="Garcia", given="Lucia"), SAME_FAMILY_AND_BIRTH),
    (_who(mrn="Y9", family="GARCIA", given="Maria"), SAME_FAMILY_AND_BIRTH),
    (_who(mrn="x\u200b1", family="Other", given="Person", born=date(1990, 1, 1)), SAME_MRN),
    (_who(mrn="Ｘ１", family="Other", given="Person", born=None), SAME_MRN),
    (_who(mrn="X-1", family="Other", given="Person", born=None), SAME_MRN),
    (_who(mrn="Y9", family="Lucia", given="Garcia"), SWAPPED_NAMES),
    (_who(mrn="Y9", family="Garcai", given="Lucia"), CLOSE_NAME),
    (_who(mrn="Y9", family="Garcia", given="Lucia"), SAME_FAMILY_AND_BIRTH),
])
def test_likely_duplicates_and_why(new, reason):
    assert reason in match_reasons(new, _who())


@pytest.mark.parametrize("new", [
    _who(mrn="Y9", family="Garcia", given="Lucia", born=date(1961, 4, 3)),  # another day of birth
    _who(mrn="Y9", family="Garza", given="Lucas"),  # two slips in each name
    _who(mrn="", family="", given="", born=None),
])
def test_not_duplicates(new):
    assert match_reasons(new, _who()) == ()


@pytest.mark.parametrize("family", ["O'Connor", "oconnor", "Ní Dhúill", "Dhuill", "Dhúill-O'Connor"])
def test_one_family_name_within_the_others_parts_with_the_same_given_name_and_birth_is_a_likely_duplicate(family):
    """Registered once with the whole double-barrelled name and again with part of it."""
    on_file = _who(family="Ní Dhúill-O'Connor", given="Siobhán")
    assert match_reasons(_who(mrn="Y9", family=family, given="Siobhan"), on_file) == (FAMILY_NAME_PART,)
    # And the other way round: the record on file has the shorter name.
    assert match_reasons(on_file, _who(mrn="Y9", family=family, given="Siobhan")) == (FAMILY_NAME_PART,)


@pytest.mark.parametrize("new", [
    _who(mrn="Y9", family="O'Connor", given="Mary"),  # another given name
    _who(mrn="Y9", family="O'Connor", given="Siobhan", born=date(1961, 4, 3)),  # another day of birth
    _who(mrn="Y9", family="Connor", given="Siobhan"),  # not a part: O'Connor is one
    _who(mrn="Y9", family="Ní O'Connor", given="Siobhan"),  # not a run of the other's parts
])
def test_a_family_name_sharing_less_than_a_run_of_parts_is_not_a_likely_duplicate(new):
    assert match_reasons(new, _who(family="Ní Dhúill-O'Connor", given="Siobhán")) == ()


def test_the_same_mrn_comes_first():
    found = likely_duplicates(_who(mrn="Q7"), [(1, _who(mrn="Z1")), (2, _who(mrn="q7", family="Else", born=None))])
    assert [c.record_id for c in found] == [2, 1]


# ---------------------------------------------------------------- the usual slips a walkthrough missed

OKAFOR = Identity("DEMO-0001", "Okafor", "Grace", date(1961, 4, 12), "+12015550199")


@pytest.mark.parametrize("key,code", [
    ("okafor", "O216"), ("ocafore", "O216"), ("smith", "S530"), ("schmidt", "S530"), ("robert", "R163"),
    ("rupert", "R163"), ("ashcraft", "A261"), ("tymczak", "T522"), ("pfister", "P236"), ("lee", "L000"),
    ("nguyen", "N250"), ("", ""), ("иванов", ""),
])
def test_soundex(key, code):
    assert soundex(key) == code


@pytest.mark.parametrize("a,b,within_two", [
    ("okafor", "ocafore", True), ("kowalski", "kovalsky", True), ("okafor", "okafor", True),
    ("okafor", "okonkwo", False), ("abcd", "badc", True), ("smith", "smithson", False),
])
def test_two_typing_slips_apart(a, b, within_two):
    assert edit_distance_within(a, b, 2) is within_two


def test_the_same_name_born_with_day_and_month_swapped_is_a_likely_duplicate():
    """12/04 and 04/12: the commonest date-of-birth typo between US and European writing."""
    new = Identity("NEW-1", "OKAFOR", "Grace", date(1961, 12, 4))
    assert match_reasons(new, OKAFOR) == (
        "same name, date of birth with day and month swapped: 1961-12-04 / 1961-04-12",)


@pytest.mark.parametrize("born,swapped", [
    (date(1961, 4, 12), date(1961, 12, 4)),
    (date(1961, 12, 4), date(1961, 4, 12)),
    (date(1961, 4, 4), None),  # the day is the month: nothing swapped
    (date(1961, 4, 13), None),  # no 13th month
    (date(1960, 2, 29), None),  # day 29 is no month
    (None, None),
])
def test_a_date_of_birth_with_day_and_month_swapped(born, swapped):
    assert day_month_swapped(born) == swapped


@pytest.mark.parametrize("new", [
    Identity("N", "Okafor", "Grace", date(1961, 4, 13)),  # another day, not the swap
    Identity("N", "Okafor", "Gloria", date(1961, 12, 4)),  # swapped, another given name
    Identity("N", "Okafer", "Grace", date(1961, 12, 4)),  # swapped and a name slip: two errors at once
    Identity("N", "Okafor", "Grace", date(1962, 12, 4)),  # swapped, another year
])
def test_a_swapped_date_of_birth_needs_the_same_name(new):
    assert match_reasons(new, OKAFOR) == ()


@pytest.mark.parametrize("family,on_file,reason", [
    ("Ocafore", "Okafor", "same date of birth and given name, family name sounds alike and two letters apart: "
                          "Ocafore / Okafor"),
    ("Schmidt", "Smith", "same date of birth and given name, family name sounds alike: Schmidt / Smith"),
    ("Kovalsky", "Kowalski", "same date of birth and given name, family name two letters apart: "
                             "Kovalsky / Kowalski"),
])
def test_a_family_name_that_sounds_alike_or_is_two_letters_off_with_the_same_given_name_and_birth(family, on_file,
                                                                                                   reason):
    new = Identity("N", family, "Grace", date(1961, 4, 12))
    assert match_reasons(new, Identity("O", on_file, "Grace", date(1961, 4, 12))) == (reason,)


@pytest.mark.parametrize("new,on_file", [
    (Identity("N", "Ocafore", "Gloria", date(1961, 4, 12)), OKAFOR),  # another given name
    (Identity("N", "Ocafore", "Grace", date(1961, 4, 13)), OKAFOR),  # another day of birth
    (Identity("N", "Pace", "Grace", date(1961, 4, 12)), Identity("O", "Park", "Grace", date(1961, 4, 12))),  # short
    (Identity("N", "Okonkwo", "Grace", date(1961, 4, 12)), OKAFOR),  # three letters off, sounds otherwise
])
def test_family_names_further_apart_are_not_likely_duplicates(new, on_file):
    assert match_reasons(new, on_file) == ()


def test_the_same_phone_and_given_name_is_a_likely_duplicate_said_with_the_number_as_the_clinic_writes_it():
    new = Identity("N", "Adeyemi", "grace", date(1990, 1, 1), "+12015550199")
    assert match_reasons(new, OKAFOR, show_phone=lambda stored: "(201) 555-0199") == (
        "same phone number (201) 555-0199 and same given name",)


@pytest.mark.parametrize("new", [
    Identity("N", "Okafor", "Chidi", date(1992, 5, 5), "+12015550199"),  # a family's phone, another person
    Identity("N", "Adeyemi", "Grace", date(1990, 1, 1), "+12015550198"),  # another number
    Identity("N", "Adeyemi", "Grace", date(1990, 1, 1), ""),  # no number
])
def test_a_shared_family_phone_with_another_given_name_is_not_a_likely_duplicate(new):
    assert match_reasons(new, OKAFOR) == ()


def test_twins_sharing_birth_and_phone_are_listed_once_for_the_family_name_the_coordinator_confirms():
    twin = Identity("N", "Okafor", "Gloria", date(1961, 4, 12), "+12015550199")
    assert match_reasons(twin, OKAFOR) == (SAME_FAMILY_AND_BIRTH,)


def test_only_the_name_and_birth_rules_say_name_and_birth_agree():
    """FHIR intake takes a record with the same MRN as the patient only when name and date of birth
    agree; a swapped date, a name two letters off or a shared phone goes to a person."""
    assert {SAME_FAMILY_AND_BIRTH, SWAPPED_NAMES, CLOSE_NAME, FAMILY_NAME_PART} == NAME_AND_BIRTH_AGREE
    swapped = Identity("DEMO-0001", "Okafor", "Grace", date(1961, 12, 4))
    assert not set(match_reasons(swapped, OKAFOR)) & NAME_AND_BIRTH_AGREE


@pytest.mark.parametrize("typed", ["", "   ", "a", "'", "%", "\u200b\u200b", "\u202e\u202c", "--", ", ,"])
def test_searches_too_short_or_without_letters_are_refused_with_a_reason(typed):
    with pytest.raises(SearchRefused):
        parse_search(typed)


def test_what_a_search_is_taken_to_mean():
    assert parse_search("12/31/1960", ("%Y-%m-%d", "%m/%d/%Y")).born == date(1960, 12, 31)
    assert parse_search("1960-12-31").born == date(1960, 12, 31)
    terms = parse_search("García, Lu")
    assert terms.names == (("garcia", "lu"),) and terms.mrn == ""
    terms = parse_search("ａ-１００２")
    assert terms.mrn == "A1002" and terms.mrn_fragment == "A1002"
    for typed in ("QA1002", "qa-1002", "QA 1002", "QA.1002", "QA/1002"):
        assert parse_search(typed).mrn == "QA1002", typed
    assert parse_search("555 0100").phone_digits == "5550100"
    assert parse_search("O Brien").names[0] == ("obrien", "")


@pytest.mark.parametrize("typed", ["Siobhán Ní Dhúill-O'Connor", "Siobhan Ni Dhuill-OConnor", "siobhan ni dhuill oconnor"])
def test_given_then_a_family_name_of_several_words_is_one_of_the_meanings(typed):
    assert ("nidhuilloconnor", "siobhan") in parse_search(typed).names


@pytest.mark.parametrize("typed", ["Ní Dhúill-O'Connor Siobhán", "Ni Dhuill OConnor Siobhan"])
def test_a_family_name_of_several_words_then_the_given_name_is_one_of_the_meanings(typed):
    assert ("nidhuilloconnor", "siobhan") in parse_search(typed).names


def test_a_given_name_of_several_words_then_the_family_name_is_one_of_the_meanings():
    names = parse_search("Mary Ann Smith-Jones").names
    assert ("smithjones", "maryann") in names and ("annsmithjones", "mary") in names


def test_a_long_search_is_not_split_every_way():
    """Each way of splitting a search into given and family name is a query of its own: a name
    of more words than any a person has is searched whole only."""
    names = parse_search(" ".join(["word"] * 40)).names
    assert len(names) == 2


def test_dates_in_other_formats_are_not_guessed():
    assert parse_date("31/12/1960", ("%Y-%m-%d", "%m/%d/%Y")) is None


# ---------------------------------------------------------------- a patient account's name against its record

@pytest.mark.parametrize("account_name", [
    "Grace Okafor", "Okafor, Grace", "GRACE OKAFOR", "Grace A. Okafor", "grace okafor-smith",
    "Lucía García", "Lucia Garcia Lopez", "Sean O Brien",
])
def test_an_account_named_as_its_record_matches(account_name):
    from tracker.patients.identity import account_name_matches
    records = {"Grace Okafor": ("Okafor", "Grace"), "Okafor, Grace": ("Okafor", "Grace"),
               "GRACE OKAFOR": ("Okafor", "Grace"), "Grace A. Okafor": ("Okafor", "Grace Ann"),
               "grace okafor-smith": ("Okafor-Smith", "Grace"), "Lucía García": ("García López", "Lucía"),
               "Lucia Garcia Lopez": ("García López", "Lucía"), "Sean O Brien": ("O'Brien", "Sean")}
    assert account_name_matches(account_name, *records[account_name])


@pytest.mark.parametrize("account_name, family, given", [
    ("Pat Three", "Lindqvist", "Erik"),
    ("Erik Smith", "Lindqvist", "Erik"),  # the given name alone
    ("Lindqvist", "Lindqvist", "Erik"),  # the family name alone
    ("Anna Lindqvist", "Lindqvist", "Erik"),  # the same family, another person
    ("Erika Lindqvist", "Lindqvist", "Erik"),  # a part is a whole name, not the start of one
])
def test_an_account_named_otherwise_does_not_match(account_name, family, given):
    from tracker.patients.identity import account_name_matches
    assert not account_name_matches(account_name, family, given)
