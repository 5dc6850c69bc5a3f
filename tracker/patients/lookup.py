"""Finding patient records: the header search, the duplicate check, and the page loader.

Everything typed is folded with tracker/patients/identity.py and compared with the key columns,
so accents, case, spaces, apostrophes and invisible characters never decide whether someone is
found. Each kind of term reads an index of its own (see the Patient model).
"""
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import lru_cache

from flask import current_app
from sqlalchemy.orm import selectinload

from tracker import phones
from tracker.contact import contact_ended_mark_of
from tracker.extensions import db
from tracker.loaders import kept_record
from tracker.models import Case, FamilyNamePart, FormerMrn, GivenNamePart, Patient
from tracker.patients.duplicates import MIN_PHONE_DIGITS, Identity, day_month_swapped, likely_duplicates
from tracker.patients.identity import clean_text, edit_distance_at_most_one, mrn_key, name_key, parse_date, phone_key
from tracker.search import inner_pattern, like, prefix_pattern
from tracker.vocab import ContactEnded, Indication, Side
from tracker.workflow import State

MIN_SEARCH_CHARACTERS = 2
# A shorter piece of an MRN or phone number matches too much of the register to be useful.
MIN_FRAGMENT = 4
MAX_RESULTS = 50
# Each way of splitting a search's words into a given and a family name is a query of the search's
# union (two, with a family name's later parts): a longer search is searched whole only.
MAX_NAME_WORDS = 6
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
    # A name typed with the date of birth ("Garcia 04/02/1961"): the patients of that name born
    # that day only (the two identifiers checked together).
    name_born: date | None = None
    # The date as typed, when typed with a name (the notice of a day-first date quotes it alone).
    date_typed: str = ""

    @property
    def date_read(self):
        return self.born or self.name_born


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
    with_birth = _name_and_birth(text, date_formats)
    if with_birth is not None:
        return with_birth
    mrn = mrn_key(text)
    has_digit = any(c.isdigit() for c in mrn)
    digits = phone_key(text)
    return SearchTerms(
        mrn=mrn if has_digit else "",
        mrn_fragment=mrn if has_digit and len(mrn) >= MIN_FRAGMENT else "",
        phone_digits=digits if _PHONE_TYPED.fullmatch(text) and len(digits) >= MIN_FRAGMENT else "",
        names=_name_terms(text) if any(c.isalpha() for c in text) else (),
    )


def parse_name_or_mrn(typed):
    """What the worklist's box means (pure): the exact MRN (by its key), or a name read as the
    search reads it (_name_terms). Empty terms when there is nothing to compare."""
    text = clean_text(typed, keep_joiners=False)
    return SearchTerms(mrn=mrn_key(text), names=_name_terms(text) if any(c.isalpha() for c in text) else ())


_NUMERIC_DATE = re.compile(r"(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})")


def _name_and_birth(text, date_formats):
    """"Garcia 04/02/1961", "García, Lucía 1961-04-02": one word a date of birth, the rest a name
    (SearchTerms with names and name_born), or None."""
    words = text.split()
    dates = [(i, parse_date(word, date_formats) or _day_first_date(word, date_formats)) for i, word in enumerate(words)]
    dates = [(i, born) for i, born in dates if born is not None]
    rest = " ".join(word for i, word in enumerate(words) if i not in {i for i, _ in dates})
    if len(dates) != 1 or not any(c.isalpha() for c in rest):
        return None
    born = dates[0][1]
    names = _name_terms(rest.strip(" ,"))
    if not names:
        return None
    typed = words[dates[0][0]]
    return SearchTerms(names=names, name_born=born, day_first=parse_date(typed, date_formats) is None, date_typed=typed)


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
    if 2 <= len(words) <= MAX_NAME_WORDS:
        # Every way the words split into a given and a family name, given first ("Lucía García",
        # "Siobhán Ní Dhúill-O'Connor") and family first ("García Lucía"): either name may have
        # several words, and nothing says where one ends.
        for cut in range(1, len(words)):
            first, rest = "".join(words[:cut]), "".join(words[cut:])
            terms += [(rest, first), (first, rest)]
    return tuple(dict.fromkeys(terms))


# What a meaning of a search compares, by name: each reads an index of its own (see the Patient model).
_COMPARED = {
    "born": lambda value: Patient.date_of_birth == value,
    "mrn": lambda value: Patient.mrn_key == value,
    # A number the record had before a correction (FormerMrn), read through that table's index.
    "former_mrn": lambda value: FormerMrn.mrn_key == value,
    "mrn_fragment": lambda pattern: like(Patient.mrn_key, pattern),
    "phone": lambda pattern: like(Patient.phone_key, pattern),
    "family": lambda pattern: like(Patient.family_name_key, pattern),
    "given": lambda pattern: like(Patient.given_name_key, pattern),
}
# A meaning with a later part of a name reads that name's parts' table instead, which holds the name
# keys too (see FamilyNamePart, GivenNamePart): the table, and what each comparison reads there.
_PARTS = {
    "family_part": (FamilyNamePart, {"family_part": FamilyNamePart.key, "given": FamilyNamePart.given_name_key}),
    "given_part": (GivenNamePart, {"given_part": GivenNamePart.key, "family": GivenNamePart.family_name_key}),
}


def _parts_of(meaning):
    """(the parts' table, {what: column}) for a meaning (its `what`s) comparing a later part of a
    name, or None for one read from the patients' own columns."""
    return next((_PARTS[what] for what in meaning if what in _PARTS), None)


def _meanings(terms):
    """Each meaning of `terms` (a patient matching any of them is found) as the comparisons that
    must all hold: ((what, value), ...), `what` a key of _COMPARED."""
    meanings = []
    if terms.born:
        meanings.append((("born", terms.born),))
    if terms.mrn:
        meanings.append((("mrn", terms.mrn),))
        meanings.append((("former_mrn", terms.mrn),))
    if terms.mrn_fragment:
        meanings.append((("mrn_fragment", inner_pattern(terms.mrn_fragment)),))
    if terms.phone_digits:
        meanings.append((("phone", inner_pattern(terms.phone_digits)),))
    for family, given in terms.names:
        # A family name is found by its start, or by the start of one of its later parts; a given
        # name by its start, or (with the family name's start) by the start of one of its later words.
        ways = [(family_by, "given") for family_by in (("family", "family_part") if family else ("family",))]
        ways += [("family", "given_part")] if given else []
        for family_by, given_by in ways:
            meanings.append(tuple((what, prefix_pattern(typed)) for what, typed in ((family_by, family), (given_by, given))
                                  if typed))
    return meanings


def _shape_and_values(terms):
    """What the search's SQL depends on (which comparisons, how grouped) and the values it binds:
    the SQL is built once per shape and reused, values bound by name."""
    meanings = _meanings(terms)
    shape = tuple(tuple(what for what, _ in meaning) for meaning in meanings)
    values = {f"m{i}_{j}": value for i, meaning in enumerate(meanings) for j, (_, value) in enumerate(meaning)}
    return shape, values


_NAME_ORDER = (Patient.family_name_key, Patient.given_name_key, Patient.id)


def _parts_name_order(table):
    return table.family_name_key, table.given_name_key, table.patient_id.label("id")


def _first_matches(shape, limit, narrowed, live_only):
    """The ids of the first `limit` + 1 patients matching a search of `shape`, in name order, as a
    subquery. `narrowed`: only those born on the bound date "born"; `live_only`: no merged record.

    Each meaning of the term is a query of its own through its own index (the MRN's, a trigram
    index for a fragment, a name key's, the date of birth's), reading only the id and the name
    keys (the name indexes hold all three), each cut to its own first `limit` + 1 in name order;
    their union is put in name order and cut again. One OR across them all would make PostgreSQL
    give up the indexes and read the whole table. The cut per meaning keeps a term that matches
    most of the register (a phone's area code; the MRN's letters and a digit) from sorting the
    whole table twice, once to drop repeats and once to order them: PostgreSQL reads the name
    index in order and stops at the first matches instead, and a family name prefix reads its own
    index, already in name order. Anyone among the first overall is among the first of a meaning
    they match, so the cut changes nothing found. A later part of a family name (O'Connor in Ní
    Dhúill-O'Connor), or a later word of a given name (Hằng in Thị Hằng), is a meaning of its own,
    read from the index of that name's parts' keys, which holds the name keys as well: nothing
    there is in name order, so the database sorts the matches of the part (never walks the
    register in name order hoping to meet them), and reads the patients only to narrow by date of
    birth or leave merged records out."""
    branches = []
    for i, meaning in enumerate(shape):
        parts = _parts_of(meaning)
        if parts:
            table, columns = parts
            order, compared = _parts_name_order(table), [like(columns[what], db.bindparam(f"m{i}_{j}"))
                                                         for j, what in enumerate(meaning)]
        else:
            order, compared = _NAME_ORDER, [_COMPARED[what](db.bindparam(f"m{i}_{j}"))
                                            for j, what in enumerate(meaning)]
        branch = db.select(*order).filter(*compared)
        if "former_mrn" in meaning:
            # The former number's index first, then its record by its id.
            branch = branch.select_from(FormerMrn).join(Patient, Patient.id == FormerMrn.patient_id)
        if parts and (narrowed or live_only):
            branch = branch.join(Patient, Patient.id == table.patient_id)
        if narrowed:
            branch = branch.filter(Patient.date_of_birth == db.bindparam("born"))
        if live_only:
            branch = branch.filter(Patient.merged_into_id.is_(None))
        # A subquery each: SQLite allows no ORDER BY or LIMIT on the parts of a UNION themselves.
        branch = branch.order_by(*order).limit(limit + 1).subquery()
        branches.append(db.select(branch.c.id, branch.c.family_name_key, branch.c.given_name_key))
    matching = (branches[0] if len(branches) == 1 else db.union(*branches)).subquery()
    return (db.select(matching.c.id)
            .order_by(matching.c.family_name_key, matching.c.given_name_key, matching.c.id)
            .limit(limit + 1).subquery())


def ids_matching(terms):
    """The ids of the patients matching `terms`, as one select for an IN (the worklist's name
    box; a merged record's MRN or name gives the record kept), or None when the terms compare
    nothing: each meaning's own select through its own index
    (a later part of a family name through the parts' table), so the register is never read whole.
    UNION ALL, not UNION: a repeat changes nothing for IN, and PostgreSQL can then also probe each
    branch for one row at a time, where UNION made it join every match to the whole table."""
    # A record merged away stands for the record kept, which holds its cases now: the MRN or the
    # name on a letter written before the merge still finds them (a merge points every earlier
    # tombstone at the record kept, so one step is enough). Each match is one row read more.
    kept_id = db.func.coalesce(Patient.merged_into_id, Patient.id)
    branches = []
    for meaning in _meanings(terms):
        parts = _parts_of([what for what, _ in meaning])
        if parts:
            # The parts' own index first, then each match's record by its key (a join let SQLite
            # read the whole register to probe the parts).
            table, columns = parts
            matched = [Patient.id.in_(db.select(table.patient_id).filter(
                *(like(columns[what], value) for what, value in meaning)))]
        else:
            matched = [_COMPARED[what](value) for what, value in meaning]
        if any(what == "former_mrn" for what, _ in meaning):
            # A corrected record's former number the same way, through its own index.
            matched = [Patient.id.in_(db.select(FormerMrn.patient_id).filter(*matched))]
        branches.append(db.select(kept_id).filter(*matched))
    if not branches:
        return None
    return branches[0] if len(branches) == 1 else db.union_all(*branches)


@lru_cache(maxsize=256)
def _patients_statement(shape, limit, narrowed, live_only):
    first = _first_matches(shape, limit, narrowed, live_only)
    return (db.select(Patient).join(first, Patient.id == first.c.id)
            .options(selectinload(Patient.cases), selectinload(Patient.merged_into))
            .order_by(*_NAME_ORDER))


def search_patients(terms, limit=MAX_RESULTS, born=None, live_only=False):
    """Patients matching `terms` (with their cases), in name order; at most `limit` + 1, so the
    caller can say when there are more. `born` narrows to a date of birth; `live_only` leaves
    merged records out. A date of birth typed with the name (`terms.name_born`) narrows too."""
    shape, values = _shape_and_values(terms)
    if not shape or (born is not None and terms.name_born not in (None, born)):
        return []
    born = born or terms.name_born
    if born is not None:
        values["born"] = born
    statement = _patients_statement(shape, limit, born is not None, live_only)
    return db.session.execute(statement, values).scalars().all()


@dataclass(slots=True, frozen=True)
class FoundCase:
    """One of a found patient's cases, as the search page shows it."""

    id: int
    side: Side
    indication: Indication
    state: State


@dataclass(slots=True)
class Found:
    """A patient as the search page lists them: the columns shown and the cases, newest first,
    read as plain rows rather than as records with everything they link to."""

    id: int
    family_name: str
    given_name: str
    mrn: str
    date_of_birth: date
    # No longer reachable, as the record says it (Patient.contact_ended and its day and moment).
    contact_ended: ContactEnded | None
    contact_ended_on: date | None
    contact_ended_at: datetime | None
    merged_into_id: int | None
    # The former number searched for, when that is how this record was found ("formerly QA-7002").
    formerly: str | None = None
    cases: list = field(default_factory=list)
    merged_into: "Found | None" = None
    # The merged records the search found this kept record through, when it did not match itself
    # ("found by WALK 7002, Nunes Pena, Maria Jose, merged into this record").
    found_through: list = field(default_factory=list)

    display_name = Patient.display_name

    @property
    def no_longer_reachable(self):
        """The mark beside the name of a patient no longer reached ("Died 2026-11-03"), or ""."""
        return contact_ended_mark_of(self)


_PATIENT_COLUMNS = (Patient.id, Patient.family_name, Patient.given_name, Patient.mrn, Patient.date_of_birth,
                    Patient.contact_ended, Patient.contact_ended_on, Patient.contact_ended_at, Patient.merged_into_id)
_CASE_COLUMNS = (Case.id, Case.side, Case.indication, Case.state)


@lru_cache(maxsize=256)
def _page_statement(shape, limit, narrowed=False):
    first = _first_matches(shape, limit, narrowed, False)
    statement = db.select(*_PATIENT_COLUMNS, FormerMrn.mrn if ("former_mrn",) in shape else db.null(),
                          *_CASE_COLUMNS).join(first, Patient.id == first.c.id)
    if ("former_mrn",) in shape:
        # The former number typed, for "formerly QA-7002" beside the record (one per record and number).
        statement = statement.outerjoin(FormerMrn, db.and_(
            FormerMrn.patient_id == Patient.id,
            FormerMrn.mrn_key == db.bindparam(f"m{shape.index(('former_mrn',))}_0")))
    return statement.outerjoin(Case, Case.patient_id == Patient.id).order_by(*_NAME_ORDER, Case.id.desc())


_BY_ID = (db.select(*_PATIENT_COLUMNS, db.null(), *_CASE_COLUMNS)
          .filter(Patient.id.in_(db.bindparam("ids", expanding=True)))
          .outerjoin(Case, Case.patient_id == Patient.id).order_by(Patient.id, Case.id.desc()))


def _read_found(statement, values):
    """{id: Found} in the order of the rows: one row per case, one for a patient with none."""
    found = {}
    for (patient_id, *shown, merged_into_id, formerly, case_id, side, indication, state) in db.session.execute(
            statement, values):
        patient = found.get(patient_id)
        if patient is None:
            patient = found[patient_id] = Found(patient_id, *shown, merged_into_id, formerly)
        if case_id is not None:
            patient.cases.append(FoundCase(case_id, side, indication, state))
    return found


def search_page(terms, limit=MAX_RESULTS):
    """What the search page lists for `terms`: the first `limit` + 1 matches in name order, each
    merged record replaced by the record kept (tracker.loaders.kept_record's rule), each record
    listed once. One query; a merged record among them costs one more per step of its merges."""
    shape, values = _shape_and_values(terms)
    if not shape:
        return []
    if terms.name_born is not None:
        values["born"] = terms.name_born
    matches = list(_read_found(_page_statement(shape, limit, terms.name_born is not None), values).values())
    known = {patient.id: patient for patient in matches}
    waiting = {p.merged_into_id for p in matches if p.merged_into_id is not None} - known.keys()
    while waiting:
        known.update(_read_found(_BY_ID, {"ids": sorted(waiting)}))
        waiting = {p.merged_into_id for p in known.values() if p.merged_into_id is not None} - known.keys()
    for patient in known.values():
        if patient.merged_into_id is not None:
            patient.merged_into = known[patient.merged_into_id]
    kept, listed, matched = [], set(), {patient.id for patient in matches}
    for match in matches:
        patient = kept_record(match)
        if patient.id not in matched and match not in patient.found_through:
            patient.found_through.append(match)
        if patient.id not in listed:
            listed.add(patient.id)
            kept.append(patient)
    return kept


# "Did you mean": a name search that finds nobody offers the records whose family name or given
# name starts with a typed word give or take one typing slip ("Nunes", "Nunex" -> Núñez Peña;
# "Siobahn" -> Murphy, Siobhán), as the duplicate check at registration does for whole names. Only
# words of 4 letters or more are compared (a shorter one is one slip from too many names), and only
# names that share a word's first two letters are read (one index range of each name's index per
# two letters, at most SLIP_SCAN names each): a slip in the first two letters is not offered. A
# family name that starts with a typed word exactly ("Nguyen Mai" -> Nguyễn, Thị Hằng) is offered
# too, and said to be as typed: the search found nobody for the other words (the given name), not
# for a slip in the family name. A given name as typed is offered only with a family name matched
# (every María is no suggestion). Records matching both names ("Siobahn Murphy") come first.
MIN_SLIP_WORD = 4
SLIP_SCAN = 5000
MAX_SUGGESTIONS = 10
# Why a record is offered (Suggestion.why; the page says each in words).
FAMILY_AS_TYPED, FAMILY_SLIP, GIVEN_SLIP, BOTH_SLIP = "family_as_typed", "family_slip", "given_slip", "both_slip"


def slip_words(typed):
    """The keys a "did you mean" compares with family and given names (pure): each word of `typed`
    with at least MIN_SLIP_WORD letters and no digit, and the words together when there are several
    ("Nuñes Pena" -> "nunes", "pena", "nunespena"). () for anything with a digit (an MRN, a date,
    a phone number)."""
    text = clean_text(typed or "", keep_joiners=False)
    if any(c.isdigit() for c in text):
        return ()
    words = [key for key in (name_key(w) for w in text.replace(",", " ").split()) if len(key) >= MIN_SLIP_WORD]
    whole = name_key(text)
    return tuple(dict.fromkeys(words + ([whole] if len(words) > 1 else [])))


def one_slip_from(word, name_key_):
    """`name_key_` starts with `word`, give or take one letter added, dropped, changed or two
    neighbours swapped (pure)."""
    return any(edit_distance_at_most_one(word, name_key_[:n])
               for n in (len(word) - 1, len(word), len(word) + 1) if n <= len(name_key_))


def _matched(words, key):
    """"as_typed" when `key` starts with a word, "slip" when it is one slip from one, else None."""
    if any(key.startswith(w) for w in words):
        return "as_typed"
    return "slip" if any(one_slip_from(w, key) for w in words) else None


def why_offered(words, family_key, given_key):
    """(rank, why) for a record of these name keys against the `slip_words` typed, or None when it
    is not offered (pure). Rank 0: both names matched (one of them one slip away), listed first."""
    family, given = _matched(words, family_key), _matched(words, given_key)
    if family is None and given != "slip":
        return None
    rank = 0 if family and given else 1
    if family == "slip" and given == "slip":
        return rank, BOTH_SLIP
    if given == "slip":
        return rank, GIVEN_SLIP
    return rank, FAMILY_SLIP if family == "slip" else FAMILY_AS_TYPED


@dataclass(frozen=True)
class Suggestion:
    """A record "Did you mean" offers, and why (`why_offered`): FAMILY_AS_TYPED (the rest of the
    search, the given name, is not theirs), FAMILY_SLIP, GIVEN_SLIP or BOTH_SLIP."""

    patient: Patient
    why: str


def _slip_scan(column, words):
    """The live records whose `column` (a name key) shares a word's first two letters: one range of
    that column's own index per two letters, at most SLIP_SCAN rows, as a subquery."""
    ranges = db.or_(*(like(column, prefix_pattern(w[:2])) for w in sorted({w[:2] for w in words})))
    return (db.select(Patient.id, Patient.family_name_key, Patient.given_name_key)
            .where(ranges, Patient.merged_into_id.is_(None)).limit(SLIP_SCAN).subquery())


def one_slip_away(typed, limit=MAX_SUGGESTIONS):
    """Live records (not merged) whose family or given name is one typing slip, or none, from a
    word of `typed` (`slip_words`, `why_offered`), those matching both names first, then in name
    order, at most `limit`, each a Suggestion saying why: what a search that found nobody offers.
    Two queries at most: the names of each word's first-two-letter ranges (family names' and given
    names' indexes), then the records offered."""
    words = slip_words(typed)
    if not words:
        return []
    scans = [_slip_scan(Patient.family_name_key, words), _slip_scan(Patient.given_name_key, words)]
    rows = db.session.execute(db.union(*(db.select(*scan.c) for scan in scans))).all()
    offered = {}
    for patient_id, family_key, given_key in rows:
        why = why_offered(words, family_key, given_key)
        if why is not None:
            offered[patient_id] = (why, family_key, given_key)
    first = sorted(offered, key=lambda i: (offered[i][0][0], offered[i][1], offered[i][2], i))[:limit]
    if not first:
        return []
    records = {p.id: p for p in db.session.execute(db.select(Patient).where(Patient.id.in_(first))).scalars()}
    return [Suggestion(records[i], offered[i][0][1]) for i in first]


def date_formats():
    """ISO and the clinic's usual way of writing a date (CLINIC_DATE_FORMAT)."""
    return ("%Y-%m-%d", current_app.config["CLINIC_DATE_FORMAT"])


def find_duplicates(identity, exclude_id=None):
    """Patient records (not merged ones) that may be `identity`'s person, each with its reasons:
    [(Patient, reasons)]. One query (duplicates_statement); the rule itself is
    tracker.patients.duplicates.likely_duplicates."""
    statement = duplicates_statement(identity, exclude_id)
    if statement is None:
        return []
    records = {p.id: p for p in db.session.execute(statement).scalars()}
    found = likely_duplicates(identity, [(p.id, identity_of(p)) for p in records.values()], show_phone=phones.display)
    return [(records[c.record_id], c.reasons) for c in found]


def duplicates_statement(identity, exclude_id=None):
    """The select of the live records the duplicate rule compares with `identity` (None when there
    is nothing to compare), each of its conditions read through an index: everyone born that day
    (ix_patients_date_of_birth), the same name born with day and month swapped (the same index,
    with the family name key), the MRN (ix_patients_mrn_key_exact), the same phone number and
    given name (ix_patients_phone_given). Each is as many records as share those details: never
    the register read whole."""
    conditions = []
    if identity.date_of_birth is not None:
        conditions.append(Patient.date_of_birth == identity.date_of_birth)
    swapped, family = day_month_swapped(identity.date_of_birth), name_key(identity.family_name)
    if swapped is not None and family:
        conditions.append(db.and_(Patient.date_of_birth == swapped, Patient.family_name_key == family))
    if mrn_key(identity.mrn):
        conditions.append(Patient.mrn_key == mrn_key(identity.mrn))
    phone, given = phone_key(identity.phone), name_key(identity.given_name)
    if len(phone) >= MIN_PHONE_DIGITS and given:
        conditions.append(db.and_(Patient.phone_key == phone, Patient.given_name_key == given))
    if not conditions:
        return None
    statement = db.select(Patient).filter(db.or_(*conditions), Patient.merged_into_id.is_(None))
    return statement if exclude_id is None else statement.filter(Patient.id != exclude_id)


def identity_of(patient):
    return Identity(mrn=patient.mrn, family_name=patient.family_name, given_name=patient.given_name,
                    date_of_birth=patient.date_of_birth, phone=patient.phone or "")


__all__ = ["Found", "FoundCase", "SearchRefused", "SearchTerms", "Suggestion", "duplicates_statement", "find_duplicates", "identity_of", "ids_matching",
           "one_slip_away", "one_slip_from", "parse_name_or_mrn", "why_offered", "parse_search", "search_page", "search_patients",
           "slip_words"]
