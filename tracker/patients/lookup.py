"""Finding patient records: the header search, the duplicate check, and the page loader.

Everything typed is folded with tracker/patients/identity.py and compared with the key columns,
so accents, case, spaces, apostrophes and invisible characters never decide whether someone is
found. Each kind of term reads an index of its own (see the Patient model).
"""
import re
from dataclasses import dataclass, field
from datetime import date

from flask import current_app
from sqlalchemy.orm import selectinload

from tracker.extensions import db
from tracker.models import Patient
from tracker.patients.duplicates import Identity, likely_duplicates
from tracker.patients.identity import clean_text, mrn_key, name_key, parse_date, phone_key
from tracker.search import contains, starts_with

MIN_SEARCH_CHARACTERS = 2
# A shorter piece of an MRN or phone number matches too much of the register to be useful.
MIN_FRAGMENT = 4
MAX_RESULTS = 50
_PHONE_TYPED = re.compile(r"[\d\s()+.\-/]+")


class SearchRefused(Exception):
    """A term that cannot be searched for, with what to type instead."""


@dataclass(frozen=True)
class SearchTerms:
    """What one search box entry is taken to mean; a patient matching any of them is shown."""

    born: date | None = None
    mrn: str = ""
    mrn_fragment: str = ""
    phone_digits: str = ""
    # (family name key prefix, given name key prefix), either may be "" (no condition).
    names: tuple = field(default_factory=tuple)
    # A date typed day first ("23/04/1979") where the clinic writes the month first: read day
    # first, since its first number cannot be a month; the page says how it was read.
    day_first: bool = False


def parse_search(typed, date_formats=("%Y-%m-%d",)):
    """The meanings of a search entry (pure). Raises SearchRefused for what cannot be searched."""
    text = clean_text(typed, keep_joiners=False)
    characters = [c for c in text if c.isalnum()]
    if not characters:
        raise SearchRefused("Type a name, medical record number, date of birth or phone number: "
                            "what you typed has no letters or digits.")
    if len(characters) < MIN_SEARCH_CHARACTERS:
        raise SearchRefused(f"Type at least {MIN_SEARCH_CHARACTERS} letters or digits.")
    born = parse_date(text, date_formats)
    if born is not None:
        return SearchTerms(born=born)
    born = _day_first_date(text, date_formats)
    if born is not None:
        return SearchTerms(born=born, day_first=True)
    mrn = mrn_key(text)
    has_digit = any(c.isdigit() for c in mrn)
    digits = phone_key(text)
    return SearchTerms(
        mrn=mrn if has_digit else "",
        mrn_fragment=mrn if has_digit and len(mrn) >= MIN_FRAGMENT else "",
        phone_digits=digits if _PHONE_TYPED.fullmatch(text) and len(digits) >= MIN_FRAGMENT else "",
        names=_name_terms(text) if any(c.isalpha() for c in text) else (),
    )


_NUMERIC_DATE = re.compile(r"(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})")


def _day_first_date(text, date_formats):
    """"23/04/1979" when the clinic's format is month first (MM/DD/YYYY): 23 is no month, so the
    only date it can be is 23 April 1979. None for anything else (an ambiguous 04/05/1979 is read
    the clinic's way before this is asked)."""
    if not any(fmt.startswith("%m") for fmt in date_formats):
        return None
    match = _NUMERIC_DATE.fullmatch(text.strip())
    if match is None:
        return None
    day, month, year = (int(part) for part in match.groups())
    if day <= 12:
        return None
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _name_terms(text):
    if "," in text:
        # "Family, Given" as the worklist shows a patient.
        family, given = text.split(",", 1)
        return ((name_key(family), name_key(given)),) if name_key(family) else ()
    words = [w for w in (name_key(part) for part in text.split()) if w]
    whole = name_key(text)
    terms = [(whole, ""), ("", whole)]
    if len(words) >= 2:
        # "Lucía García" (given first) and "García Lucía" (family first).
        terms += [(words[-1], "".join(words[:-1])), (words[0], "".join(words[1:]))]
    return tuple(terms)


def _conditions(terms):
    conditions = []
    if terms.born:
        conditions.append(Patient.date_of_birth == terms.born)
    if terms.mrn:
        conditions.append(Patient.mrn_key == terms.mrn)
    if terms.mrn_fragment:
        conditions.append(contains(Patient.mrn_key, terms.mrn_fragment))
    if terms.phone_digits:
        conditions.append(contains(Patient.phone_key, terms.phone_digits))
    for family, given in terms.names:
        parts = []
        if family:
            parts.append(starts_with(Patient.family_name_key, family))
        if given:
            parts.append(starts_with(Patient.given_name_key, given))
        conditions.append(db.and_(*parts))
    return conditions


def search_patients(terms, limit=MAX_RESULTS, born=None, live_only=False):
    """Patients matching `terms` (with their cases), in name order; at most `limit` + 1, so the
    caller can say when there are more. `born` narrows to a date of birth; `live_only` leaves
    merged records out.

    Each meaning of the term is a query of its own through its own index (the MRN's, a trigram
    index for a fragment, a name key's, the date of birth's), reading only the id and the name
    keys (the name indexes hold all three); their union is put in name order and cut, and only
    then are the records read. One OR across them all would make PostgreSQL give up the indexes
    and read the whole table, and a query in name order per meaning would walk the name index
    whenever the planner over-guesses how many share a name."""
    conditions = _conditions(terms)
    if not conditions:
        return []
    branches = []
    for condition in conditions:
        branch = db.select(Patient.id, Patient.family_name_key, Patient.given_name_key).filter(condition)
        if born is not None:
            branch = branch.filter(Patient.date_of_birth == born)
        if live_only:
            branch = branch.filter(Patient.merged_into_id.is_(None))
        branches.append(branch)
    matching = (branches[0] if len(branches) == 1 else db.union(*branches)).subquery()
    first = (db.select(matching.c.id)
             .order_by(matching.c.family_name_key, matching.c.given_name_key, matching.c.id)
             .limit(limit + 1).subquery())
    statement = (db.select(Patient).join(first, Patient.id == first.c.id)
                 .options(selectinload(Patient.cases), selectinload(Patient.merged_into))
                 .order_by(Patient.family_name_key, Patient.given_name_key, Patient.id))
    return db.session.execute(statement).scalars().all()


def date_formats():
    """ISO and the clinic's usual way of writing a date (CLINIC_DATE_FORMAT)."""
    return ("%Y-%m-%d", current_app.config["CLINIC_DATE_FORMAT"])


def find_duplicates(identity, exclude_id=None):
    """Patient records (not merged ones) that may be `identity`'s person, each with its reasons:
    [(Patient, reasons)]. One query, through the date-of-birth and MRN indexes; the rule itself
    is tracker.patients.duplicates.likely_duplicates."""
    conditions = []
    if identity.date_of_birth is not None:
        conditions.append(Patient.date_of_birth == identity.date_of_birth)
    if mrn_key(identity.mrn):
        conditions.append(Patient.mrn_key == mrn_key(identity.mrn))
    if not conditions:
        return []
    statement = db.select(Patient).filter(db.or_(*conditions), Patient.merged_into_id.is_(None))
    if exclude_id is not None:
        statement = statement.filter(Patient.id != exclude_id)
    records = {p.id: p for p in db.session.execute(statement).scalars()}
    found = likely_duplicates(identity, [(p.id, identity_of(p)) for p in records.values()])
    return [(records[c.record_id], c.reasons) for c in found]


def identity_of(patient):
    return Identity(mrn=patient.mrn, family_name=patient.family_name, given_name=patient.given_name,
                    date_of_birth=patient.date_of_birth)


__all__ = ["SearchRefused", "SearchTerms", "find_duplicates", "identity_of", "parse_search",
           "search_patients"]
