"""The demo data keeps the tracker's own rules and tells the README's story relative to the day it is
seeded: no two appointments overlap in a room or for a physician, every timeline and appointment
history runs in time order, and `flask demo reset` rebuilds an old demo database (twice in a row
too), refusing a database with data that is not the demo's unless --force."""
from itertools import combinations

import pytest
from flask_migrate import upgrade

from tracker.demo import DEMO_PATIENT_ACCOUNT, DEMO_SCHEDULED_PATIENT_ACCOUNT, seed
from tracker.extensions import db
from tracker.models import Appointment, Case, Patient, ProcedureRecord, User
from tracker.roles import Role
from tracker import timeutil
from tracker.vocab import AppointmentStatus
from tracker.workflow import State

from tests.builders import make_user
from tests.helpers import sign_in, text, words


def overlaps(appointments, resource):
    return [(a.id, b.id) for a, b in combinations(appointments, 2)
            if getattr(a, resource) == getattr(b, resource) and a.starts_at < b.ends_at and b.starts_at < a.ends_at]


def rule_breaks():
    """What in the database breaks the tracker's rules: overlaps per room and per physician
    (cancelled appointments free their time), and history out of time order."""
    db.session.expire_all()
    held = [a for a in db.session.execute(db.select(Appointment)).scalars()
            if a.status != AppointmentStatus.CANCELLED]
    found = [f"room overlap {pair}" for pair in overlaps(held, "room_id")]
    found += [f"physician overlap {pair}" for pair in overlaps(held, "physician_id")]
    now = timeutil.utcnow()
    for case in db.session.execute(db.select(Case)).scalars():
        rows = sorted(case.history, key=lambda row: row.id)
        found += [f"{case.patient.mrn}: {later.action} at {later.at} before {earlier.action} at {earlier.at}"
                  for earlier, later in zip(rows, rows[1:]) if later.at < earlier.at]
        found += [f"{case.patient.mrn}: {row.action} in the future" for row in rows if row.at > now]
        # An override is dated as its timeline row, not at seeding (the API, FHIR and the case page show it).
        overrides = [row.at for row in rows if row.action == "override_eligibility"]
        found += [f"{case.patient.mrn}: override at {v.override_at}, timeline {overrides}"
                  for v in case.verdicts if v.override_at is not None and [v.override_at] != overrides]
        for appointment in case.appointments:
            changes = sorted(appointment.changes, key=lambda change: change.id)
            found += [f"appointment {appointment.id}: {b.change} before {a.change}"
                      for a, b in zip(changes, changes[1:]) if b.at < a.at]
            if appointment.created_at > min(appointment.starts_at, now):
                found.append(f"appointment {appointment.id} ({case.patient.mrn}) booked after it began")
        found += [f"{case.patient.mrn}: a diary score from the future"
                  for point in case.diary_points for entry in point.entries if entry.entered_at > now]
    return found


def test_the_seed_obeys_the_trackers_rules_and_its_patients_can_be_reached(app_ctx):
    seed()
    assert db.session.execute(db.select(db.func.count(Appointment.id))).scalar_one() >= 9
    assert rule_breaks() == []
    check_the_patients_can_be_reached_as_the_app_would_reach_them()


def check_the_patients_can_be_reached_as_the_app_would_reach_them():
    from tracker.models import DiaryEntry, DiaryLink
    from tracker.patient_accounts.services import can_sign_in_with
    from tracker.vocab import EntrySource

    # Every record's email is one sign-in takes (an invitation to it can be accepted), and the two
    # patients with an account have its address on their record.
    assert all(can_sign_in_with(email) for email in db.session.execute(db.select(Patient.email)).scalars())
    for email, _password, mrn in (DEMO_PATIENT_ACCOUNT, DEMO_SCHEDULED_PATIENT_ACCOUNT):
        assert db.session.execute(db.select(Patient.email).filter_by(mrn=mrn)).scalar_one() == email
    # A link the seed's scores came through shows as used, as opening it would have stamped it.
    cases = set(db.session.execute(db.select(DiaryEntry.case_id).filter_by(source=EntrySource.LINK)).scalars())
    links = db.session.execute(db.select(DiaryLink).filter(DiaryLink.case_id.in_(cases))).scalars().all()
    assert cases and {link.case_id for link in links} == cases
    assert all(link.last_used_at is not None for link in links)


@pytest.mark.parametrize("seeded_at", [None, (0, 20), (7, 0), (23, 40)],
                         ids=["now", "just past midnight", "early morning", "late evening"])
def test_the_seed_tells_the_readmes_story_on_the_day_it_runs(app_ctx, make_client, clinic_clock, seeded_at):
    """Whatever the hour it is seeded (a demo seeded at 7 in the morning once had no score due, its
    2-week window opening only at the injection's hour that day)."""
    if seeded_at:
        clinic_clock(*seeded_at)
    seed()
    states = dict(db.session.execute(db.select(Patient.mrn, Case.state).join(Case.patient)).all())
    assert (states["DEMO-0001"], states["DEMO-0011"], states["DEMO-0014"], states["DEMO-0017"]) == (
        State.FOLLOW_UP, State.SCHEDULED, State.IN_PROCEDURE, State.CLOSED)

    grace = make_client()
    sign_in(grace, DEMO_PATIENT_ACCOUNT[0], DEMO_PATIENT_ACCOUNT[1])
    case_id = db.session.execute(db.select(Case.id).join(Case.patient).filter(Patient.mrn == "DEMO-0001")).scalar_one()
    grace_page = words(grace.get(f"/my/cases/{case_id}"))
    assert "Your “2 weeks” pain score is due now." in grace_page
    # Patients are told the clinic's number wherever they are told to call (it was "Call the clinic.").
    assert "Questions? Call the clinic on (201) 555-0100." in grace_page

    sean = make_client()
    sign_in(sean, DEMO_SCHEDULED_PATIENT_ACCOUNT[0], DEMO_SCHEDULED_PATIENT_ACCOUNT[1])
    sean_case = db.session.execute(db.select(Case).join(Case.patient).filter(Patient.mrn == "DEMO-0011")).scalar_one()
    [booked] = sean_case.appointments
    assert booked.status == AppointmentStatus.BOOKED and booked.starts_at > timeutil.utcnow()
    assert 'aria-labelledby="appt-h"' in text(sean.get(f"/my/cases/{sean_case.id}"))

    in_procedure = db.session.execute(db.select(ProcedureRecord).join(Case).join(Case.patient).filter(
        Patient.mrn == "DEMO-0014")).scalar_one()
    assert in_procedure.signed_at is None and in_procedure.started_at < timeutil.utcnow()

    # DEMO-0016 took 34 minutes from its start to its sign-out, and is flagged; the others are
    # inside the target. Every duration runs to the sign-out, signed a few minutes after it.
    signed = dict(db.session.execute(db.select(Patient.mrn, ProcedureRecord).join(ProcedureRecord.case)
                                     .join(Case.patient).filter(ProcedureRecord.signed_at.is_not(None))).all())
    assert {mrn: record.duration_minutes for mrn, record in signed.items() if record.duration_minutes > 30} == {
        "DEMO-0016": 34}
    for record in signed.values():
        assert record.ended_at == record.sign_out_at < record.signed_at

    # A start names only the physician's procedures in progress at that time: the demo's
    # physicians start their cases one after another, so none names another (the case in
    # procedure, DEMO-0014, started today, long after the others).
    records = db.session.execute(db.select(ProcedureRecord)).scalars().all()
    assert [(record.case.patient.mrn, record.acknowledged_case_ids) for record in records
            if record.acknowledged_case_ids] == []


# ---------------------------------------------------------------- flask demo reset

@pytest.fixture
def old_demo(migration_app):
    """A demo database built by the migrations and seeded (as `flask db upgrade` + `flask demo seed`)."""
    upgrade()
    seed()
    db.session.commit()
    return migration_app


def reset(app, *args):
    result = app.test_cli_runner().invoke(args=["demo", "reset", *args])
    db.session.remove()
    return result


def test_reset_refuses_data_not_the_demos_force_deletes_it_and_rebuilds_the_demo_each_time(old_demo):
    # One demo database for the three runs: building it from the migrations is the slow part.
    make_user(Role.PHYSICIAN, email="real.doctor@clinic.org")
    result = reset(old_demo)
    assert result.exit_code == 1
    assert "This database holds data that is not the demo's: 1 account(s) not the demo's (real.doctor@clinic.org)" \
        in result.output
    assert "nothing was changed" in result.output and "flask demo reset --force" in result.output
    assert db.session.execute(db.select(User).filter_by(email="real.doctor@clinic.org")).scalar_one_or_none()

    forced = reset(old_demo, "--force")
    assert forced.exit_code == 0, forced.output or repr(forced.exception)
    assert db.session.execute(db.select(User).filter_by(email="real.doctor@clinic.org")).scalar_one_or_none() is None
    rebuilt(forced)
    # And again without --force: the demo's own data is the demo's.
    rebuilt(reset(old_demo))


def rebuilt(run):
    assert run.exit_code == 0, run.output or repr(run.exception)
    assert "Demo database rebuilt (6 users and 20 cases added)." in run.output
    assert db.session.execute(db.select(db.func.count(Case.id))).scalar_one() == 20
    assert rule_breaks() == []


def test_the_demos_score_recalled_on_a_call_is_late_and_the_text_patients_links_went_by_text(app_ctx):
    """Walkthrough 2: the demo's Day 7 score that DEMO-0015 recalled on a call, entered by staff
    past its window, is late (the diary says "Entered late" and *Reports › Late entries* counts it;
    entered at the very moment the window closed, it was on time and both said nothing); and the
    personal link of a patient the README says is reached by text message (Ana Silva, Lucía
    García) is recorded as sent to her number, as *Send the diary link* would send it, not to her
    email address."""
    from tracker.contact import text_number
    from tracker.models import DiaryEntry, DiaryLink
    from tracker.vocab import EntrySource

    seed()
    recalled = db.session.execute(db.select(DiaryEntry).join(Case).join(Patient).filter(
        Patient.mrn == "DEMO-0015", DiaryEntry.source == EntrySource.STAFF_PHONE)).scalar_one()
    assert recalled.late and recalled.entered_at > recalled.point.closes_at
    for mrn in ("DEMO-0007", "DEMO-0014"):
        patient = db.session.execute(db.select(Patient).filter_by(mrn=mrn)).scalar_one()
        links = db.session.execute(db.select(DiaryLink).join(Case).filter(Case.patient_id == patient.id)).scalars().all()
        assert text_number(patient) is not None
        assert [link.sent_to for link in links if link.sent_to] == [text_number(patient)] * len(links), mrn
