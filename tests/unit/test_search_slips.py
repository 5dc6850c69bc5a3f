"""What a name search that found nobody compares with family and given names ("did you mean"). Pure."""
import pytest

from tracker.patients.lookup import one_slip_from, slip_words, why_offered


@pytest.mark.parametrize("typed, words", [
    ("Nunes", ("nunes",)),
    ("Nuñes Pena", ("nunes", "pena", "nunespena")),
    ("Nunes, María", ("nunes", "maria", "nunesmaria")),
    ("Nu", ()),                       # too short to compare
    ("W-7001", ()),                   # a number, not a name
    ("07/14/1952", ()),
])
def test_the_words_compared(typed, words):
    assert slip_words(typed) == words


@pytest.mark.parametrize("word, key, near", [
    ("nunes", "nunezpena", True),      # a letter changed
    ("nunex", "nunezpena", True),
    ("nuenz", "nunezpena", True),      # two neighbours swapped
    ("nunz", "nunezpena", True),       # a letter missing
    ("nunnez", "nunezpena", True),     # a letter added
    ("nunespena", "nunezpena", True),  # the whole name typed
    ("nunes", "nunn", False),          # two letters apart
    ("smith", "nunezpena", False),
])
def test_a_family_name_one_slip_from_a_word(word, key, near):
    assert one_slip_from(word, key) is near


@pytest.mark.parametrize("typed, family, given, why", [
    # A slip in the given name alone ("Siobahn" for Siobhan): a transposition, a letter dropped or added.
    ("Siobahn", "murphy", "siobhan", (1, "given_slip")),
    ("Siobhn", "murphy", "siobhan", (1, "given_slip")),
    ("Siobhann", "murphy", "siobhan", (1, "given_slip")),
    # "Given Family" with a slip in either: both names matched, so offered first.
    ("Siobahn Murphy", "murphy", "siobhan", (0, "given_slip")),
    ("Siobhan Murphey", "murphy", "siobhan", (0, "family_slip")),
    ("Siobahn Murphey", "murphy", "siobhan", (0, "both_slip")),
    # The family name's own rules as before.
    ("Nunes", "nunezpena", "mariajose", (1, "family_slip")),
    ("Nguyen Mai", "nguyen", "thihang", (1, "family_as_typed")),
    # A given name as typed with nothing else matching is not offered (every María is not a suggestion).
    ("Siobhan Xavier", "murphy", "siobhan", None),
    ("Siobahn", "siobhan", "xavier", (1, "family_slip")),
    ("Smith", "murphy", "siobhan", None),
])
def test_why_a_record_is_offered(typed, family, given, why):
    assert why_offered(slip_words(typed), family, given) == why
