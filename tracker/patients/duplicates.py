"""Likely duplicates of a patient record: the pure rule, on plain values.

A duplicate splits a patient's caps (injections are counted per patient record), so a likely one
is always shown before a record is made or changed. Reasons, strongest first:
- the same medical record number once normalised (case, spaces, punctuation, invisible characters,
  full-width digits ignored: QA-1002 = QA1002);
- the same date of birth and the same family name once folded (García = Garcia);
- the same date of birth and a close name: given and family names swapped, or each name at most
  one typing slip from the other's (Smith / Smtih, Lucia / Lucía);
- the same date of birth and given name, and one family name a run of the other's parts: the
  person registered once as Ní Dhúill-O'Connor and again as O'Connor (or Ní Dhúill).

`likely_duplicates(candidate, records)` is the function to call: it reads no database, so intake
from elsewhere (FHIR) applies exactly the same rule to the records it loads.
"""
from dataclasses import dataclass
from datetime import date

from tracker.patients.identity import edit_distance_at_most_one, mrn_key, name_key, name_parts

SAME_MRN = "same medical record number"
SAME_FAMILY_AND_BIRTH = "same family name and date of birth"
SWAPPED_NAMES = "given and family names swapped, same date of birth"
CLOSE_NAME = "name one letter apart, same date of birth"
FAMILY_NAME_PART = "family name part of the other's, same given name and date of birth"


@dataclass(frozen=True)
class Identity:
    """Who a record says the patient is, as typed (the rule folds it)."""

    mrn: str
    family_name: str
    given_name: str
    date_of_birth: date | None


@dataclass(frozen=True)
class Candidate:
    record_id: object
    reasons: tuple


def match_reasons(new: Identity, old: Identity) -> tuple:
    """Why `old` may be the same person as `new` (empty: no reason to think so)."""
    reasons = []
    mrn = mrn_key(new.mrn)
    if mrn and mrn == mrn_key(old.mrn):
        reasons.append(SAME_MRN)
    if new.date_of_birth is not None and new.date_of_birth == old.date_of_birth:
        family, given = name_key(new.family_name), name_key(new.given_name)
        old_family, old_given = name_key(old.family_name), name_key(old.given_name)
        if family and family == old_family:
            reasons.append(SAME_FAMILY_AND_BIRTH)
        elif family and (family, given) == (old_given, old_family):
            reasons.append(SWAPPED_NAMES)
        elif (family and given and edit_distance_at_most_one(family, old_family)
              and edit_distance_at_most_one(given, old_given)):
            reasons.append(CLOSE_NAME)
        elif given and given == old_given and _one_within_the_other(name_parts(new.family_name),
                                                                     name_parts(old.family_name)):
            reasons.append(FAMILY_NAME_PART)
    return tuple(reasons)


def _one_within_the_other(parts, other_parts):
    """True when the shorter of two names' parts is a run of the longer's: ("oconnor",) within
    ("ni", "dhuill", "oconnor"); never for two names of one part each (those differ outright)."""
    shorter, longer = sorted((parts, other_parts), key=len)
    if not shorter or len(shorter) == len(longer):
        return False
    return any(longer[i:i + len(shorter)] == shorter for i in range(len(longer) - len(shorter) + 1))


def likely_duplicates(new: Identity, records) -> list:
    """The records of `records` ((record id, Identity) pairs) that may be `new`'s person, each
    with its reasons; those sharing the MRN first, then in the order given."""
    found = [Candidate(record_id, reasons) for record_id, old in records
             if (reasons := match_reasons(new, old))]
    return sorted(found, key=lambda c: SAME_MRN not in c.reasons)
