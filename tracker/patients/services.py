"""Changing patient records: registration's duplicate check, correcting details, merging two records.

Every change writes its patient-history rows and its audit row in the same transaction as the
change itself. The history keeps old and new values (it is part of the record); the audit trail
names only the fields, as everywhere.
"""
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import update

from tracker import audit
from tracker.cases import rows
from tracker.eligibility.facts import INJECTED_STATES
from tracker.eligibility.standing import EVALUABLE_STATES, over_cap, staleness
from tracker.extensions import db
from tracker.i18n import same_language
from tracker.models import (Case, ConservativeCare, DiaryEntry, Examination, OutsideInjection, Patient,
                            PatientHistory, ProcedureRecord, User)
from tracker.contact import contact_ended_words
from tracker.phones import why_no_texts
from tracker.vocab import ContactChannel, ContactEnded, Pregnancy, joints_of, may_be_pregnant, pregnancy_flag
from tracker.workflow import BEFORE_PROCEDURE, FINAL_STATES
from tracker.patients.duplicates import SAME_MRN, Identity, match_reasons
from tracker.patients.identity import mrn_key, normalise_mrn
from tracker.patients.lookup import find_duplicates, identity_of
from tracker.refusals import FieldError, Refusal, StaleEdit, check_version, each_checked
from tracker.timeutil import to_clinic, utcnow
from tracker.transactions import lock, service

# What a correction may change. The MRN, the record's identifier, is corrected apart (with a
# reason, checked against every other record's: `_correct_mrn`).
EDITABLE = ("family_name", "given_name", "date_of_birth", "sex", "phone", "email", "preferred_contact",
            "language")


class PossibleDuplicate(Refusal):
    """Records that may be the same person exist; the user must confirm. `candidates`: [(Patient, reasons)]."""

    status = 422

    def __init__(self, candidates):
        super().__init__("possible duplicate patient")
        self.candidates = candidates

    @property
    def patients(self):
        return [patient for patient, _ in self.candidates]


class RecordMerged(Refusal):
    """The record was merged into another: nothing is changed on a tombstone, and nothing added to it."""

    def __init__(self, patient, instead="correct that record instead"):
        super().__init__(f"This record was merged into {patient.merged_into.display_name} "
                         f"(MRN {patient.merged_into.mrn}) and can no longer change: {instead}.")
        self.patient = patient


def hold_live(patient, instead="use that record instead"):
    """Refuse (RecordMerged) to add to a merged record, and keep this one from being merged until
    the transaction ends. The record's row is written without a change (as the schedule locks
    are): on PostgreSQL that locks it, so a merge's claim waits for this transaction, and this
    waits for a merge under way and then finds the record merged; on SQLite it takes the write
    lock, with the same effect. So a case opened while its record is being merged moves with the
    merge or is refused, never left on the tombstone."""
    table = Patient.__table__
    held = db.session.execute(update(table).where(table.c.id == patient.id, table.c.merged_into_id.is_(None))
                              .values(version_id=table.c.version_id))
    if held.rowcount != 1:
        db.session.refresh(patient)
        raise RecordMerged(patient, instead)


class MergeRefused(Refusal):
    """These two records cannot be merged; the message says why."""


def check_mrn_free(mrn, patient_id=None):
    """Refuse an MRN another record holds (compared by its key, so a pasted invisible character,
    a full-width digit or a hyphen left out makes no new number: QA1002 is QA-1002)."""
    holders = db.session.scalars(db.select(Patient).filter(
        Patient.mrn_key == mrn_key(mrn), Patient.id != (patient_id or 0)).order_by(Patient.id).limit(5)).all()
    # A duplicate merged into this very record held the same person's number: the record kept may
    # take it (the hospital's real number, when the kept record was registered under a slip).
    existing = next((p for p in holders if patient_id is None or _kept_record(p).id != patient_id), None)
    if existing is None:
        return
    if existing.merged_into_id is not None:
        kept = _kept_record(existing)
        raise MrnTaken(kept, f"This MRN belonged to a record merged into {kept.display_name} "
                             f"(MRN {kept.mrn}). Find them and add the referral to their record.")
    raise MrnTaken(existing, f"A patient with this MRN is already registered ({existing.display_name}, "
                             f"born {existing.date_of_birth.isoformat()}). Find them and add the "
                             f"referral to their record instead.")


def _kept_record(patient):
    """The record `patient` was merged into, step by step (a record kept may itself be merged
    later), or `patient` itself."""
    while patient.merged_into_id is not None:
        patient = patient.merged_into
    return patient


class MrnTaken(FieldError):
    """The MRN is another record's: `patient` is that record (the one kept, after a merge), so the
    page can lead to it."""

    def __init__(self, patient, message):
        super().__init__("mrn", message)
        self.patient = patient


def check_duplicates(values, confirmed, patient_id=None):
    """Raise PossibleDuplicate for likely duplicates of `values` (mrn, names, date of birth) other
    than record `patient_id`, unless `confirmed`. A shared MRN is refused by `check_mrn_free`."""
    candidates = [(p, reasons) for p, reasons in find_duplicates(
        Identity(values["mrn"], values["family_name"], values["given_name"], values["date_of_birth"],
                 values.get("phone") or ""),
        exclude_id=patient_id) if SAME_MRN not in reasons]
    if candidates and not confirmed:
        raise PossibleDuplicate(candidates)


def shown(value):
    if value is None or value == "":
        return ""
    if isinstance(value, date):
        return value.isoformat()
    return getattr(value, "label", str(value))


def _history(patient_id, actor, action, **fields):
    db.session.add(PatientHistory(patient_id=patient_id, actor_id=actor.id, actor_role=actor.role,
                                  action=action, at=utcnow(), **fields))


def _verdict_standing(cases):
    """{case id: why its verdict no longer stands, or None} for the cases whose verdict decides
    what happens next (under review to scheduled)."""
    return {case.id: staleness(case) for case in cases
            if case.state in EVALUABLE_STATES and case.current_verdict is not None}


def _caps_standing(cases):
    """{case id: (injection day, cap shortfalls) or None} for the cases whose injection is given."""
    return {case.id: over_cap(case) for case in cases if case.state in INJECTED_STATES}


def _newly_over_cap(before, cases):
    """[(case, day, shortfalls)]: the given injections within their caps in `before` and over one now."""
    after = _caps_standing(cases)
    return [(case, *after[case.id]) for case in sorted(cases, key=lambda c: c.id)
            if after.get(case.id) is not None and before.get(case.id) is None]


def _newly_stale(before, cases):
    """[(case, why)]: the cases whose verdict stood in `before` and no longer does."""
    after = _verdict_standing(cases)
    return [(case, after[case.id]) for case in sorted(cases, key=lambda c: c.id)
            if case.id in after and after[case.id] is not None and before.get(case.id) is None]


# The dates already in a patient's story, each with what it is: a date of birth after one of them
# cannot be right.
_RECORD_DATES = (
    ("the referral date of case {case}", Case.referral_date, Case.id),
    ("the symptom onset of case {case}", Case.symptom_onset, Case.id),
    ("the start of a therapy of case {case}", ConservativeCare.start_date, ConservativeCare.case_id),
    ("the examination of case {case}", Examination.examined_on, Examination.case_id),
    ("the procedure of case {case}", ProcedureRecord.started_at, ProcedureRecord.case_id),
    ("a pain diary score of case {case}", DiaryEntry.felt_at, DiaryEntry.case_id),
)


def earliest_on_record(patient_id):
    """(date, what it is) of the earliest date in the patient's cases (referral, symptom onset,
    therapies, examination, procedures, diary scores), or None. Moments are read as clinic days."""
    found = []
    for what, column, case_id in _RECORD_DATES:
        row = db.session.execute(
            db.select(column, case_id).filter(column.is_not(None), case_id.in_(
                db.select(Case.id).filter(Case.patient_id == patient_id))).order_by(column).limit(1)).first()
        if row is not None:
            day = row[0] if type(row[0]) is date else to_clinic(row[0]).date()
            found.append((day, what.format(case=row[1])))
    outside = db.session.execute(db.select(db.func.min(OutsideInjection.performed_on))
                                 .filter(OutsideInjection.patient_id == patient_id)).scalar()
    if outside is not None:
        found.append((outside, "an injection given elsewhere"))
    return min(found, default=None, key=lambda item: item[0])


def check_birth_before_record(patient, born):
    """Refuse (FieldError on the date of birth) a date of birth after a date already on the record."""
    earliest = earliest_on_record(patient.id)
    if earliest is not None and born > earliest[0]:
        day, what = earliest
        raise FieldError("date_of_birth", f"This date of birth is after {what}, {day.isoformat()}, the earliest "
                                          "date on this patient's record: check the day, month and year.")


def _pregnancy_no_longer_applies(patient, actor):
    """A sex corrected to male: the pregnancy answer "possibly pregnant" or "pregnant" of each case
    whose procedure has not started (the risk screen can still change) becomes "not applicable",
    with a history row and an audit row naming the case. A case whose procedure has started keeps
    what its risk screen recorded and what the physician acknowledged. [(case, old answer)]."""
    cleared = []
    for case in sorted(patient.cases, key=lambda c: c.id):
        screen = case.risk_screen
        old = pregnancy_flag(screen)
        if case.state not in BEFORE_PROCEDURE or old is None:
            continue
        screen.pregnancy = Pregnancy.NOT_APPLICABLE
        _history(patient.id, actor, "edit", field="pregnancy", old_value=shown(old),
                 new_value=shown(Pregnancy.NOT_APPLICABLE),
                 reason=f"The risk screen of case {case.id}: the recorded sex is now male")
        audit.record(audit.Action.UPDATE, "risk_screen", screen.id,
                     summary=f"case {case.id}: changed pregnancy (the recorded sex is now male)", user=actor,
                     before={"pregnancy": old.value}, after={"pregnancy": Pregnancy.NOT_APPLICABLE.value})
        cleared.append((case, old))
    return cleared


@service
def edit_patient(patient, values, version_id, actor, confirmed_not_duplicate=False):
    """Correct a record's details (EDITABLE; the phone already in E.164; and, when `values` holds
    "mrn" with "mrn_reason", the MRN). Each field changed gets a history row with its old and new
    value (the MRN's with its reason), and one audit row names them, in one commit.

    Refuses (nothing written): RecordMerged on a tombstone, StaleEdit when the record changed
    since the form was opened, FieldError on a date of birth after a date already on the record
    (earliest_on_record) or on an MRN without a reason or another record's (check_correction, all at once),
    PossibleDuplicate when the corrected name, date of birth or phone now
    matches another record, until confirmed. A sex corrected to male sets a pregnancy answer
    that asks for the physician's decision to "not applicable" on the cases not yet started
    (_pregnancy_no_longer_applies), in the same commit. Returns (fields changed, [(case, why)] for
    each verdict that stood and no longer does: a fact one of its criteria read has changed,
    [(case, the pregnancy answer replaced)])."""
    if patient.merged_into_id is not None:
        raise RecordMerged(patient)
    check_version(patient, version_id)
    values = {**values, "email": values.get("email") or None, "phone": values.get("phone") or None}
    new_mrn = check_correction(patient, values["date_of_birth"], values.get("mrn"), values.get("mrn_reason", ""))
    identity_changed = any(values[name] != getattr(patient, name)
                           for name in ("family_name", "given_name", "date_of_birth", "phone"))
    if identity_changed:
        check_duplicates({**values, "mrn": new_mrn}, confirmed_not_duplicate, patient.id)
    fields = EDITABLE + (("mrn",) if new_mrn != patient.mrn else ())
    before = {name: getattr(patient, name) for name in fields}
    standing = _verdict_standing(patient.cases)
    for name in EDITABLE:
        setattr(patient, name, values[name])
    if new_mrn != patient.mrn:
        patient.mrn = new_mrn  # the model keeps its search key (mrn_key) in step
    # Compared after the model has cleaned the names, so retyping the same name is no change.
    changed = [name for name in fields if getattr(patient, name) != before[name]]
    if not changed:
        db.session.expire(patient)  # the same values typed again: nothing to write
        return [], [], []
    for name in changed:
        _history(patient.id, actor, "edit", field=name, old_value=shown(before[name]),
                 new_value=shown(getattr(patient, name)),
                 reason=values["mrn_reason"].strip() if name == "mrn" else "")
    cleared = _pregnancy_no_longer_applies(patient, actor) if not may_be_pregnant(patient.sex) else []
    # The optimistic lock bumps the version as this flushes; a save from elsewhere in between is
    # StaleDataError, turned into StaleEdit by @service.
    db.session.flush()
    stale = _newly_stale(standing, patient.cases)
    audit.record(audit.Action.UPDATE, "patient", patient.id, summary="changed " + ", ".join(changed), user=actor,
                 before={name: shown(before[name]) for name in changed},
                 after={name: shown(getattr(patient, name)) for name in changed})
    # The patient is written, so the worklist lines of all their cases are worked out again as
    # this commits (tracker.cases.rows).
    db.session.commit()
    return changed, stale, cleared


def check_correction(patient, born, mrn, reason):
    """The checks of a correction that read the record, all at once (FieldErrors naming each field
    refused, so the form shows every one in one answer): a date of birth after a date already on
    the record, an MRN changed without a reason or to another record's. `born` or `mrn` None (not
    typed, or refused by the form's own checks) is not checked. Returns the MRN the record will hold."""
    checks = []
    if born is not None and born != patient.date_of_birth:
        checks.append(lambda: check_birth_before_record(patient, born))
    new_mrn = normalise_mrn(mrn) if mrn else patient.mrn
    if new_mrn == normalise_mrn(patient.mrn):
        # The same number: a record stored before MRNs were normalised (0021 kept them as typed,
        # "qa 1002") keeps its spelling rather than being rewritten without a history row.
        new_mrn = patient.mrn
    else:
        checks += _mrn_correction_checks(patient, new_mrn, reason)
    each_checked(*checks)
    return new_mrn


def _mrn_correction_checks(patient, mrn, reason):
    """A typing error in the MRN is corrected with a reason, to a number no other record holds
    (compared by key, as registration does: B 7 is B-7): each a check raising FieldError next to its field."""
    def has_reason():
        if not (reason or "").strip():
            raise FieldError("mrn_reason", "Say why the medical record number changes (for example: two digits "
                                           "swapped at registration).")

    def is_free():
        try:
            check_mrn_free(mrn, patient.id)
        except MrnTaken as taken:
            other = taken.patient
            # MrnTaken: the page links to that record, and to the comparison of the two.
            raise MrnTaken(other, f"{mrn} is the medical record number of another record: {other.display_name}, "
                                  f"born {other.date_of_birth.isoformat()} (MRN {other.mrn}). If they are the "
                                  f"same person, merge the two records instead.") from None

    return [has_reason, is_free]


def merge_refusal(kept, merged):
    """Why `merged` cannot be merged into `kept`, or None."""
    if kept.id == merged.id:
        return "A record cannot be merged into itself: choose the duplicate record to merge into this one."
    for record in (kept, merged):
        if record.merged_into_id is not None:
            return (f"{record.display_name} (MRN {record.mrn}) was already merged into "
                    f"{record.merged_into.display_name} (MRN {record.merged_into.mrn}): a merged record "
                    f"is kept only as a pointer and takes part in no other merge.")
    if not match_reasons(identity_of(kept), identity_of(merged)):  # the rules read both records alike
        # A merge cannot be undone: two records are merged only when the rules that find one
        # person's records twice say they may be (the comparison shows what differs).
        return (f"These records match none of the rules by which the tracker finds one person's two records: "
                f"the same medical record number; the same date of birth with the same family name, the "
                f"names swapped, a name one letter apart, one family name part of the other, or the same given "
                f"name and a family name that sounds alike or is two letters apart; the same name with the day "
                f"and month of birth swapped; or the same phone number and given name. "
                f"{kept.display_name} was born {kept.date_of_birth.isoformat()} (MRN {kept.mrn}); "
                f"{merged.display_name} was born {merged.date_of_birth.isoformat()} (MRN {merged.mrn}). "
                f"If they are the same person, correct the wrong details on one record first (Correct "
                f"details, with the reason), then merge.")
    if _in_use(kept.account) and _in_use(merged.account):
        return ("Both records have a patient account in use, and a patient has one account: an admin must "
                "deactivate the one not in use before the records can be merged.")
    if kept.account is not None and _in_use(merged.account):
        return (f"The patient's account in use is on {merged.display_name} (MRN {merged.mrn}): keep that "
                f"record instead (the deactivated account stays with the record merged away).")
    return None


def _in_use(account):
    return account is not None and account.active


def _claim(patients_and_versions):
    """Bump both records' versions, in id order (so two merges of one pair cannot deadlock), each
    only if it is still the version the user saw and not merged: on PostgreSQL the second of two
    merges at once waits here for the first to commit, then finds the version moved and is
    refused (StaleEdit), with nothing of it written."""
    table = Patient.__table__
    for patient_id, version in sorted(patients_and_versions):
        claimed = db.session.execute(update(table).where(
            table.c.id == patient_id, table.c.version_id == int(version), table.c.merged_into_id.is_(None))
            .values(version_id=table.c.version_id + 1))
        if claimed.rowcount != 1:
            raise StaleEdit
    db.session.expire_all()


def default_kept(one, other):
    """Which of two records of one person a merge keeps unless the coordinator chooses: the one
    that already holds the patient's care (a case, so a booking or a history, or the patient
    account) over one that holds neither (a record made again at a later referral); when both have
    an account, the one whose account is in use; between two alike, the older, the number the
    clinic has known longest."""
    both_accounts = one.account is not None and other.account is not None

    def rank(patient):
        # Two accounts (one deactivated, or the merge is refused): the one in use stays in use.
        return (not (patient.cases or patient.account is not None), both_accounts and not _in_use(patient.account),
                patient.created_at, patient.id)
    return min((one, other), key=rank)


# How the tracker reaches the patient: a merge never loses these. Where only one record holds a
# value it is carried over; where both do and they differ, the coordinator chooses.
CONTACT_FIELDS = ("language", "phone", "email", "preferred_contact")
KEEP, TAKE = "kept", "merged"


def _filled(value):
    return value not in (None, "")


def contact_choices(kept, merged):
    """{field: default choice} for each contact field both records fill differently: the kept
    record's value, but for the preferred contact the other's when only it can be honoured with
    the details the merged record will hold (a preference for email with no address at all)."""
    differing = {name: KEEP for name in CONTACT_FIELDS
                 if _filled(getattr(kept, name)) and _filled(getattr(merged, name))
                 and not _same(name, getattr(kept, name), getattr(merged, name))}
    if "preferred_contact" in differing:
        values = merged_contact(kept, merged, differing)
        if not _reachable(kept.preferred_contact, values) and _reachable(merged.preferred_contact, values):
            differing["preferred_contact"] = TAKE
    return differing


def _same(name, one, other):
    """Two values of a contact field that say the same: "español" and "Spanish" are one language."""
    return same_language(one, other) if name == "language" else one == other


def merged_contact(kept, merged, choices):
    """The contact details the record kept holds after the merge: its own, each empty one filled
    from the other record, each chosen one (`choices`: {field: KEEP or TAKE}) taken from it."""
    values = {}
    for name in CONTACT_FIELDS:
        mine, theirs = getattr(kept, name), getattr(merged, name)
        take = not _filled(mine) or (_filled(theirs) and choices.get(name) == TAKE)
        values[name] = theirs if take else mine
    return values


def carried_over(kept, merged):
    """The contact fields only the merged record fills: the merge carries them over unasked."""
    values = merged_contact(kept, merged, {})
    return [name for name in CONTACT_FIELDS if values[name] != getattr(kept, name)]


def _reachable(channel, values):
    if channel == ContactChannel.EMAIL:
        return _filled(values["email"])
    if channel == ContactChannel.SMS:
        return why_no_texts(values["phone"]) is None
    return True


def open_case_ids(patient):
    """The ids of the patient's cases not closed or cancelled, in order."""
    return sorted(c.id for c in patient.cases if c.state not in FINAL_STATES)


def overlapping_open_cases(patient, moved_ids):
    """[(case, case)]: pairs of the patient's open cases about the same joint (a bilateral case
    concerns both), one of them moved in by a merge: two records, each with its own referral, may
    have opened the same episode twice."""
    open_cases = sorted((c for c in patient.cases if c.state not in FINAL_STATES), key=lambda c: c.id)
    return [(a, b) for i, a in enumerate(open_cases) for b in open_cases[i + 1:]
            if (a.id in moved_ids) != (b.id in moved_ids) and set(joints_of(a.side)) & set(joints_of(b.side))]


@dataclass
class Merged:
    """What a merge did that the coordinator must know: verdicts no longer standing [(case, why)],
    open cases about the same joint [(case, case)], the contact details changed on the record kept,
    and injections already given that are over a cap once the merged record's count [(case, day,
    cap shortfalls)]: their verdicts cannot be evaluated again, so this is said instead."""

    stale: list = field(default_factory=list)
    overlapping: list = field(default_factory=list)
    contact_changed: list = field(default_factory=list)
    over_cap: list = field(default_factory=list)
    # The ids of the merged record's cases still open, now on the record kept: left open for the
    # coordinator to review (one opened on the duplicate by mistake is cancelled on its page).
    moved_open: list = field(default_factory=list)


@service
def merge_patients(kept, merged, reason, actor, kept_version, merged_version, contact=None):
    """Merge record `merged` into `kept`: its cases (with their diary links) and its account move
    to `kept`, it stays as a tombstone pointing at `kept`, and both histories and the audit trail
    say so, in one transaction.

    The record kept keeps its contact details (CONTACT_FIELDS) where it has them; each one it
    lacks is carried over from the other record, and where both have one and they differ,
    `contact` ({field: KEEP or TAKE}) says which (the record kept's, unless chosen). Each detail
    changed is in the kept record's history with its old and new value.

    Returns Merged: the cases whose verdict stood and no longer does (the caps and the spacing
    now count the other record's injections too), each with the criterion that moved; pairs of
    open cases now about the same joint; the contact details changed; the merged record's open
    cases (moved, never cancelled: the coordinator reviews them).

    Refuses (nothing written): MergeRefused (the reason), FieldError("reason") without a
    reason, FieldError on the preferred contact's choice when the details chosen cannot reach the
    patient by it (email without an address, texts without a mobile number), StaleEdit (either record changed since the comparison was opened, or a merge of
    the same pair by someone else won)."""
    reason = (reason or "").strip()
    refusal = merge_refusal(kept, merged)
    if refusal:
        raise MergeRefused(refusal)
    if not reason:
        raise FieldError("reason", "Say why these records are the same person (what you checked).")
    check_version(kept, kept_version)
    check_version(merged, merged_version)
    choices = {name: choice for name, choice in (contact or {}).items() if choice in (KEEP, TAKE)}
    contact_after = merged_contact(kept, merged, choices)
    if "preferred_contact" in contact_choices(kept, merged) and not _reachable(
            contact_after["preferred_contact"], contact_after):
        raise FieldError("preferred_contact_from", "The patient cannot be reached by this preferred contact "
                         "with the details kept: choose the other, or correct the record after the merge.")
    kept_id, merged_id = kept.id, merged.id
    _claim([(kept_id, kept_version), (merged_id, merged_version)])
    kept, merged = db.session.get(Patient, kept_id), db.session.get(Patient, merged_id)
    refusal = merge_refusal(kept, merged)  # read again under the claim: an account linked meanwhile
    if refusal:
        raise MergeRefused(refusal)
    standing = _verdict_standing([*kept.cases, *merged.cases])
    caps_before = _caps_standing([*kept.cases, *merged.cases])

    moved_cases = [c.id for c in merged.cases]
    moved_open = open_case_ids(merged)
    # An account moves with its record's care unless the record kept has one (deactivated: it
    # then stays with the record merged away, signing nobody in).
    account_moved = merged.account is not None and kept.account is None
    # Moved in SQL, not through the ORM: a case's own version is not bumped, so nobody working on
    # one of these cases loses what they are typing to a merge of the patient record.
    db.session.execute(update(Case.__table__).where(Case.__table__.c.patient_id == merged_id)
                       .values(patient_id=kept_id))
    # Injections given elsewhere are the person's: they count on the record kept.
    db.session.execute(update(OutsideInjection.__table__).where(OutsideInjection.__table__.c.patient_id == merged_id)
                       .values(patient_id=kept_id))
    if account_moved:
        db.session.execute(update(User.__table__).where(User.__table__.c.patient_id == merged_id)
                           .values(patient_id=kept_id))
    # Records merged into this one earlier now point at the record kept, so no link goes two hops.
    db.session.execute(update(Patient.__table__).where(Patient.__table__.c.merged_into_id == merged_id)
                       .values(merged_into_id=kept_id))
    db.session.execute(update(Patient.__table__).where(Patient.__table__.c.id == merged_id)
                       .values(merged_into_id=kept_id, merged_at=utcnow()))
    rows.follow_patients(db.session, {kept_id, merged_id})
    db.session.expire_all()
    kept = db.session.get(Patient, kept_id)
    contact_before = {name: getattr(kept, name) for name in CONTACT_FIELDS}
    contact_changed = [name for name in CONTACT_FIELDS if contact_after[name] != contact_before[name]]
    for name in contact_changed:
        setattr(kept, name, contact_after[name])
        _history(kept_id, actor, "edit", field=name, old_value=shown(contact_before[name]),
                 new_value=shown(contact_after[name]), other_patient_id=merged_id, reason=reason)
    _carry_contact_end(kept, db.session.get(Patient, merged_id), account_moved, actor, reason)

    what = _moved_words(moved_cases, account_moved, contact_changed)
    _history(kept_id, actor, "merged_in", other_patient_id=merged_id, reason=reason, new_value=what)
    _history(merged_id, actor, "merged_away", other_patient_id=kept_id, reason=reason, new_value=what)
    stale = _newly_stale(standing, kept.cases)
    over = _newly_over_cap(caps_before, kept.cases)
    overlapping = overlapping_open_cases(kept, set(moved_cases))
    audit.record(audit.Action.UPDATE, "patient", kept_id,
                 summary=f"merged patient {merged_id} into this record ({what})", user=actor,
                 **({"before": {name: shown(contact_before[name]) for name in contact_changed},
                     "after": {name: shown(contact_after[name]) for name in contact_changed}}
                    if contact_changed else {}))
    audit.record(audit.Action.UPDATE, "patient", merged_id,
                 summary=f"merged into patient {kept_id} ({what})", user=actor)
    db.session.commit()
    return Merged(stale, overlapping, contact_changed, over, moved_open)


# --- injections given elsewhere -------------------------------------------------------------


def _reason(reason):
    reason = (reason or "").strip()
    if not reason:
        raise FieldError("reason", "Say why (what was wrong, or where the correct facts come from).")
    return reason


@service
def add_outside_injection(patient, values, actor):
    """Record an injection given elsewhere on the patient's record (with its audit row, in one
    commit). It counts for every case of the patient at once: returns the row and [(case, why)]
    for each verdict that stood and no longer does. Refuses RecordMerged on a tombstone."""
    hold_live(patient, "record it there instead")
    # The same form sent twice (a double click, a browser's retry) records it once: the check and
    # the row it allows are one step under the patient's lock.
    lock(f"patient:{patient.id}")
    if db.session.execute(db.select(OutsideInjection.id).filter_by(patient_id=patient.id, **values)).first():
        raise Refusal("This injection given elsewhere is already recorded as typed: it was not recorded again.")
    standing = _verdict_standing(patient.cases)
    row = audit.created(OutsideInjection(patient=patient, created_by_id=actor.id, **values), "outside_injection",
                        f"patient {patient.id}: injection given elsewhere recorded", user=actor)
    return row, _commit_saying_stale(standing, patient)


@service
def correct_outside_injection(row, values, reason, version_id, actor):
    """Correct an injection given elsewhere, with a reason (FieldError without one); StaleEdit when
    it changed since the form was opened. Returns [(case, why)] as `add_outside_injection`."""
    reason = _reason(reason)
    hold_live(row.patient, "correct it there instead")
    check_version(row, version_id)
    standing = _verdict_standing(row.patient.cases)
    before = {name: getattr(row, name) for name in values}
    for name, value in values.items():
        setattr(row, name, value)
    audit.record(audit.Action.UPDATE, "outside_injection", row.id,
                 summary=f"patient {row.patient_id}: injection given elsewhere {audit.changed_fields(before, values)}; "
                         f"reason: {reason}", user=actor, before=before, after=values)
    return _commit_saying_stale(standing, row.patient)


@service
def remove_outside_injection(row, reason, version_id, actor):
    """Remove an injection given elsewhere (recorded in error), with a reason; the audit row keeps
    what it said. Returns [(case, why)] as `add_outside_injection`."""
    reason = _reason(reason)
    patient = row.patient
    hold_live(patient, "remove it there instead")
    check_version(row, version_id)
    standing = _verdict_standing(patient.cases)
    kept = {name: getattr(row, name) for name in OUTSIDE_FIELDS}
    audit.record(audit.Action.UPDATE, "outside_injection", row.id,
                 summary=f"patient {patient.id}: injection given elsewhere removed; reason: {reason}", user=actor,
                 before=kept, after=dict.fromkeys(OUTSIDE_FIELDS))
    db.session.delete(row)
    db.session.flush()
    db.session.expire(patient, ["outside_injections"])
    return _commit_saying_stale(standing, patient)


OUTSIDE_FIELDS = ("performed_on", "side", "indication", "place", "relief_percent", "relief_days", "source")


def _commit_saying_stale(standing, patient):
    """Commit (the worklist lines of the patient's cases are worked out again as it does,
    tracker.cases.rows) and return the verdicts that stood and no longer do."""
    db.session.flush()
    stale = _newly_stale(standing, patient.cases)
    db.session.commit()
    return stale


def _moved_words(case_ids, account_moved, contact_changed=()):
    parts = [f"{len(case_ids)} case{'' if len(case_ids) == 1 else 's'} moved"
             + (f" ({', '.join(str(i) for i in case_ids)})" if case_ids else "")]
    if account_moved:
        parts.append("the patient account moved")
    if contact_changed:
        parts.append("taken from it: " + ", ".join(name.replace("_", " ") for name in contact_changed))
    return "; ".join(parts)


# --- no longer reachable ----------------------------------------------------------------------

@service
def end_contact(patient, why, died_on, note, version_id, actor):
    """Record that the clinic no longer reaches the patient: died on `died_on`, or moved away or
    left its care (`note` says what is known). From then on nothing is sent to them
    (tracker.contact), and a death also ends their diary links (diary.services.link_ends_at) and
    deactivates their patient account (signed out everywhere). Their cases stay as they are.
    Refuses on a merged record or a stale form (a record marked, or its mark undone, since the form
    was opened has another version)."""
    if patient.merged_into_id is not None:
        raise RecordMerged(patient)
    check_version(patient, version_id)
    # Who and when first: reading the actor's name may load it, and the flush that load makes must
    # not write the mark without them (a CHECK constraint ties them together).
    patient.contact_ended_at, patient.contact_ended_by = utcnow(), actor.name
    patient.contact_ended, patient.contact_ended_on = why, died_on if why == ContactEnded.DIED else None
    patient.contact_ended_note = (note or "").strip() or None
    _close_account_if_died(patient)
    words = contact_ended_words(patient)
    _history(patient.id, actor, "contact_ended", field="reachable", old_value="yes", new_value=words)
    audit.record(audit.Action.UPDATE, "patient", patient.id, user=actor,
                 summary=f"recorded as no longer reachable ({why.value})"
                 + ("; patient account deactivated" if patient.contact_ended_closed_account else ""))
    db.session.commit()


def _close_account_if_died(patient):
    """A death deactivates the patient's account (signed out everywhere), remembered so that undoing
    the mark reactivates it."""
    account = patient.account
    if patient.died and account is not None and account.active:
        account.active = False
        account.rotate_session_token()
        patient.contact_ended_closed_account = True


CONTACT_ENDED_FIELDS = ("contact_ended", "contact_ended_on", "contact_ended_note", "contact_ended_at", "contact_ended_by")


def _carry_contact_end(kept, merged, account_moved, actor, reason):
    """A death (or leaving) recorded on either record is the person's: the record kept takes the
    merged record's when it says nothing itself (with the account it deactivated, when that account
    came along), and a death deactivates the account the record kept now has."""
    if kept.contact_ended is None and merged.contact_ended is not None:
        for name in CONTACT_ENDED_FIELDS:
            setattr(kept, name, getattr(merged, name))
        kept.contact_ended_closed_account = merged.contact_ended_closed_account and account_moved
        _history(kept.id, actor, "contact_ended", field="reachable", old_value="yes",
                 new_value=contact_ended_words(kept), other_patient_id=merged.id, reason=reason)
    _close_account_if_died(kept)


@service
def undo_end_contact(patient, reason, version_id, actor):
    """Undo `end_contact` (the wrong patient, or the patient is back): messages go to the patient
    again, and an account the mark deactivated is active again. The history keeps both."""
    check_version(patient, version_id)
    if patient.contact_ended is None:
        raise StaleEdit
    words = contact_ended_words(patient)
    reactivated = patient.contact_ended_closed_account and patient.account is not None
    if reactivated:
        patient.account.active = True
    patient.contact_ended = patient.contact_ended_on = patient.contact_ended_note = None
    patient.contact_ended_at = patient.contact_ended_by = None
    patient.contact_ended_closed_account = False
    _history(patient.id, actor, "contact_resumed", field="reachable", old_value=words, new_value="yes",
             reason=reason.strip())
    audit.record(audit.Action.UPDATE, "patient", patient.id, user=actor,
                 summary="no longer reachable undone" + ("; patient account reactivated" if reactivated else ""))
    db.session.commit()
    return reactivated
