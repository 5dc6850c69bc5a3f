"""Identity text: how names, medical record numbers and search terms are cleaned and compared.

One set of pure functions, used for every stored name, every MRN and every search term, so a
patient typed differently on two days (García / Garcia, O'Brien / O Brien, an MRN pasted with a
zero-width space or typed with full-width digits) is found as one person.

Two forms:
- the *stored* form keeps the person's real spelling (accents, apostrophes, case), only made
  clean: Unicode NFKC, invisible characters and bidirectional controls removed, whitespace
  collapsed. `clean_name` gives it.
- the *key* is what matching and search compare: the clean text case-folded, accents removed and
  everything but letters and digits dropped. `name_key` gives it; keys are never shown.
"""
import re
import unicodedata
from datetime import datetime

# Bidirectional controls: embeddings and overrides (U+202A-U+202E), isolates (U+2066-U+2069) and
# the marks (LRM, RLM, ALM). An override in a stored name would show it reversed to the next
# reader, so none of them is ever kept.
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c")
# Zero-width joiner and non-joiner are spelling in Persian and the Indic scripts: kept in the
# stored name, dropped from the key. Every other invisible format character (zero-width space,
# word joiner, byte-order mark, soft hyphen...) is dropped from both.
JOINERS = frozenset("\u200c\u200d")

# Letters that Unicode does not decompose into a base letter and an accent, folded by hand.
_LETTER_FOLDS = str.maketrans({"ø": "o", "đ": "d", "ł": "l", "ħ": "h", "ı": "i", "ŧ": "t",
                               "æ": "ae", "œ": "oe", "þ": "th", "ð": "d", "ŋ": "n", "ĸ": "k"})
_SPACES = re.compile(r"\s+")


def _is_invisible(char, keep_joiners):
    if char in BIDI_CONTROLS:
        return True
    if keep_joiners and char in JOINERS:
        return False
    # Cf: format characters (zero-width space, BOM, soft hyphen...); Cc: other control characters.
    return unicodedata.category(char) in ("Cf", "Cc") and not char.isspace()


def clean_text(value, keep_joiners=True):
    """NFKC, invisible characters and bidi controls removed, whitespace collapsed and trimmed."""
    text = unicodedata.normalize("NFKC", value or "")
    text = "".join(c for c in text if not _is_invisible(c, keep_joiners))
    return _SPACES.sub(" ", text).strip()


def full_name(family_name, given_name):
    """A record's name as lists show it, "Family, Given"; a patient with one name (kept in the
    family name, the given name empty) is named by it alone, never "Suharto, "."""
    return f"{family_name}, {given_name}" if given_name else family_name


def clean_name(value):
    """The stored form of a name: the real spelling, cleaned (see the module's docstring)."""
    return clean_text(value)


# What a person's name may hold besides letters (L*) and the marks that go with them (M*: accents,
# vowel signs): spaces, apostrophes (O'Brien, O’Brien, the modifier letter ʼ is a letter),
# hyphens (Smith-Jones) and periods (St. John). An emoji, a digit or a symbol is refused: it shows as
# an empty box on many screens, in print and in the messages to the patient.
NAME_PUNCTUATION = frozenset(" '\u2019-\u2010\u2011.") | JOINERS


def characters_not_in_names(value):
    """The characters of `value` a person's name may not hold, each once, in the order typed
    (empty when the name is fine). Read after cleaning: invisible characters are dropped anyway."""
    found = []
    for char in clean_name(value):
        if unicodedata.category(char)[0] in "LM" or char in NAME_PUNCTUATION or char in found:
            continue
        found.append(char)
    return found


def fold(value):
    """Case-folded, accent-free text with spaces kept: the basis of every key."""
    text = clean_text(value, keep_joiners=False).casefold().translate(_LETTER_FOLDS)
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if unicodedata.category(c) != "Mn")


def name_key(value):
    """The matching key of a name: "García" -> "garcia", "O'Brien" = "O Brien" = "obrien"."""
    return "".join(c for c in fold(value) if c.isalnum())


def name_parts(value):
    """The keys of a name's parts, split where the name has a space or a hyphen (any dash):
    "Ní Dhúill-O'Connor" -> ("ni", "dhuill", "oconnor"). An apostrophe or a period stays inside
    its part: O'Brien is one name ("obrien"), never "Brien"."""
    spaced = "".join(" " if unicodedata.category(c) == "Pd" else c for c in fold(value))
    return tuple(key for key in (name_key(part) for part in spaced.split()) if key)


def later_part_keys(value):
    """What a name of several parts is also found by, besides its whole key: the key from each
    later part to the end, "Ní Dhúill-O'Connor" -> ("dhuilloconnor", "oconnor"), so a search for
    the start of any part (O'Connor, Dhúill) or for the name from there on (Dhúill-O'Connor)
    finds it. Empty for a name of one part. Each is shorter than the one before: never two alike."""
    parts = name_parts(value)
    return tuple("".join(parts[i:]) for i in range(1, len(parts)))


def _spelled_in(key, parts):
    """Whether `key` is one of `parts`, or several neighbouring parts written together ("o", "brien"
    spell "obrien")."""
    return any("".join(parts[i:j]) == key for i in range(len(parts)) for j in range(i + 1, len(parts) + 1))


def account_name_matches(account_name, family_name, given_name):
    """Whether an account's full name names the person on a patient record: one part of the
    family name (or the whole of it) and the first given name (or the whole of it) are among the
    account name's parts, in any order and spelling (García = Garcia, O'Brien = O Brien).
    "Pat Three" is not Lindqvist, Erik; neither is "Erik Smith" nor "Anna Lindqvist"."""
    parts = name_parts(account_name)

    def named(name, which):
        name_keys = name_parts(name)
        return bool(name_keys) and any(_spelled_in(key, parts) for key in (name_key(name), *which(name_keys)))

    return named(family_name, lambda keys: keys) and (not name_parts(given_name)
                                                     or named(given_name, lambda keys: keys[:1]))


def normalise_mrn(value):
    """The stored and compared form of a medical record number, an identifier rather than text:
    NFKC (full-width digits become 0-9), invisible characters and all spaces removed, upper case.
    " demo-0001 " -> "DEMO-0001"; "ＡＢ１２" -> "AB12"."""
    return "".join(clean_text(value, keep_joiners=False).split()).upper()


def mrn_key(value):
    """The matching key of a medical record number (search, registration's check, the duplicate
    rule, FHIR intake): its normal form with everything but letters and digits dropped, so the
    punctuation and spaces a clinic writes inside its numbers never make a second number.
    "QA-1002" = "qa 1002" = "QA.1002" = "QA/1002" = "QA1002" -> "QA1002"."""
    return "".join(c for c in normalise_mrn(value) if c.isalnum())


def phone_key(value):
    """The digits of a phone number, for search: "+1 (555) 010-0100" -> "15550100100"."""
    return "".join(c for c in clean_text(value, keep_joiners=False) if c.isdigit() and c.isascii())


def search_words(value):
    """A search term's words, folded: "  García,\u200b Lucía " -> ["garcia", "lucia"]."""
    return [w for w in (name_key(part) for part in re.split(r"[\s,]+", fold(value))) if w]


def parse_date(value, formats=("%Y-%m-%d",)):
    """A date typed in one of `formats` (after cleaning), or None."""
    text = clean_text(value, keep_joiners=False)
    for fmt in formats:
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None


def edit_distance_at_most_one(a, b):
    """True when `a` and `b` differ by at most one insertion, deletion, substitution or swap of
    two neighbouring letters (the commonest typing slips: Smtih, Smih, Smyth)."""
    if a == b:
        return True
    if abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        diffs = [i for i in range(len(a)) if a[i] != b[i]]
        if len(diffs) == 1:
            return True
        return (len(diffs) == 2 and diffs[1] == diffs[0] + 1
                and a[diffs[0]] == b[diffs[1]] and a[diffs[1]] == b[diffs[0]])
    shorter, longer = (a, b) if len(a) < len(b) else (b, a)
    for i in range(len(longer)):
        if longer[:i] + longer[i + 1:] == shorter:
            return True
    return False


def edit_distance_within(a, b, limit):
    """True when `a` and `b` are at most `limit` typing slips apart: letters added, dropped or
    changed, or two neighbours swapped (each one slip; the optimal string alignment distance)."""
    if abs(len(a) - len(b)) > limit:
        return False
    before, row = None, list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        current = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            current[j] = min(row[j] + 1, current[j - 1] + 1, row[j - 1] + (a[i - 1] != b[j - 1]))
            if before is not None and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                current[j] = min(current[j], before[j - 2] + 1)
        if min(current) > limit:
            return False
        before, row = row, current
    return row[len(b)] <= limit


# American Soundex: the first letter kept, then the codes of the consonants that follow (letters
# coded alike next to each other, or with only h or w between them, count once; vowels separate).
_SOUNDEX_CODES = {**dict.fromkeys("bfpv", "1"), **dict.fromkeys("cgjkqsxz", "2"), **dict.fromkeys("dt", "3"),
                  "l": "4", **dict.fromkeys("mn", "5"), "r": "6"}


def soundex(key):
    """The Soundex code of a name key ("okafor" and "ocafore" -> "O216"), or "" for a key that
    does not start with a Latin letter (the code is made for names written in it). Letters other
    than a to z are passed over."""
    letters = [c for c in key if "a" <= c <= "z"]
    if not key or not letters or key[0] != letters[0]:
        return ""
    code, last = letters[0].upper(), _SOUNDEX_CODES.get(letters[0], "")
    for letter in letters[1:]:
        digit = _SOUNDEX_CODES.get(letter, "")
        if digit and digit != last:
            code += digit
        if letter not in "hw":
            last = digit
    return (code + "000")[:4]


__all__ = ["account_name_matches", "clean_name", "clean_text", "edit_distance_at_most_one", "edit_distance_within", "fold", "later_part_keys", "mrn_key",
           "name_key", "name_parts", "normalise_mrn", "parse_date", "phone_key", "search_words", "soundex"]
