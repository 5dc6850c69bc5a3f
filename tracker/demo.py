"""Demo data: one account per role and 20 cases spread over the lifecycle, relative to today.

Every case is built the way a clinic builds it: referral, review documentation, an eligibility
evaluation by the engine (and, for two therapeutic cases, a physician's override), then the later
steps. Idempotent: users are matched by email and demo patients by their DEMO- medical record
number, so running it again adds nothing (`reset` rebuilds an old demo database to refresh its
dates). The data keeps the tracker's own rules: no two appointments overlap in a room or for a
physician, and each case's timeline and each appointment's history run in time order. The
passwords are listed in the README.
"""
from datetime import date, datetime, time, timedelta

from tracker import contact
from tracker.admin.services import create_user, set_clinic_contact
from tracker.clinic import clinic_contact
from tracker.cases.services import transition
from tracker.diary import services as diary
from tracker.diary.outcome import read_outcome_diary, record_outcome
from tracker.diary.relief import DiagnosticResult
from tracker.eligibility.services import evaluate_case, override
from tracker.extensions import db
from tracker.models import Appointment, AppointmentChange, Patient, Room, User
from tracker.procedures import services as procedures
from tracker.procedures.rules.schema import PER_SIDE_STEPS, STEPS, Step
from tracker.referrals.services import register_and_refer
from tracker.review.services import add_therapy, save_examination, save_risk_screen
from tracker.roles import Role
from tracker.scheduling.resources import create_closure, create_room, set_hours
from tracker.scheduling.services import Proposal, book, next_free_slots, update_readiness
from tracker.timeutil import clinic_today, clinic_zone, utcnow
from tracker.vocab import (AllergyAnswer, AnticoagulantAnswer, AppointmentStatus, ContactChannel, EntrySource,
                           Indication, Modality, NextStep, Pregnancy, ProvocationResult, Response, Sex, Side,
                           TherapyKind, joints_of)

DEMO_USERS = [
    # email, name, role, password
    ("admin@demo.clinic", "Avery Admin", Role.ADMIN, "Gaenslen-test-1912"),
    ("coordinator@demo.clinic", "Casey Coordinator", Role.COORDINATOR, "Faber-Patrick-1935"),
    ("physician@demo.clinic", "Dr Priya Raman", Role.PHYSICIAN, "Thigh-thrust-1987"),
    ("physician2@demo.clinic", "Dr Tomas Ortega", Role.PHYSICIAN, "Distraction-1988"),
]
# Two patient accounts: one after the injection (follow-up), one with an appointment booked.
DEMO_PATIENT_ACCOUNT = ("patient@demo.clinic", "Yeoman-sign-1921", "DEMO-0001")
DEMO_SCHEDULED_PATIENT_ACCOUNT = ("patient2@demo.clinic", "Compression-1999", "DEMO-0011")
# The two patients with an account have its address on their record too (the address an invitation
# or a reset link goes to); the others an address of their own, which sign-in would accept.
RECORD_EMAIL = {mrn: email for email, _password, mrn in (DEMO_PATIENT_ACCOUNT, DEMO_SCHEDULED_PATIENT_ACCOUNT)}

# What the review documents for each demo case ("profile" of facts).
COMPLETE, SHORT_CARE, FEW_TESTS, NO_EXAM, NOTHING = "complete", "short_care", "few_tests", "no_exam", "nothing"

# n, family, given, born, sex, side, indication, target state, facts, days since referral
DEMO_CASES = [
    (1, "Okafor", "Grace", date(1961, 4, 12), Sex.FEMALE, Side.LEFT, Indication.DIAGNOSTIC, "follow_up", COMPLETE, 40),
    (2, "Lindqvist", "Erik", date(1955, 9, 3), Sex.MALE, Side.RIGHT, Indication.DIAGNOSTIC, "referred", NOTHING, 1),
    (3, "Moreau", "Camille", date(1978, 1, 22), Sex.FEMALE, Side.BILATERAL, Indication.DIAGNOSTIC, "referred", NOTHING, 3),
    (4, "Haddad", "Samir", date(1969, 7, 30), Sex.MALE, Side.LEFT, Indication.THERAPEUTIC, "under_review", SHORT_CARE, 6),
    (5, "Nakamura", "Yui", date(1983, 11, 5), Sex.FEMALE, Side.RIGHT, Indication.DIAGNOSTIC, "under_review", NO_EXAM, 9),
    (6, "Brennan", "Patrick", date(1950, 2, 14), Sex.MALE, Side.LEFT, Indication.DIAGNOSTIC, "under_review", COMPLETE, 12),
    (7, "Silva", "Ana", date(1972, 6, 18), Sex.FEMALE, Side.RIGHT, Indication.DIAGNOSTIC, "eligible", COMPLETE, 15),
    (8, "Kowalski", "Marek", date(1966, 3, 9), Sex.MALE, Side.BILATERAL, Indication.DIAGNOSTIC, "eligible", COMPLETE, 17),
    (9, "Adeyemi", "Folake", date(1958, 12, 1), Sex.FEMALE, Side.LEFT, Indication.DIAGNOSTIC, "not_eligible", FEW_TESTS, 20),
    (10, "Fischer", "Lena", date(1990, 8, 27), Sex.FEMALE, Side.RIGHT, Indication.DIAGNOSTIC, "not_eligible", SHORT_CARE, 22),
    (11, "O'Brien", "Sean", date(1963, 5, 16), Sex.MALE, Side.LEFT, Indication.DIAGNOSTIC, "scheduled", COMPLETE, 25),
    (12, "Petrova", "Irina", date(1975, 10, 10), Sex.FEMALE, Side.RIGHT, Indication.THERAPEUTIC, "scheduled", COMPLETE, 28),
    (13, "Tran", "Minh", date(1981, 4, 4), Sex.MALE, Side.BILATERAL, Indication.DIAGNOSTIC, "scheduled", COMPLETE, 30),
    (14, "García", "Lucía", date(1968, 9, 19), Sex.FEMALE, Side.LEFT, Indication.DIAGNOSTIC, "in_procedure", COMPLETE, 33),
    (15, "Johansson", "Nils", date(1959, 1, 28), Sex.MALE, Side.RIGHT, Indication.DIAGNOSTIC, "follow_up", COMPLETE, 45),
    (16, "Mensah", "Kwame", date(1974, 7, 7), Sex.MALE, Side.LEFT, Indication.DIAGNOSTIC, "follow_up", COMPLETE, 60),
    (17, "Rossi", "Giulia", date(1987, 3, 23), Sex.FEMALE, Side.RIGHT, Indication.DIAGNOSTIC, "closed", COMPLETE, 120),
    (18, "Cohen", "David", date(1952, 11, 11), Sex.MALE, Side.BILATERAL, Indication.THERAPEUTIC, "closed", COMPLETE, 200),
    (19, "Singh", "Harpreet", date(1970, 2, 2), Sex.FEMALE, Side.LEFT, Indication.DIAGNOSTIC, "cancelled", NOTHING, 35),
    (20, "Dubois", "Antoine", date(1980, 12, 24), Sex.MALE, Side.RIGHT, Indication.DIAGNOSTIC, "cancelled", SHORT_CARE, 50),
]

# A checklist as a physician records it (per side for the needle steps). The in-procedure case
# has the first three steps; the later cases have all of them, signed.
DEMO_CHECKLIST = {
    "sign_in": {"identifiers_confirmed": True, "consent_confirmed": True, "procedure_confirmed": True,
                "site_marked": True, "allergies_reviewed": True, "anticoagulation_reviewed": True},
    "time_out": {"patient_confirmed": True, "procedure_confirmed": True, "side_and_site_confirmed": True,
                 "position_confirmed": True, "images_available": True},
    "positioning": {"prone": True},
    "skin_prep": {"prep_agent": "chlorhexidine_alcohol", "sterile_drape": True, "local_skin_anaesthetic": "used"},
    "fluoroscopy": {"modality": "fluoroscopy", "views": "3", "needle_gauge": "22", "fluoroscopy_time_s": "41",
                    "air_kerma_mgy": "5.1", "dap_mgy_cm2": "342"},
    "contrast": {"agent": "iohexol", "volume_ml": "0.5", "arthrogram_pattern": "intra_articular_cephalad",
                 "vascular_uptake": False},
    "injectate": {"rows": [{"drug": "bupivacaine", "concentration_mg_per_ml": "2.5", "dose_mg": "2.5",
                            "volume_ml": "1", "lot_number": "BU-24117"},
                           {"drug": "triamcinolone", "concentration_mg_per_ml": "40", "dose_mg": "40",
                            "volume_ml": "1", "lot_number": "TA-23890"}]},
    "sign_out": {"complications": ["none"], "pain_nrs": "1", "discharge_instructions_given": True},
}
# Minutes from the start to each step (the duration runs to the last, the sign-out), and to the
# signature a little later; one case ran long (its sign-out at 34 minutes: flagged).
STEP_MINUTES = (2, 4, 6, 8, 14, 17, 20, 23)
LONG_CASE, LONG_STEP_MINUTES = 16, (2, 4, 6, 8, 19, 25, 30, 34)
SIGNED_AFTER_SIGN_OUT = 1
OVERRIDE_REASON = ("Positive diagnostic block (80% relief) at an outside clinic; records faxed and "
                   "reviewed. Relief lasted about 4 months.")


def _user(email):
    return db.session.execute(db.select(User).filter_by(email=email)).scalar_one_or_none()


# Patients who read Spanish and are reached by text: their reminders go to the log (no provider set).
SPANISH_BY_TEXT = {7, 14}

DEMO_ROOMS = [
    ("Fluoro Suite 1", Modality.FLUOROSCOPY, "Imaging department, level 2, suite 1",
     "Departamento de radiología, planta 2, sala 1"),
    ("Fluoro Suite 2", Modality.FLUOROSCOPY, "Imaging department, level 2, suite 2",
     "Departamento de radiología, planta 2, sala 2"),
    ("CT Room", Modality.CT, "Imaging department, level 1", "Departamento de radiología, planta 1"),
]


class DemoRefused(Exception):
    """Nothing was changed; the message says why and how to go ahead."""


def non_demo_data():
    """What this database holds that `seed` did not write, in words ([] for a demo-only database):
    accounts outside the demo's, patients without a DEMO- record number, rooms not the demo's."""
    from tracker.models import Room

    emails = {email for email, *_ in DEMO_USERS} | {DEMO_PATIENT_ACCOUNT[0], DEMO_SCHEDULED_PATIENT_ACCOUNT[0]}
    found = []
    users = db.session.execute(db.select(User.email).filter(User.email.not_in(emails))).scalars().all()
    if users:
        found.append(f"{len(users)} account(s) not the demo's ({', '.join(sorted(users)[:3])}"
                     f"{', …' if len(users) > 3 else ''})")
    patients = db.session.execute(db.select(db.func.count(Patient.id)).filter(
        db.not_(Patient.mrn.startswith("DEMO-")))).scalar_one()
    if patients:
        found.append(f"{patients} patient(s) without a DEMO- record number")
    rooms = db.session.execute(db.select(Room.name).filter(
        Room.name.not_in([name for name, *_ in DEMO_ROOMS]))).scalars().all()
    if rooms:
        found.append(f"{len(rooms)} room(s) not the demo's ({', '.join(sorted(rooms)[:3])})")
    return found


def reset(force=False):
    """Rebuild the whole database (every table dropped and made again by the migrations) and seed
    the demo afresh, so its story is relative to today again. Refused, with nothing changed, when
    the database holds anything the demo did not write, unless `force`: then that goes too."""
    from flask_migrate import upgrade
    from sqlalchemy import text

    found = non_demo_data()
    if found and not force:
        raise DemoRefused("This database holds data that is not the demo's: " + "; ".join(found) + ". "
                          "`flask demo reset` deletes everything in the database, so nothing was changed. "
                          "To delete it all and reseed anyway: flask demo reset --force")
    db.session.remove()
    db.drop_all()
    with db.engine.begin() as conn:
        conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
    upgrade()
    return seed()


def seed():
    created = {"users": 0, "cases": 0}
    for email, name, role, password in DEMO_USERS:
        if _user(email) is None:
            create_user(email, name, role, password)
            created["users"] += 1
    coordinator = _user("coordinator@demo.clinic")
    admin = _user("admin@demo.clinic")
    physicians = [_user("physician@demo.clinic"), _user("physician2@demo.clinic")]
    today = clinic_today()
    _rooms_and_hours(admin, physicians)
    if not clinic_contact().phone:
        # Patients are told to call the clinic on its number (pages, emails, texts); 555-0100 is
        # North America's fictional range, as the patients' phones are.
        set_clinic_contact("+12015550100", "100 Example Avenue, Suite 2\nSpringfield", admin)

    for n, family, given, born, sex, side, indication, target, facts, days_ago in DEMO_CASES:
        mrn = f"DEMO-{n:04d}"
        if db.session.execute(db.select(Patient).filter_by(mrn=mrn)).scalar_one_or_none():
            continue
        physician = physicians[n % 2]
        referral_date = today - timedelta(days=days_ago)
        # Phones 201-555-0101...: the 555-01xx range North America keeps for fiction.
        case = register_and_refer(
            {"mrn": mrn, "family_name": family, "given_name": given, "date_of_birth": born,
             "sex": sex, "phone": f"+120155501{n:02d}", "email": RECORD_EMAIL.get(mrn, f"{mrn.lower()}@patients.demo.clinic"),
             "preferred_contact": ContactChannel.SMS if n in SPANISH_BY_TEXT else ContactChannel.EMAIL,
             "language": "Spanish" if n in SPANISH_BY_TEXT else "English"},
            {"referring_clinician": "Dr Helen Marsh (primary care)", "referral_date": referral_date,
             "side": side, "indication": indication, "symptom_onset": referral_date - timedelta(days=240),
             "pain_worse_standing": True, "pain_worse_sit_to_stand": True,
             "pain_radiates_buttock_thigh": True, "physician_id": physician.id,
             # Sacroiliitis for most; spondylosis of the sacral region for every fifth patient.
             "diagnosis_codes": ["M47.818"] if n % 5 == 0 else ["M46.1"],
             "reason": "Low back and buttock pain, worse with sit-to-stand; suspected SI joint origin."},
            coordinator,
        )
        _build(case, target, facts, coordinator, physician, referral_date)
        _age(case, referral_date, days_ago)
        db.session.commit()
        created["cases"] += 1

    for email, password, mrn in (DEMO_PATIENT_ACCOUNT, DEMO_SCHEDULED_PATIENT_ACCOUNT):
        if _user(email) is None:
            patient = db.session.execute(db.select(Patient).filter_by(mrn=mrn)).scalar_one()
            create_user(email, f"{patient.given_name} {patient.family_name}", Role.PATIENT, password,
                        patient_mrn=mrn)
            created["users"] += 1
    return created


# The procedure's own steps carry their real times; the steps before it are spread out below.
_TIMED_BY_THE_PROCEDURE = frozenset({"start_procedure", "sign_procedure", "abandon_procedure", "close"})


def _age(case, referral_date, days_ago):
    """Spread the case's earlier steps between its referral and a few days ago, so the worklist's
    "days waiting" and the timeline read like a clinic's, not like one busy minute at seeding."""
    start = datetime.combine(referral_date, time(9, 0), tzinfo=clinic_zone())
    procedure = next((a.starts_at for a in case.appointments if a.starts_at <= utcnow()), None)
    until = max(start, (procedure or utcnow()) - timedelta(days=max(1, days_ago // 3)))
    rows = [row for row in case.history if row.action not in _TIMED_BY_THE_PROCEDURE]
    for i, row in enumerate(rows):
        row.at = start + (until - start) * i / max(1, len(rows) - 1)
    case.state_changed_at = max(row.at for row in case.history)
    verdict_rows = [row for row in rows if row.action in ("mark_eligible", "mark_not_eligible")]
    for verdict, row in zip(case.verdicts, verdict_rows):
        verdict.evaluated_at = row.at
    # An override is dated by its own timeline row (the API, FHIR and the case page show it).
    override_row = next((row for row in rows if row.action == "override_eligibility"), None)
    overridden = next((v for v in case.verdicts if v.override_at is not None), None)
    if override_row and overridden:
        overridden.override_at = override_row.at
    # The appointment was booked when the timeline says the case was scheduled, not at seeding.
    scheduled = next((row.at for row in rows if row.action == "schedule"), None)
    for appointment in case.appointments if scheduled else ():
        appointment.created_at = scheduled
        for change in appointment.changes:
            if change.change == "booked":
                change.at = scheduled


def _rooms_and_hours(admin, physicians):
    if db.session.execute(db.select(Room)).first() is not None:
        return
    for name, modality, location, location_es in DEMO_ROOMS:
        create_room({"name": name, "modality": modality, "location": location, "location_es": location_es,
                     "active": True}, admin)
    weekdays = {day: (time(8, 0), time(16, 0)) for day in range(5)}
    for physician in physicians:
        set_hours(physician, {**weekdays, 5: None, 6: None}, admin, physician.hours_version)
    _holidays(admin)


def _holidays(admin):
    """The next Christmas Day and New Year's Day, closed for the whole clinic: the free slots skip
    them, and a booking on one asks first."""
    today = clinic_today()
    christmas = date(today.year if today <= date(today.year, 12, 25) else today.year + 1, 12, 25)
    for day, reason in ((christmas, "Christmas Day"), (date(christmas.year + 1, 1, 1), "New Year's Day")):
        create_closure({"first_day": day, "last_day": day, "reason": reason, "physician_id": None}, admin)


def _book_next_free(case, coordinator, physician):
    # From tomorrow: a slot minutes after seeding would be in the past by the time anyone looks.
    slot = next_free_slots(clinic_today() + timedelta(days=1), timedelta(minutes=30), physician.id,
                           limit=1)[0]
    appointment = book(case, Proposal(slot.start, slot.end - slot.start, slot.physician_id, slot.room_id),
                       coordinator, acknowledged=True)
    update_readiness(appointment, {"consent_obtained": True}, appointment.version_id, coordinator)


# How long ago the injection was, by the case's state: 15 days for follow-up (Grace Okafor's
# 2-week score is due: its window runs from day 14 to day 20, so it is open whatever the hour the
# demo is seeded; 14 days back it would open only at the injection's hour today, and a demo seeded
# at 7 in the morning would have nothing to enter), a little more for the closed cases (their
# 2-week scores were given before today), the case in procedure now. On a weekend day the
# injection moves back to the Friday before (the physicians work Monday to Friday).
PROCEDURE_DAYS_AGO = {"in_procedure": 0, "follow_up": 15, "closed": 16}
PAST_DAY_STARTS, PAST_SLOT = time(8, 0), timedelta(minutes=45)


def _procedure_day(days_ago):
    day = clinic_today() - timedelta(days=days_ago)
    while day.weekday() >= 5:
        day -= timedelta(days=1)
    return day


def _taken(start, end):
    """Whether any appointment not cancelled (done ones too) overlaps [start, end)."""
    return db.session.execute(db.select(Appointment.id).filter(
        Appointment.status != AppointmentStatus.CANCELLED, Appointment.starts_at < end,
        Appointment.ends_at > start)).first() is not None


def _past_appointment(case, coordinator, physician, days_ago):
    """An appointment that already happened (the booking screens refuse past times), in the
    next free 45 minutes of its day from 08:00, so no two share a room or a physician; today's
    began a quarter of an hour ago, so the procedure in progress fits it."""
    room = db.session.execute(db.select(Room).order_by(Room.id)).scalars().first()
    if days_ago:
        day = _procedure_day(days_ago)
        start = datetime.combine(day, PAST_DAY_STARTS, tzinfo=clinic_zone())
        while _taken(start, start + timedelta(minutes=30)):
            start += PAST_SLOT
    else:
        now = utcnow().replace(second=0, microsecond=0)
        start = now - timedelta(minutes=15 + now.minute % 5)
    appointment = Appointment(case=case, physician_id=physician.id, room_id=room.id,
                              starts_at=start, ends_at=start + timedelta(minutes=30),
                              created_by_id=coordinator.id, consent_obtained=True,
                              anticoagulant_plan_confirmed=True, driver_arranged=True,
                              contrast_premedication_sent=True, day_of_check_done=True)
    appointment.changes.append(AppointmentChange(actor_id=coordinator.id, change="booked"))
    db.session.add(appointment)
    db.session.flush()
    return appointment


def _build(case, target, facts, coordinator, physician, referral_date):
    if target == "referred":
        return
    transition(case, "start_review", coordinator)
    _document(case, facts, coordinator, referral_date)
    if target == "cancelled":
        transition(case, "cancel", coordinator, "Patient chose to continue physical therapy first.")
        return
    if target == "under_review":
        return
    evaluate_case(case, coordinator)
    if target == "not_eligible":
        return
    if not case.current_verdict.eligible:
        override(case, physician, OVERRIDE_REASON)
    if target == "eligible":
        return
    if target == "scheduled":
        _book_next_free(case, coordinator, physician)
        return
    appointment = _past_appointment(case, coordinator, physician, PROCEDURE_DAYS_AGO[target])
    transition(case, "schedule", coordinator)
    link = _diary_baseline(case, coordinator, appointment)
    _procedure(case, physician, appointment, complete=target != "in_procedure")
    if target in ("follow_up", "closed"):
        _diary_follow_up(case, link)
    if target == "closed":
        _outcome(case, physician)


def _outcome(case, physician):
    """The physician's outcome as the diary reads it; recording it closes the case."""
    reading = read_outcome_diary(case)
    step = NextStep.PHYSICAL_THERAPY if case.indication == Indication.THERAPEUTIC else NextStep.RFA_EVALUATION
    result = reading.suggested_result or (DiagnosticResult.INDETERMINATE if reading.is_block else None)
    # A bilateral block's result per joint, each as its side's diary reads it.
    per_joint = {side.side.value: side.interpretation.diagnostic for side in reading.sides} \
        if reading.bilateral_block else None
    record_outcome(case, physician, result,
                   reading.suggested_days, step, notes="Reviewed the diary with the patient.",
                   version_id=case.version_id, reading=reading, confirm_early=True, side_results=per_joint)


# Pain diary scores per demo case, entered through the personal link at each point's due time:
# Grace Okafor (the patient@demo.clinic account) is positive and has entered up to day 2, so her
# 2-week score is due; the others show a late entry (DEMO-0015: a day-7 score recalled on a call
# two days later), a negative block (DEMO-0016) and a longer follow-up.
DEMO_DIARY = {
    "DEMO-0001": {"m15": 2, "m30": 1, "h1": 1, "h2": 1, "h3": 2, "h4": 2, "h5": 3, "h6": 3, "d1": 4, "d2": 3},
    "DEMO-0015": {"m30": 3, "h1": 2, "h2": 2, "h4": 3, "h6": 4, "d1": 4, "d2": 4, "d7": 3},
    "DEMO-0016": {"m15": 7, "m30": 6, "h1": 6, "h2": 6, "h3": 7, "d1": 7},
    "DEMO-0017": {"m15": 1, "m30": 1, "h1": 0, "h2": 1, "h3": 1, "h4": 2, "h6": 2, "d1": 2, "d2": 2, "d7": 2, "w2": 3},
    "DEMO-0018": {"m15": 2, "m30": 2, "h1": 2, "h2": 2, "h4": 3, "h6": 3, "d1": 3, "d2": 3, "d7": 3, "w2": 4},
}
DEMO_BASELINE = 7
# Recalled on a call this long after the point's due time, past its window: entered by staff for
# the moment the patient recalls (the due time), shown as late.
DEMO_LATE = {("DEMO-0015", "d7"): timedelta(days=2, hours=3)}


def _diary_baseline(case, coordinator, appointment):
    """The diary as booking opens it (its personal link sent three days before the appointment;
    the baseline asked on the appointment's day) and the patient's baseline score that morning,
    an hour before the appointment."""
    baseline = diary.ensure_baseline(case, diary.baseline_opens(appointment.starts_at))
    link, _ = diary.create_link(case, coordinator, now=appointment.starts_at - timedelta(days=3),
                                sent_to=contact.text_number(case.patient) or case.patient.email)
    db.session.commit()
    given_at = max(baseline.opens_at, appointment.starts_at - timedelta(hours=1))
    _through_link(link, given_at)
    diary.record_entry(case, "t0", {side: DEMO_BASELINE for side in diary.sides_of(case)}, {},
                       EntrySource.LINK, link=link, now=given_at)
    return link


def _through_link(link, at):
    # Opening the link stamps its use (tracker.diary.services.open_link): the Diary panel's "Last used".
    link.last_used_at = at


def _diary_follow_up(case, link):
    points = {p.point_code: p for p in case.diary_points}
    for code, score in DEMO_DIARY.get(case.patient.mrn, {}).items():
        # Two joints rarely answer alike: the right one of a bilateral case hurts a point more.
        scores = {side: min(10, score + (1 if side == Side.RIGHT and case.side == Side.BILATERAL else 0))
                  for side in diary.sides_of(case)}
        answers, due_at = {"analgesic_used": code.startswith("d")}, points[code].due_at
        late = DEMO_LATE.get((case.patient.mrn, code))
        if late:
            diary.record_entry(case, code, scores, answers, EntrySource.STAFF_PHONE, actor=link.created_by,
                               now=due_at + late, felt_at=due_at)
        else:
            _through_link(link, due_at)
            diary.record_entry(case, code, scores, answers, EntrySource.LINK, link=link, now=due_at)


def _procedure(case, physician, appointment, complete):
    """The checklist through the procedure services, at the times it would have been recorded:
    signed for a case past the procedure, the first steps of one still in progress (started a
    few minutes ago, so its timer runs)."""
    started = (appointment.starts_at + timedelta(minutes=5) if complete
               else utcnow() - timedelta(minutes=7))
    # The demo's physicians start their cases one after another; one stays in procedure.
    record = procedures.start(case, physician, now=started, acknowledged=True)
    steps = STEPS if complete else STEPS[:3]
    timing = LONG_STEP_MINUTES if case.patient.mrn == f"DEMO-{LONG_CASE:04d}" else STEP_MINUTES
    for step, minutes in zip(steps, timing):
        answers = dict(DEMO_CHECKLIST[step])
        if step == Step.SIGN_IN:
            answers["side_confirmed"] = case.side.value
        joints = [joint.value for joint in joints_of(case.side)] if step in PER_SIDE_STEPS else [None]
        for joint in joints:
            procedures.save_step(record, step, joint, answers, physician, "",
                                 now=started + timedelta(minutes=minutes))
    if complete:
        procedures.sign(record, physician, record.version_id,
                        now=started + timedelta(minutes=timing[-1] + SIGNED_AFTER_SIGN_OUT))


def _document(case, facts, actor, referral_date):
    if facts == NOTHING:
        return
    care_weeks = 3 if facts == SHORT_CARE else 8
    start = referral_date - timedelta(weeks=care_weeks)
    add_therapy(case, {"kind": TherapyKind.PHYSICAL_THERAPY, "start_date": start,
                       "end_date": referral_date, "response": Response.NONE,
                       "details": "2 sessions a week, core and pelvic stabilisation"}, actor)
    add_therapy(case, {"kind": TherapyKind.MEDICATION, "start_date": start,
                       "end_date": referral_date if facts == SHORT_CARE else None,
                       "response": Response.PARTIAL,
                       "details": "Naproxen 500 mg twice daily"}, actor)
    if facts == NO_EXAM:
        return
    positive = 2 if facts == FEW_TESTS else 4
    tests = {}
    for i, test in enumerate(("faber", "gaenslen", "thigh_thrust", "compression", "distraction", "yeoman")):
        for side in ("left", "right"):
            counts = side == case.side.value or case.side == Side.BILATERAL
            tests[f"{test}_{side}"] = (ProvocationResult.POSITIVE if counts and i < positive
                                       else ProvocationResult.NEGATIVE)
    save_examination(case, {"examined_on": referral_date, "pain_below_l5": True, "radicular_signs": False,
                            "baseline_nrs": 7, **tests,
                            **{f"odi_{n}": 2 + n % 3 for n in range(1, 11)}}, None, actor)
    save_risk_screen(case, {"anticoagulant_answer": AnticoagulantAnswer.NONE, "anticoagulants": "",
                            "anticoagulant_hold_plan": "", "allergy_answer": AllergyAnswer.NKDA,
                            "pregnancy": Pregnancy.NOT_APPLICABLE if case.patient.sex == Sex.MALE else Pregnancy.NO,
                            "red_flags_screened": True, "red_flags_present": False}, None, actor)
