"""What a name search that found nobody compares with family names ("did you mean"). Pure."""
import pytest

from tracker.patients.lookup import one_slip_from, slip_words


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
