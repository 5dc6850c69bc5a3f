"""Changing patient records: registration's duplicate check, correcting details, merging two records.

Every change writes its patient-history rows and its audit row in the same transaction as the
change itself. The history keeps old and new values (it is part of the record); the audit trail
names only the fields, as everywhere.
"""
from datetime import date

from sqlalchemy import update

from tracker import audit
from tracker.cases.services import TransitionRefused
from tracker.eligibility.standing import staleness
from tracker.extensions import db
from tracker.models import Case, Patient, PatientHistory, User
from tracker.patients.duplicates import SAME_MRN, Identity
from tracker.patients.identity import normalise_mrn
from tracker.patients.lookup import find_duplicates
from tracker.timeutil import utcnow
from tracker.refusals import FieldError, Refusal, StaleEdit

# What a correction may change; the MRN is the record's identifier and stays.
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


class RecordMerged(Exception):
    """The record was merged into another: nothing is changed on a tombstone."""

    def __init__(self, patient):
        super().__init__(f"This record was merged into {patient.merged_into.display_name} "
                         f"(MRN {patient.merged_into.mrn}): change that record instead.")
        self.patient = patient


def check_mrn_free(mrn, patient_id=None):
    """Refuse an MRN another record holds (compared in its normal form, so a pasted invisible
    character or a full-width digit makes no new number)."""
    existing = db.session.execute(db.select(Patient).filter(
        Patient.mrn_key == normalise_mrn(mrn), Patient.id != (patient_id or 0)).limit(1)).scalar()
    if existing is None:
        return
    if existing.merged_into_id is not None:
        kept = existing.merged_into
        raise FieldError("mrn", f"This MRN belonged to a record merged into {kept.display_name} "
                                f"(MRN {kept.mrn}). Find them and add the referral to their record.")
    raise FieldError("mrn", f"A patient with this MRN is already registered ({existing.display_name}, "
                            f"born {existing.date_of_birth.isoformat()}). Find them and add the "
                            f"referral to their record instead.")


def check_duplicates(values, confirmed, patient_id=None):
    """Raise PossibleDuplicate for likely duplicates of `values` (mrn, names, date of birth) other
    than record `patient_id`, unless `confirmed`. A shared MRN is refused by `check_mrn_free`."""
    candidates = [(p, reasons) for p, reasons in find_duplicates(
        Identity(values["mrn"], values["family_name"], values["given_name"], values["date_of_birth"]),
        exclude_id=patient_id) if SAME_MRN not in reasons]
    if candidates and not confirmed:
        raise PossibleDuplicate(candidates)


def _shown(value):
    if value is None or value == "":
        return ""
    if isinstance(value, date):
        return value.isoformat()
    return getattr(value, "label", str(value))


def _history(patient, actor, action, **fields):
    db.session.add(PatientHistory(patient_id=patient.id, actor_id=actor.id, actor_role=actor.role,
                                  action=action, at=utcnow(), **fields))


def edit_patient(patient, values, version_id, actor, confirmed_not_duplicate=False):
    """Correct a record's details. Raises RecordMerged, StaleEdit or PossibleDuplicate with nothing
    written. Returns the names of the fields changed."""
    if patient.merged_into_id is not None:
        raise RecordMerged(patient)
    if str(patient.version_id) != str(version_id):
        raise StaleEdit
    identity_changed = any(values[name] != getattr(patient, name)
                           for name in ("family_name", "given_name", "date_of_birth"))
    if identity_changed:
        check_duplicates({**values, "mrn": patient.mrn}, confirmed_not_duplicate, patient.id)
    before = {name: getattr(patient, name) for name in EDITABLE}
    for name in EDITABLE:
        setattr(patient, name, values[name])
    # Compared after the model has cleaned the names, so retyping the same name is no change.
    changed = [name for name in EDITABLE if getattr(patient, name) != before[name]]
    for name in changed:
        _history(patient, actor, "edit", field=name, old_value=_shown(before[name]),
                 new_value=_shown(getattr(patient, name)))
    if changed:
        audit.record(audit.Action.UPDATE, "patient", patient.id, summary="changed " + ", ".join(changed),
                     user=actor)
    db.session.commit()
    return changed


def merge_refusal(kept, merged):
    """Why `merged` cannot be merged into `kept`, or None."""
    if kept.id == merged.id:
        return "A record cannot be merged into itself: choose the duplicate record."
    for record in (kept, merged):
        if record.merged_into_id is not None:
            return (f"{record.display_name} (MRN {record.mrn}) was already merged into "
                    f"{record.merged_into.display_name} (MRN {record.merged_into.mrn}).")
    if kept.account is not None and merged.account is not None:
        return ("Both records have a patient account, and a patient has one account: an admin must "
                "deactivate the one not in use and unlink it before the records can be merged.")
    return None


def _claim(patients_and_versions):
    """Bump both records' versions, in id order (so two merges of one pair cannot deadlock), each
    only if it is still the version the user saw: a record changed or merged meanwhile is StaleEdit."""
    table = Patient.__table__
    for patient, version in sorted(patients_and_versions, key=lambda pv: pv[0].id):
        claimed = db.session.execute(update(table).where(
            table.c.id == patient.id, table.c.version_id == int(version), table.c.merged_into_id.is_(None))
            .values(version_id=table.c.version_id + 1))
        if claimed.rowcount != 1:
            raise StaleEdit
    db.session.expire_all()


def merge_patients(kept, merged, reason, actor, kept_version, merged_version):
    """Merge record `merged` into `kept`: its cases (with their diary links) and its account move
    to `kept`, it stays as a tombstone pointing at `kept`, and both histories and the audit trail
    say so, in one transaction. Returns the cases of `kept` whose verdict no longer stands
    ([(case, why)]): the caps now count the other record's injections too.

    Raises TransitionRefused (with the reason), StaleEdit (either record changed since the page
    was opened, or a merge of the same pair by someone else won) with nothing written."""
    reason = (reason or "").strip()
    refusal = merge_refusal(kept, merged)
    if refusal:
        raise TransitionRefused(refusal)
    if str(kept.version_id) != str(kept_version) or str(merged.version_id) != str(merged_version):
        raise StaleEdit
    kept_id, merged_id = kept.id, merged.id
    _claim([(kept, kept_version), (merged, merged_version)])
    kept, merged = db.session.get(Patient, kept_id), db.session.get(Patient, merged_id)
    refusal = merge_refusal(kept, merged)  # read again under the claim
    if refusal:
        raise TransitionRefused(refusal)

    moved_cases = [c.id for c in merged.cases]
    db.session.execute(update(Case.__table__).where(Case.__table__.c.patient_id == merged_id)
                       .values(patient_id=kept_id))
    account_moved = merged.account is not None
    if account_moved:
        db.session.execute(update(User.__table__).where(User.__table__.c.patient_id == merged_id)
                           .values(patient_id=kept_id))
    # Records merged into this one earlier now point at the record kept, so no link goes two hops.
    db.session.execute(update(Patient.__table__).where(Patient.__table__.c.merged_into_id == merged_id)
                       .values(merged_into_id=kept_id))
    now = utcnow()
    db.session.execute(update(Patient.__table__).where(Patient.__table__.c.id == merged_id)
                       .values(merged_into_id=kept_id, merged_at=now))
    db.session.expire_all()
    kept = db.session.get(Patient, kept_id)

    what = _moved_words(moved_cases, account_moved)
    _history(kept, actor, "merged_in", other_patient_id=merged_id, reason=reason, new_value=what)
    _history(db.session.get(Patient, merged_id), actor, "merged_away", other_patient_id=kept_id, reason=reason,
             new_value=what)
    stale = [(case, why) for case in kept.cases if case.current_verdict is not None
             and case.state.value in ("eligible", "not_eligible", "scheduled")
             and (why := staleness(case)) is not None]
    audit.record(audit.Action.UPDATE, "patient", kept_id,
                 summary=f"merged patient {merged_id} into this record ({what})", user=actor)
    audit.record(audit.Action.UPDATE, "patient", merged_id,
                 summary=f"merged into patient {kept_id} ({what})", user=actor)
    db.session.commit()
    return stale


def _moved_words(case_ids, account_moved):
    parts = [f"{len(case_ids)} case{'' if len(case_ids) == 1 else 's'} moved"
             + (f" ({', '.join(str(i) for i in case_ids)})" if case_ids else "")]
    if account_moved:
        parts.append("the patient account moved")
    return "; ".join(parts)
