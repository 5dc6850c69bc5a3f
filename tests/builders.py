"""Test data: builders that write records straight into the database (set-up only; the app's own
paths are what the tests exercise), and the form data and diary scores several test modules use.
"""
from datetime import date, datetime, timedelta, timezone

from sqlalchemy.orm import Session

from tracker.diary import services as diary_services
from tracker.eligibility.standing import current_assessment
from tracker.extensions import db
from tracker.models import (Appointment, Case, CaseHistory, ConservativeCare, DiaryEntry, DiaryLink, DiaryPoint,
                            DiaryReminder, EligibilityVerdict, Patient, Room, User)
from tracker.passwords import hash_password
from tracker.procedures import services as procedure_services
from tracker.procedures.forms import form_prefix
from tracker.procedures.rules.schema import PER_SIDE_STEPS, STEPS, Step
from tracker.roles import Role
from tracker.vocab import AppointmentStatus, EntrySource, Indication, Response, Side, TherapyKind, joints_of, not_asked
from tracker.workflow import State

from tests.helpers import PASSWORD, csrf_from

# ---------------------------------------------------------------- records

_counter = {"n": 0}


def _next():
    _counter["n"] += 1
    return _counter["n"]


def make_patient(**fields):
    n = _next()
    values = {"mrn": f"MRN{n:06d}", "family_name": f"Family{n}", "given_name": f"Given{n}",
              "date_of_birth": date(1960, 1, 1 + n % 28), "language": "English"}
    values.update(fields)
    patient = Patient(**values)
    db.session.add(patient)
    db.session.commit()
    return patient


def correct_mrn_in_a_register(patient, mrn):
    """`patient`'s MRN corrected to `mrn` inside a register of 300 records, 100 of whose numbers were
    corrected too: enough former numbers that a plan reading them all would show (on a few rows
    SQLite's statistics make reading everything cheapest)."""
    register = [Patient(mrn=f"R-{n:05d}", family_name=f"Register{n}", given_name="Pat",
                        date_of_birth=date(1960, 1, 1)) for n in range(300)]
    db.session.add_all(register)
    db.session.commit()
    patient.mrn = mrn
    for n, record in enumerate(register[:100]):
        record.mrn = f"S-{n:05d}"
    db.session.commit()


def make_user(role=Role.COORDINATOR, email=None, password=PASSWORD, patient=None, **fields):
    role = Role(role)
    n = _next()
    if role == Role.PATIENT and patient is None:
        patient = make_patient()
    user = User(email=email or f"{role.value}{n}@test.clinic", name=fields.pop("name", f"{role.label} {n}"),
                role=role, password_hash=hash_password(password), patient=patient, **fields)
    db.session.add(user)
    db.session.commit()
    return user


VERDICT_STATES = frozenset({State.ELIGIBLE, State.SCHEDULED, State.IN_PROCEDURE, State.FOLLOW_UP,
                            State.CLOSED})


def make_case(patient=None, state=State.REFERRED, side=Side.LEFT,
              indication=Indication.DIAGNOSTIC, created_by=None, verdict=True, **fields):
    """A case placed directly in `state` with a matching history row (test set-up only).

    A case that has passed eligibility gets a current verdict saying eligible (snapshot of the
    facts as they stand), as the app would have stored; ``verdict=False`` leaves it out."""
    patient = patient or make_patient()
    created_by = created_by or make_user(Role.COORDINATOR)
    case = Case(patient=patient, state=State(state), side=side, indication=indication,
                referring_clinician="Dr Referrer", referral_date=date(2026, 1, 5),
                created_by_id=created_by.id, **fields)
    db.session.add(case)
    db.session.flush()
    db.session.add(CaseHistory(case=case, actor_id=created_by.id, actor_role=created_by.role,
                               action="refer", to_state=State(state), reason="test set-up"))
    if verdict and case.state in VERDICT_STATES:
        make_verdict(case, eligible=True, by=created_by)
    db.session.commit()
    return case


def make_verdict(case, eligible=True, by=None):
    """A verdict snapshot of the case's facts today, saying `eligible` (test set-up only)."""
    result, digest = current_assessment(case)
    by = by or make_user(Role.COORDINATOR)
    row = EligibilityVerdict(case_id=case.id, evaluated_at=datetime.now(timezone.utc),
                             evaluated_by_id=by.id, profile_code=result.profile_code,
                             profile_version=result.profile_version, eligible=eligible,
                             snapshot=result.as_dict(), facts_fingerprint=digest)
    db.session.add(row)
    db.session.commit()
    return row


def make_therapy(case, kind=TherapyKind.PHYSICAL_THERAPY, start_date=date(2026, 1, 1),
                 end_date=date(2026, 2, 12), response=Response.NONE, **fields):
    row = ConservativeCare(case=case, kind=kind, start_date=start_date, end_date=end_date,
                           response=response, **fields)
    db.session.add(row)
    db.session.commit()
    return row


def make_room(name=None, **fields):
    room = Room(name=name or f"Suite {_next()}", **fields)
    db.session.add(room)
    db.session.commit()
    return room


def make_appointment(case, physician=None, room=None, starts_at=None, minutes=30,
                     status=AppointmentStatus.BOOKED, **fields):
    """An appointment written directly (test set-up; bookings through the app use the service)."""
    physician = physician or make_user(Role.PHYSICIAN)
    room = room or make_room()
    starts_at = starts_at or datetime.now(timezone.utc).replace(microsecond=0) + timedelta(days=1)
    appointment = Appointment(case=case, physician_id=physician.id, room_id=room.id,
                              starts_at=starts_at, ends_at=starts_at + timedelta(minutes=minutes),
                              status=status, created_by_id=physician.id, **fields)
    db.session.add(appointment)
    db.session.commit()
    return appointment


# A complete checklist, step by step, as the rules read it (per side for the needle steps).
PROCEDURE_ANSWERS = {
    "sign_in": {"identifiers_confirmed": True, "consent_confirmed": True, "procedure_confirmed": True,
                "site_marked": True, "allergies_reviewed": True, "anticoagulation_reviewed": True},
    "time_out": {"patient_confirmed": True, "procedure_confirmed": True, "side_and_site_confirmed": True,
                 "position_confirmed": True, "images_available": True},
    "positioning": {"prone": True},
    "skin_prep": {"prep_agent": "chlorhexidine_alcohol", "sterile_drape": True, "local_skin_anaesthetic": "used"},
    "fluoroscopy": {"modality": "fluoroscopy", "views": "2", "needle_gauge": "22", "fluoroscopy_time_s": "35",
                    "air_kerma_mgy": "4.2", "dap_mgy_cm2": "310"},
    "contrast": {"agent": "iohexol", "volume_ml": "0.5", "arthrogram_pattern": "intra_articular_cephalad",
                 "vascular_uptake": False},
    "injectate": {"rows": [{"drug": "triamcinolone", "concentration_mg_per_ml": "40", "dose_mg": "40",
                            "volume_ml": "1", "lot_number": "TA-2231"},
                           {"drug": "bupivacaine", "concentration_mg_per_ml": "2.5", "dose_mg": "2.5",
                            "volume_ml": "1", "lot_number": "BU-0917"}]},
    "sign_out": {"complications": ["none"], "pain_nrs": "2", "discharge_instructions_given": True},
}


def make_procedure(side=Side.LEFT, physician=None, steps=(), sign=False, **case_fields):
    """A scheduled, ready case whose physician started the procedure (through the service, as the
    Start button does), with `steps` recorded from PROCEDURE_ANSWERS ("all" for every step) and
    the record signed if `sign`. Returns the record."""
    physician = physician or make_user(Role.PHYSICIAN)
    case = make_case(state=State.SCHEDULED, side=side, physician_id=physician.id, verdict=False, **case_fields)
    # Readiness waits for the risk screen's answers on blood thinners and allergies: a case built
    # without them goes ahead by a physician's override, as the clinic's would.
    unanswered = {"readiness_override_reason": "test set-up: no risk screen"} if not_asked(case.risk_screen) else {}
    # Five minutes ago, but today in the clinic (a procedure starts on its appointment's day).
    from tracker.timeutil import clinic_day_start, clinic_today

    starts_at = max(datetime.now(timezone.utc).replace(microsecond=0) - timedelta(minutes=5),
                    clinic_day_start(clinic_today()))
    make_appointment(case, physician=physician, consent_obtained=True, day_of_check_done=True,
                     starts_at=starts_at, **unanswered)
    # The verdict as the clinic's stands at the start: read with the case booked for today.
    make_verdict(case, eligible=True)
    record = procedure_services.start(case, physician, acknowledged=True)
    for step in (STEPS if steps == "all" else steps):
        answers = dict(PROCEDURE_ANSWERS[step])
        if step == "sign_in":
            answers["side_confirmed"] = Side(side).value
        for joint in (joints_of(side) if step in PER_SIDE_STEPS else [None]):
            procedure_services.save_step(record, step, joint and joint.value, answers, physician, "")
    if sign:
        procedure_services.sign(record, physician, record.version_id)
    return record


def make_injection(patient, days_ago):
    """A diagnostic injection of `patient`: a case whose procedure started `days_ago` days ago (as
    the caps count it). Returns the case."""
    record = make_procedure(patient=patient)
    start = db.session.execute(db.select(CaseHistory).filter_by(case_id=record.case_id,
                                                                 action="start_procedure")).scalar_one()
    start.at = datetime.now(timezone.utc) - timedelta(days=days_ago)
    db.session.commit()
    return record.case


def make_diary(case, injected_at=None, entries=None, booked_at=None):
    """A case's diary as booking and signing make it: the baseline open from `booked_at` (default
    two days before the injection; booking opens it at the start of the appointment's day,
    tracker.diary.services.baseline_opens) and, with `injected_at`, every post-injection point of its
    schedule. `entries` is {point code: score, or {side: score}}, entered through the personal
    link at the point's due time (test set-up; entries through the app use the service)."""
    now = datetime.now(timezone.utc).replace(microsecond=0)
    booked_at = booked_at or (injected_at or now) - timedelta(days=2)
    diary_services.ensure_baseline(case, booked_at)
    if injected_at is not None:
        diary_services.start_follow_up(case, injected_at)
    db.session.flush()
    for code, score in (entries or {}).items():
        point = db.session.execute(db.select(DiaryPoint).filter_by(case_id=case.id, point_code=code)).scalar_one()
        scores = score if isinstance(score, dict) else {side: score for side in diary_services.sides_of(case)}
        for side, value in scores.items():
            db.session.add(DiaryEntry(point_id=point.id, case_id=case.id, side=side, score=value,
                                      entered_at=point.due_at or point.opens_at, source=EntrySource.LINK,
                                      late=False))
        # As record_entry does: complete once every side the case rates has its score.
        if set(scores) >= set(diary_services.sides_of(case)):
            point.completed_at = point.due_at or point.opens_at
    db.session.commit()
    return case


def commit_elsewhere(*objects):
    """Save `objects` through a second connection, as another person's request would: for tests
    of two people saving the same unique value at the same moment."""
    with Session(db.engine) as other:
        other.add_all(objects)
        other.commit()



# ---------------------------------------------------------------- referral forms

PATIENT = {
    "mrn": "A-100200", "family_name": "Okonkwo", "given_name": "Ada", "date_of_birth": "1970-03-14",
    "sex": "female", "phone": "+1 201 555 0100", "email": "ada@example.org", "preferred_contact": "email",
    "language": "English",
}
REFERRAL = {
    "referring_clinician": "Dr Marsh", "referral_date": "2026-11-02", "side": "right",
    "indication": "diagnostic", "symptom_onset": "2026-03-01", "pain_worse_sit_to_stand": "y",
    "pain_radiates_buttock_thigh": "y", "reason": "Buttock pain on sit-to-stand",
}



# ---------------------------------------------------------------- sign-in messages

GENERIC = "The email or password is not correct. Check both and try again."
LOCKED = "Too many failed sign-ins for this account."


# ---------------------------------------------------------------- the procedure checklist

# What each step needs recorded before it may be saved (the safety order).
BEFORE = {
    "sign_in": [], "time_out": ["sign_in"], "positioning": [], "skin_prep": [],
    "fluoroscopy": ["sign_in", "time_out"], "contrast": ["sign_in", "time_out", "fluoroscopy"],
    "injectate": ["sign_in", "time_out", "fluoroscopy", "contrast"],
    "sign_out": ["sign_in", "time_out", "fluoroscopy", "contrast", "injectate"],
}


def checklist_url(case_id):
    return f"/cases/{case_id}/procedure"


def form_fields(step, answers, side=None, version="", attempt="1"):
    """The step's form as a browser posts it: prefixed names, ticks as "y", yes/no as words."""
    prefix = form_prefix(Step(step), side)
    data = {f"{prefix}version_id": str(version), f"{prefix}attempt": str(attempt)}
    for name, value in answers.items():
        if name == "rows":
            for index, row in enumerate(value):
                for key, cell in row.items():
                    data[f"{prefix}rows-{index}-{key}"] = cell
        elif name == "vascular_uptake" and isinstance(value, bool):
            data[prefix + name] = "yes" if value else "no"
        elif value is True:
            data[prefix + name] = "y"
        elif value is not False and value is not None:
            data[prefix + name] = value
    return data


def post_step(client, case_id, step, answers, side=None, version="", attempt="1"):
    """Save one step from the checklist page, as the physician's tablet does."""
    page = client.get(checklist_url(case_id))
    url = f"/cases/{case_id}/procedure/steps/{step}" + (f"?side={side}" if side else "")
    return client.post(url, data={"csrf_token": csrf_from(page.get_data(as_text=True)),
                                  **form_fields(step, answers, side, version, attempt)})


def answers_for(step, side=Side.LEFT):
    answers = dict(PROCEDURE_ANSWERS[step])
    if step == "sign_in":
        answers["side_confirmed"] = Side(side).value
    return answers



# ---------------------------------------------------------------- diaries

# 45 days after the injection only the 6-week score (window: days 42 to 56) is due: every
# earlier window closed more than REMINDER_LATE_DAYS ago (2 weeks' on day 20).
ONLY_SIX_WEEKS = timedelta(days=45)


def now():
    return datetime.now(timezone.utc).replace(microsecond=0)


def clinic_day(days_ahead=1):
    """The clinic's date `days_ahead` days from today."""
    from tracker.timeutil import clinic_today

    return clinic_today() + timedelta(days=days_ahead)


def clinic_at(days_ahead, hh, mm=0):
    """The UTC instant of hh:mm clinic time, `days_ahead` clinic days from today."""
    from datetime import time

    from tracker.scheduling.rules import clinic_to_utc
    from tracker.timeutil import clinic_zone

    return clinic_to_utc(clinic_day(days_ahead), time(hh, mm), clinic_zone())


# What a patient reads at a personal link that no longer works.
LINK_NOT_VALID = "This link is not valid any more - ask the clinic for a new one"


def make_diary_link(case, created_by=None, **fields):
    """A personal diary link for `case` (made by its creator unless `created_by`), valid 30 days
    unless `expires_at` says otherwise: (the row, its signed token)."""
    from tracker.diary import links

    link = DiaryLink(case_id=case.id, created_by_id=created_by.id if created_by else case.created_by_id,
                     created_at=now() - timedelta(minutes=5),
                     expires_at=fields.pop("expires_at", now() + timedelta(days=30)), **fields)
    db.session.add(link)
    db.session.commit()
    return link, links.sign(link)


def diary_case(gen, injected_ago=ONLY_SIX_WEEKS, side=Side.LEFT, address="patient@home.example",
               link=True, state=State.FOLLOW_UP, patient=None):
    """A case whose procedure was signed `injected_ago`, with its diary points (made by the diary
    service, as signing does) and a live personal link sent to `address`."""
    patient = patient or gen.patient(email=address)
    case = gen.case(patient=patient, state=state, side=side)
    injected_at = now() - injected_ago
    diary_services.start_follow_up(case, injected_at)
    if link:
        db.session.add(DiaryLink(case_id=case.id, created_by_id=case.created_by_id, sent_to=address,
                                 expires_at=now() + timedelta(days=400)))
    db.session.commit()
    return case


def point(case, code):
    return db.session.execute(db.select(DiaryPoint).filter_by(case_id=case.id, point_code=code)).scalar_one()


def enter(case, code, side=None, score=3):
    row = point(case, code)
    db.session.add(DiaryEntry(point_id=row.id, case_id=case.id, side=side or case.side,
                              score=score, entered_at=now(), source=EntrySource.LINK, late=False))
    db.session.flush()
    # As record_entry does: complete once every side the case rates has its score.
    entered = set(db.session.execute(db.select(DiaryEntry.side).filter_by(point_id=row.id)).scalars())
    if entered >= set(diary_services.sides_of(case)):
        row.completed_at = now()
    db.session.commit()


def attempts(case, code):
    db.session.expire_all()
    return db.session.execute(
        db.select(DiaryReminder).filter_by(point_id=point(case, code).id).order_by(DiaryReminder.attempt)
    ).scalars().all()


def close(case):
    case.state = State.CLOSED


def enter_six_weeks(case):
    enter(case, "w6")


def revoke_links(case):
    for link in db.session.query(DiaryLink).filter_by(case_id=case.id):
        link.revoked_at = now()


# A block that worked: 8 before, 1-2 in the window (peak 87.5 %), relief of 50 % or more to 3 months.
GOOD_BLOCK = {"t0": 8, "m30": 2, "h1": 1, "h2": 2, "h4": 3, "d1": 3, "d7": 3, "w2": 4, "w6": 4, "mo3": 4,
              "mo6": 7}


def diary(case, scores, **marks):
    """Entries written straight into the case's diary (its points exist from signing): `scores` maps
    a time point to a score, or to {side: score} for a bilateral case. `marks` maps a time point to
    entry fields (late=True, source=..., analgesic_used=...)."""
    points = {p.point_code: p for p in db.session.execute(
        db.select(DiaryPoint).filter_by(case_id=case.id)).scalars()}
    for code, score in scores.items():
        point = points[code]
        by_side = score if isinstance(score, dict) else {Side(case.side): score}
        for side, value in by_side.items():
            fields = {"source": EntrySource.LINK, **marks.get(code, {})}
            db.session.add(DiaryEntry(point_id=point.id, case_id=case.id, side=side, score=value,
                                      entered_at=point.due_at or point.opens_at, **fields))
    db.session.commit()


def diary_moved_back(case, days):
    """Move the case's diary `days` into the past, its points' windows with their entries, as if the
    injection had been given that much earlier (test set-up: a duration longer than the time
    since the injection is refused)."""
    shift = timedelta(days=days)
    for point in db.session.execute(db.select(DiaryPoint).filter_by(case_id=case.id)).scalars():
        for name in ("opens_at", "due_at", "closes_at", "completed_at", "chase_until"):
            if getattr(point, name) is not None:
                setattr(point, name, getattr(point, name) - shift)
        for entry in point.entries:
            entry.entered_at, entry.felt_at = entry.entered_at - shift, (entry.felt_at or entry.entered_at) - shift
    db.session.commit()


def followed_up(gen, physician, side=Side.LEFT, scores=GOOD_BLOCK, **case_fields):
    """A case whose procedure was signed (the diary's points exist) with `scores` entered."""
    record = gen.procedure(side=side, physician=physician, steps="all", sign=True, **case_fields)
    case = record.case
    diary(case, scores)
    return case


