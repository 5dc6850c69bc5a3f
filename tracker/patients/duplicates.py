"""Likely duplicates of a patient record: the pure rule, on plain values.

A duplicate splits a patient's caps (injections are counted per patient record), so a likely one
is always shown before a record is made or changed. Reasons, strongest first:
- the same medical record number once normalised (case, spaces, punctuation, invisible characters,
  full-width digits ignored: QA-1002 = QA1002);
- the same date of birth and the same family name once folded (García = Garcia);
- the same date of birth and a close name: given and family names swapped, or each name at most
  one typing slip from the other's (Smith / Smtih, Lucia / Lucía);
- the same date of birth and given name, and one family name a run of the other's parts: the
  person registered once as Ní Dhúill-O'Connor and again as O'Connor (or Ní Dhúill);
- the same date of birth and given name, and a family name that sounds alike (the same Soundex
  code: Okafor / Ocafore, Smith / Schmidt) or is two typing slips from the other's (names of five
  letters or more: Kowalski / Kovalsky);
- the same name (family and given, folded) with the day and month of birth swapped: 1961-12-04
  for 1961-04-12, the commonest slip between the US and the European way of writing a date;
- the same phone number and the same given name: a mother's and her son's records share a
  number but not a given name, and are not listed.
The reasons that say the name and date of birth agree (NAME_AND_BIRTH_AGREE) are the ones under
which FHIR intake takes a record with the same MRN as the patient; any other goes to a person.

`likely_duplicates(candidate, records)` is the function to call: it reads no database, so intake
from elsewhere (FHIR) applies exactly the same rule to the records it loads.
"""
from dataclasses import dataclass
from datetime import date

from tracker.patients.identity import (edit_distance_at_most_one, edit_distance_within, mrn_key, name_key, name_parts,
                                       phone_key, soundex)

SAME_MRN = "same medical record number"
SAME_FAMILY_AND_BIRTH = "same family name and date of birth"
SWAPPED_NAMES = "given and family names swapped, same date of birth"
CLOSE_NAME = "name one letter apart, same date of birth"
FAMILY_NAME_PART = "family name part of the other's, same given name and date of birth"
# The reasons that say the name and the date of birth agree.
NAME_AND_BIRTH_AGREE = frozenset({SAME_FAMILY_AND_BIRTH, SWAPPED_NAMES, CLOSE_NAME, FAMILY_NAME_PART})
# Two typing slips are compared only in family names this long: shorter ones (Park, Pace) are
# two slips from too many others.
MIN_TWO_SLIP_NAME = 5
# A phone number shorter than this (a slip, an extension typed alone) is not compared.
MIN_PHONE_DIGITS = 7


@dataclass(frozen=True)
class Identity:
    """Who a record says the patient is, as typed (the rule folds it)."""

    mrn: str
    family_name: str
    given_name: str
    date_of_birth: date | None
    # The phone number as stored (E.164), or "" when there is none.
    phone: str = ""


@dataclass(frozen=True)
class Candidate:
    record_id: object
    reasons: tuple


def match_reasons(new: Identity, old: Identity, show_phone=str) -> tuple:
    """Why `old` may be the same person as `new` (empty: no reason to think so). `show_phone`
    writes a stored phone number as the page shows it (the reason quotes it)."""
    reasons = []
    mrn = mrn_key(new.mrn)
    if mrn and mrn == mrn_key(old.mrn):
        reasons.append(SAME_MRN)
    family, given = name_key(new.family_name), name_key(new.given_name)
    old_family, old_given = name_key(old.family_name), name_key(old.given_name)
    if new.date_of_birth is not None and new.date_of_birth == old.date_of_birth:
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
        elif family and given == old_given and (alike := _family_alike(family, old_family)):
            reasons.append(f"same date of birth and given name, family name {alike}: "
                           f"{new.family_name} / {old.family_name}")
    elif family and (family, given) == (old_family, old_given) and day_month_swapped(new.date_of_birth) is not None \
            and day_month_swapped(new.date_of_birth) == old.date_of_birth:
        reasons.append(f"same name, date of birth with day and month swapped: "
                       f"{new.date_of_birth.isoformat()} / {old.date_of_birth.isoformat()}")
    phone = phone_key(new.phone)
    if given and given == old_given and len(phone) >= MIN_PHONE_DIGITS and phone == phone_key(old.phone):
        reasons.append(f"same phone number {show_phone(old.phone)} and same given name")
    return tuple(reasons)


def day_month_swapped(born):
    """`born` with its day and month swapped (1961-12-04 for 1961-04-12), or None when that is no
    other date (the day is the month, or more than 12)."""
    if born is None or born.day == born.month or born.day > 12:
        return None
    return born.replace(month=born.day, day=born.month)


def _family_alike(family, other):
    """How two family name keys that are not one slip apart are alike, in words, or "": the same
    Soundex code ("sounds alike"), two typing slips apart ("two letters apart"), or both."""
    ways = []
    if soundex(family) and soundex(family) == soundex(other):
        ways.append("sounds alike")
    if min(len(family), len(other)) >= MIN_TWO_SLIP_NAME and edit_distance_within(family, other, 2):
        ways.append("two letters apart")
    return " and ".join(ways)


def _one_within_the_other(parts, other_parts):
    """True when the shorter of two names' parts is a run of the longer's: ("oconnor",) within
    ("ni", "dhuill", "oconnor"); never for two names of one part each (those differ outright)."""
    shorter, longer = sorted((parts, other_parts), key=len)
    if not shorter or len(shorter) == len(longer):
        return False
    return any(longer[i:i + len(shorter)] == shorter for i in range(len(longer) - len(shorter) + 1))


def likely_duplicates(new: Identity, records, show_phone=str) -> list:
    """The records of `records` ((record id, Identity) pairs) that may be `new`'s person, each
    with its reasons; those sharing the MRN first, then in the order given."""
    found = [Candidate(record_id, reasons) for record_id, old in records
             if (reasons := match_reasons(new, old, show_phone))]
    return sorted(found, key=lambda c: SAME_MRN not in c.reasons)
