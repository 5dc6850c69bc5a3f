"""Managing accounts and the clinic's contact details. Every change writes its audit row in the same
transaction."""
import hashlib
from datetime import datetime, time, timedelta

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from tracker import audit
from tracker.api import tokens
from tracker.auth.services import normalise_email, set_password
from tracker.clinic import check_settings_version, tidy_address
from tracker.extensions import db
from tracker.models import (Appointment, AuditEvent, Case, ClinicSettings, Patient, ProcedureRecord, ProcedureStatus,
                            Room, User)
from tracker.patients.identity import account_name_matches, mrn_key
from tracker.patients.lookup import ids_matching, parse_name_or_mrn
from tracker.policy import DEFAULT_PROFILE_CODE
from tracker.procedures.rules.billing import BillingSetting
from tracker.refusals import FieldError, StaleEdit
from tracker.roles import Role
from tracker.scheduling.resources import count_ahead
from tracker.search import contains
from tracker.timeutil import clinic_zone
from tracker.transactions import service, undo_refused_write
from tracker.workflow import FINAL_STATES

ADMIN_FIELDS_SHOWN = ("role", "active")


def _patient_for(role, mrn, user_id=None):
    if Role(role) != Role.PATIENT:
        return None
    found = db.session.execute(
        db.select(Patient).filter_by(mrn_key=mrn_key(mrn), merged_into_id=None).limit(2)
    ).scalars().all()
    if len(found) > 1:
        raise FieldError("patient_mrn", "Two patient records share this medical record number. A "
                                        "coordinator must merge them first.")
    patient = found[0] if found else None
    if patient is None:
        raise FieldError("patient_mrn", "No patient has this medical record number.")
    if patient.account is not None and patient.account.id != user_id:
        raise FieldError("patient_mrn", "This patient already has an account.")
    return patient


class AccountNameDiffers(FieldError):
    """The account's name is not the name on the record its MRN found: an MRN typed wrong would
    give a stranger this patient's record. The admin confirms the record (its name and date of
    birth are shown) or corrects the number or the name."""

    def __init__(self, patient, account_name):
        super().__init__("patient_mrn", f"{patient.mrn} is the record of {patient.display_name}, born "
                                        f"{patient.date_of_birth.isoformat()}, not of “{account_name}”.")
        self.patient, self.account_name = patient, account_name


class LeavingUnconfirmed(FieldError):
    """Taking a physician off the schedule (deactivating them, or giving them another role) while
    a procedure of theirs is in progress signs them out in the middle of its checklist, and taking
    off the last bookable physician leaves the clinic with nobody to book: refused next to the
    field that does it until the admin ticks the confirmation for what `key` names (a tick given
    for one state of things does not carry over to another). Counts, times and rooms only: the
    admin may not see a patient."""

    def __init__(self, field, in_progress, none_left, key):
        super().__init__(field, "confirm taking this physician off the schedule")
        self.in_progress, self.none_left, self.key = in_progress, none_left, key


def leaving_warnings(physician):
    """What taking `physician` off the schedule would cut short, in two queries: their procedures
    in progress as [(started_at, room name)], oldest first, and whether no other physician could
    be booked; with a key naming exactly this state."""
    in_progress = [tuple(row) for row in db.session.execute(
        db.select(ProcedureRecord.id, ProcedureRecord.started_at, Room.name)
        .outerjoin(Appointment, Appointment.id == ProcedureRecord.appointment_id)
        .outerjoin(Room, Room.id == Appointment.room_id)
        .where(ProcedureRecord.status == ProcedureStatus.IN_PROGRESS,
               ProcedureRecord.started_by_id == physician.id)
        .order_by(ProcedureRecord.started_at, ProcedureRecord.id))]
    others = db.session.scalar(db.select(db.func.count(User.id)).where(
        User.active.is_(True), User.role == Role.PHYSICIAN, User.id != physician.id))
    key = hashlib.sha256(repr(([r[0] for r in in_progress], others == 0)).encode()).hexdigest()[:16]
    return [(started, room) for _, started, room in in_progress], others == 0, key


def _check_leaving(user, role, active, confirmed_leaving):
    """Refuse (LeavingUnconfirmed) taking a physician off the schedule mid-procedure or as the last
    bookable one, unless the admin confirmed that very state."""
    if not user.bookable or (active and Role(role) == Role.PHYSICIAN):
        return ""
    in_progress, none_left, key = leaving_warnings(user)
    if not (in_progress or none_left):
        return ""
    if confirmed_leaving != key:
        raise LeavingUnconfirmed("active" if not active else "role", in_progress, none_left, key)
    return "; the admin confirmed it" + (f" with {len(in_progress)} procedure(s) of theirs in progress"
                                          if in_progress else "") + (
        " and no other physician to book" if in_progress and none_left else
        " with no other physician to book" if none_left else "")


def _confirmed_for(patient, name, confirmed_patient_id, linked=None):
    """Whether the account may be linked to `patient` under `name`: the names agree, the link and
    name are as saved (`linked`: the account's patient and name now), or the admin ticked "This
    account is for <the record>" for this very record. Refused (AccountNameDiffers) otherwise;
    True when the admin's confirmation was needed."""
    if patient is None or linked == (patient.id, name) or account_name_matches(
            name, patient.family_name, patient.given_name):
        return False
    if confirmed_patient_id != patient.id:
        raise AccountNameDiffers(patient, name)
    return True


CONFIRMED = "; the admin confirmed the account is for %s although the names differ"


def _created_summary(patient, confirmed):
    return f"created patient account for patient {patient.id}" + (CONFIRMED % "that record" if confirmed else "")


def _confirms(summary, patient):
    """Whether an account's audit row says an admin confirmed it for `patient` (created for it, or
    linked or renamed, with the box ticked)."""
    return summary == _created_summary(patient, True) or summary.endswith(CONFIRMED % f"patient {patient.id}")


def names_differing(accounts):
    """{account id: patient} for each of `accounts` whose name is not the name on the patient
    record it is linked to, compared as creating or linking the account compares them, and which
    no admin confirmed for that record: accounts linked before that check refused such a link, so
    that an admin can correct them. One query, for the confirmations, and only when an account on
    the page differs (however many)."""
    differing = {a.id: a.patient for a in accounts if a.patient is not None
                 and not account_name_matches(a.name, a.patient.family_name, a.patient.given_name)}
    if differing:
        confirmations = db.session.execute(db.select(AuditEvent.object_id, AuditEvent.summary).filter(
            AuditEvent.object_type == "user", AuditEvent.object_id.in_([str(i) for i in differing]),
            AuditEvent.summary.contains(CONFIRMED.split("%s")[0]))).all()
        for object_id, summary in confirmations:
            patient = differing.get(int(object_id))
            if patient is not None and _confirms(summary, patient):
                del differing[int(object_id)]
    return differing


EMAIL_TAKEN = "Another account already uses this email address."


def email_in_use(email, user_id=None):
    """Whether an account other than `user_id` signs in with `email` (however it is capitalised)."""
    existing = db.session.execute(db.select(User).filter_by(email=normalise_email(email))).scalar_one_or_none()
    return existing is not None and existing.id != user_id


def _check_email_free(email, user_id=None):
    if email_in_use(email, user_id):
        raise FieldError("email", EMAIL_TAKEN)


def _flush_or_explain(email, role, patient_mrn, user_id=None):
    """Write the account. If another admin took its email, or linked its patient, after the checks
    ran, the database refuses it: roll back and let the checks, which now see that, explain."""
    try:
        db.session.flush()
    except IntegrityError:
        undo_refused_write()
        _check_email_free(email, user_id)
        _patient_for(role, patient_mrn, user_id)
        raise


@service
def create_user(email, name, role, password, patient_mrn=None, actor=None, confirmed_patient_id=None):
    """`confirmed_patient_id`: the record the admin ticked "This account is for …" for, if any."""
    email = normalise_email(email)
    _check_email_free(email)
    patient = _patient_for(role, patient_mrn)
    confirmed = _confirmed_for(patient, name.strip(), confirmed_patient_id)
    user = User(email=email, name=name.strip(), role=Role(role), patient=patient, password_hash="")
    set_password(user, password)
    db.session.add(user)
    _flush_or_explain(email, role, patient_mrn)
    summary = _created_summary(patient, confirmed) if patient else f"created {Role(role).value} account"
    audit.record(audit.Action.CREATE, "user", user.id, summary=summary, user=actor)
    db.session.commit()
    return user


def edit_stamp(user):
    """The account as an admin sees it in the edit form. Sign-ins and password changes also
    bump the row's version, but they are no reason to refuse an admin's edit."""
    shown = (user.email, user.name, user.role.value, user.active, user.patient_id)
    return hashlib.sha256(repr(shown).encode()).hexdigest()[:16]


@service
def update_user(user, stamp, email, name, role, active, patient_mrn, actor, confirmed_patient_id=None,
                confirmed_leaving=None):
    """Save an admin's edit, or raise StaleEdit if the account changed since `stamp` was taken.
    `confirmed_patient_id` as for `create_user`; `confirmed_leaving`: the key of the warnings the
    admin ticked "Take them off the schedule anyway" for (LeavingUnconfirmed), if any. Returns the
    account's API tokens revoked because it was deactivated or given a role no token acts for."""
    if stamp != edit_stamp(user):
        raise StaleEdit
    email = normalise_email(email)
    _check_email_free(email, user.id)
    if user.id == actor.id and (Role(role) != Role.ADMIN or not active):
        raise FieldError("role" if Role(role) != Role.ADMIN else "active",
                         "You cannot remove your own admin access; ask another admin.")
    patient = _patient_for(role, patient_mrn, user.id)
    confirmed = _confirmed_for(patient, name.strip(), confirmed_patient_id, linked=(user.patient_id, user.name))
    leaving_confirmed = _check_leaving(user, role, active, confirmed_leaving)
    before = {"email": user.email, "name": user.name, "role": user.role, "active": user.active,
              "patient": user.patient_id}
    user.email, user.name, user.role, user.active = email, name.strip(), Role(role), active
    user.patient = patient
    after = {"email": user.email, "name": user.name, "role": user.role, "active": user.active,
             "patient": patient.id if patient else None}
    if before["active"] and not active or before["role"] != user.role:
        user.rotate_session_token()  # a deactivated or re-roled account is signed out everywhere
    revoked = tokens.revoke_unusable(user, actor)
    _flush_or_explain(email, role, patient_mrn, user.id)
    audit.record(audit.Action.UPDATE, "user", user.id,
                 summary=audit.changed_fields(before, after, ADMIN_FIELDS_SHOWN)
                 + (CONFIRMED % f"patient {patient.id}" if confirmed else "") + leaving_confirmed, user=actor,
                 before=before, after=after)
    db.session.commit()
    return revoked


def left_to(physician):
    """What a physician taken off the schedule (deactivated, or given another role) still has:
    how many appointments to come and when the first starts, and how many open cases are assigned
    to them; counts only, as the admin who reads them may not open a patient's appointment or
    case. Both stay theirs until a coordinator moves or reassigns them."""
    open_cases = db.session.scalar(db.select(db.func.count(Case.id)).where(
        Case.physician_id == physician.id, Case.state.not_in(FINAL_STATES)))
    return (*count_ahead(physician=physician), open_cases)


@service
def reset_password(user, new_password, actor):
    set_password(user, new_password)
    audit.record(audit.Action.UPDATE, "user", user.id, summary="password reset by admin", user=actor)
    db.session.commit()


@service
def set_clinic_contact(phone, address, actor, version_id=None):
    """The phone number (E.164, or "" for none) and address patients are given (tracker/clinic.py).
    `version_id`: the settings' version the form was opened on (StaleEdit when another admin saved
    them since)."""
    settings = db.session.get(ClinicSettings, 1)
    check_settings_version(settings, version_id)
    settings = settings or ClinicSettings(id=1, default_profile_code=DEFAULT_PROFILE_CODE)
    address = tidy_address(address)
    before = {"phone": settings.contact_phone or "", "address": tidy_address(settings.contact_address)}
    settings.contact_phone, settings.contact_address, settings.updated_by_id = phone, address, actor.id
    db.session.add(settings)
    changed = [name for name, value in (("phone", phone), ("address", address)) if before[name] != value]
    audit.record(audit.Action.UPDATE, "clinic_settings", 1,
                 summary="clinic contact: " + (", ".join(changed) + " changed" if changed else "saved unchanged"),
                 user=actor, before=before, after={"phone": phone, "address": address})
    db.session.commit()


@service
def set_billing_setting(setting, actor, version_id=None):
    """Where the clinic bills the injection: the note, the FHIR Procedure and every export show
    G0260 (the facility's claim) only where the setting is a facility. `version_id` as for
    `set_clinic_contact`."""
    setting = BillingSetting(setting)
    settings = db.session.get(ClinicSettings, 1)
    check_settings_version(settings, version_id)
    settings = settings or ClinicSettings(id=1, default_profile_code=DEFAULT_PROFILE_CODE)
    before = settings.billing_setting or BillingSetting.OFFICE.value
    settings.billing_setting, settings.updated_by_id = setting.value, actor.id
    db.session.add(settings)
    audit.record(audit.Action.UPDATE, "clinic_settings", 1,
                 summary=f"billing setting: {before} → {setting.value}", user=actor)
    db.session.commit()


def users_query(role=None, status=None, q=None):
    query = db.select(User).options(joinedload(User.patient)).order_by(User.name, User.id)
    if role:
        query = query.filter(User.role == Role(role))
    if status == "active":
        query = query.filter(User.active.is_(True))
    elif status == "inactive":
        query = query.filter(User.active.is_(False))
    if q and q.strip():
        typed = q.strip().lower()
        query = query.filter(db.or_(contains(db.func.lower(User.name), typed),
                                    contains(User.email, typed)))
    return query


# The audit rows whose object id is a patient's id, and those whose is a case's.
PATIENT_OBJECTS = ("patient", "patient_invitation")
CASE_OBJECTS = ("case",)


def _about_patients(typed):
    """Condition: the row is about a record the worklist's name-or-MRN box finds for `typed` (or a
    record merged into it), or about one of its cases."""
    found = ids_matching(parse_name_or_mrn(typed))
    if found is None:
        return db.false()
    records = db.select(Patient.id).filter(db.or_(Patient.id.in_(found), Patient.merged_into_id.in_(found)))
    return db.or_(
        db.and_(AuditEvent.object_type.in_(PATIENT_OBJECTS),
                AuditEvent.object_id.in_(db.select(db.cast(Patient.id, db.String)).filter(Patient.id.in_(records)))),
        db.and_(AuditEvent.object_type.in_(CASE_OBJECTS),
                AuditEvent.object_id.in_(db.select(db.cast(Case.id, db.String)).filter(Case.patient_id.in_(records)))))


def audit_query(user=None, action=None, object_type=None, object_id=None, date_from=None,
                date_to=None, patient=None):
    """Newest first; dates are the clinic's calendar days; `patient`: a name or MRN (rows about the
    patients it finds and their cases)."""
    query = db.select(AuditEvent).order_by(AuditEvent.id.desc())
    if patient and patient.strip():
        query = query.filter(_about_patients(patient))
    if user:
        query = query.filter(contains(AuditEvent.actor, user.strip().lower()))
    if action:
        query = query.filter(AuditEvent.action == audit.Action(action))
    if object_type:
        # As the table shows it ("user list" for user_list), in any case.
        query = query.filter(AuditEvent.object_type == object_type.strip().lower().replace(" ", "_"))
    if object_id:
        query = query.filter(AuditEvent.object_id == object_id.strip())
    if date_from:
        query = query.filter(AuditEvent.at >= _clinic_midnight(date_from))
    if date_to:
        query = query.filter(AuditEvent.at < _clinic_midnight(date_to + timedelta(days=1)))
    return query


def audit_patients(events):
    """{event id: the patient it is about} for the rows of `events` whose object is a patient's
    record or case: two queries for a page however many rows name one."""
    def ids(types):
        return {int(e.object_id) for e in events if e.object_type in types and (e.object_id or "").isdigit()}

    patient_ids, case_ids = ids(PATIENT_OBJECTS), ids(CASE_OBJECTS)
    patients = {p.id: p for p in db.session.execute(
        db.select(Patient).filter(Patient.id.in_(patient_ids))).scalars()} if patient_ids else {}
    of_case = dict(db.session.execute(
        db.select(Case.id, Patient).join(Patient, Patient.id == Case.patient_id)
        .filter(Case.id.in_(case_ids))).all()) if case_ids else {}
    named = {}
    for event in events:
        if (event.object_id or "").isdigit():
            found = (patients if event.object_type in PATIENT_OBJECTS else
                     of_case if event.object_type in CASE_OBJECTS else {}).get(int(event.object_id))
            if found is not None:
                named[event.id] = found
    return named


AUDIT_CSV_HEADER = ["When", "Who", "Role", "Action", "Object type", "Object id", "IP", "Summary", "Changes"]


def audit_csv_row(event):
    """One row as the audit page shows it: its changes in the page's own words (a secret named, never
    its value), each "Field: old → new", separated by "; "."""
    return (event.at, event.actor, event.role, event.action, event.object_type, event.object_id, event.ip,
            event.summary, audit.changes_words(event.changes))


def _clinic_midnight(day):
    return datetime.combine(day, time.min, tzinfo=clinic_zone())
