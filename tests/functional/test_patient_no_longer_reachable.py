"""A patient who has died, or moved away or left the clinic's care, is recorded so on their record
(Patients › the patient › No longer reachable…): from then on nothing is sent to them (appointment
messages, diary reminders, diary links, invitations), their diaries are not chased as overdue,
the patient and case pages say so at the top, and booking warns (a death: refused). A death also
ends their diary links and patient account. A mark made on the wrong patient is undone, audited,
and everything comes back. Before, the only way was to revoke the link, set the preferred contact
to phone and deactivate the account by hand."""
from datetime import timedelta

import pytest

from tracker.diary import reminders as diary_reminders
from tracker.extensions import db
from tracker.models import AuditEvent, Patient, PatientHistory, User
from tracker.roles import Role
from tracker.scheduling import reminders as appointment_reminders
from tracker.timeutil import clinic_today
from tracker.workflow import State

from tests.builders import clinic_day, diary_case, make_diary_link, now
from tests.helpers import by_id, field_error, input_value, is_signed_in, sign_in, soup, submit, text, words

ADDRESS = "pat.gone@example.org"


def url(patient):
    return f"/patients/{patient.id}/reachable"


def record(client, patient, **data):
    """Press 'Record: no longer reachable' on the patient's form, as filled in."""
    page = client.get(url(patient))
    return submit(client, url(patient), {"version_id": input_value(page, "version_id"), **data})


def died(client, patient, on=None, note="Told by her daughter"):
    return record(client, patient, why="died", died_on=(on or clinic_today() - timedelta(days=2)).isoformat(),
                  note=note)


def undo(client, patient, reason="Recorded on the wrong patient: meant her sister"):
    page = client.get(url(patient))
    return submit(client, url(patient), {"version_id": input_value(page, "version_id"), "reason": reason})


def history(page):
    return words(soup(page).find("section", attrs={"aria-labelledby": "record-history"}))


def fresh(patient):
    db.session.expire_all()
    return db.session.get(Patient, patient.id)


@pytest.fixture
def patient(gen):
    return gen.patient(family_name="Marsh", given_name="Edna", email=ADDRESS)


@pytest.fixture
def account(gen, patient):
    return gen.user(Role.PATIENT, email=ADDRESS, patient=patient)


@pytest.fixture
def sent(inbox):
    """The addresses every email went to (a real SMTP server stands in for the clinic's)."""
    return lambda: [rcpt for rcpts, _message in inbox.messages for rcpt in rcpts]


def diary_due(gen, patient):
    """A case whose 6-week score is due (a reminder goes with the next run), with its link."""
    case = diary_case(gen, patient=patient, address=ADDRESS)
    return make_diary_link(case)[1]


def diary_overdue(gen, patient):
    """A case whose 2-week score was missed and is chased (the 6 weeks not open yet)."""
    return diary_case(gen, patient=patient, address=ADDRESS, injected_ago=timedelta(days=30), link=False)


def booked_tomorrow(gen, patient):
    case = gen.case(patient=patient, state=State.SCHEDULED)
    return gen.appointment(case, starts_at=now() + timedelta(hours=20), created_at=now() - timedelta(days=10))


# ---------------------------------------------------------------- a death

def test_a_death_recorded_stops_every_message_the_link_the_account_and_the_chase(
        client, coordinator, gen, patient, account, sent):
    token = diary_due(gen, patient)
    in_follow_up = diary_overdue(gen, patient)
    appointment = booked_tomorrow(gen, patient)
    # Before: a diary reminder and an appointment reminder are due, the link works, the case is chased.
    assert diary_reminders.due_reminders() and appointment_reminders.due_messages()
    assert client.get(f"/d/{token}").status_code == 200
    assert "Marsh" in words(client.get("/diaries/overdue"))

    response = died(client, patient, on=clinic_today() - timedelta(days=2))

    assert response.status_code == 302 and response.location == f"/patients/{patient.id}"
    died_on = (clinic_today() - timedelta(days=2)).isoformat()
    notice = words(by_id(client.get(response.location), "no-longer-reachable"))
    assert f"No longer reachable: Died on {died_on}: Told by her daughter." in notice
    assert "Recorded by Casey Coordinator" in notice
    assert "Nothing is sent to the patient" in notice
    case_notice = words(by_id(client.get(f"/cases/{in_follow_up.id}"), "no-longer-reachable"))
    assert f"Died on {died_on}" in case_notice
    # The case stays as it was.
    db.session.expire_all()
    assert in_follow_up.state == State.FOLLOW_UP

    # Nothing is sent by any run of the reminders, the diary's or the appointment's.
    assert diary_reminders.send_due().sent == 0
    assert appointment_reminders.send_due().sent == 0
    assert sent() == []
    # Nor by a coordinator's button.
    refused = submit(client, f"/cases/{in_follow_up.id}/diary/link", {}, form_page=f"/cases/{in_follow_up.id}",
                     follow_redirects=True)
    assert "Nothing is sent to this patient: Died on" in text(refused)
    refused = submit(client, f"/patients/{patient.id}/account/invite", {}, form_page=url(patient),
                     follow_redirects=True)
    assert "Nothing is sent to this patient: Died on" in text(refused)
    refused = submit(client, f"/appointments/{appointment.id}/messages/resend", {},
                     form_page=f"/appointments/{appointment.id}", follow_redirects=True)
    assert "Nothing is sent to this patient: Died on" in text(refused)
    assert sent() == []

    # The diary link and the account no longer work; the case is no longer chased.
    assert client.get(f"/d/{token}").status_code == 404
    assert not fresh(patient).account.active
    own_browser = client.application.test_client()
    sign_in(own_browser, ADDRESS)
    assert not is_signed_in(own_browser)
    assert "Marsh" not in words(client.get("/diaries/overdue"))


def test_a_death_is_kept_with_who_and_when_in_the_history_and_the_audit_trail(client, coordinator, patient):
    died(client, patient)

    saved = fresh(patient)
    assert saved.contact_ended_by == "Casey Coordinator" and saved.contact_ended_at is not None
    [row] = db.session.execute(db.select(PatientHistory).filter_by(patient_id=patient.id)).scalars().all()
    assert (row.action, row.actor_id) == ("contact_ended", coordinator.id)
    assert row.new_value.startswith("Died on ")
    assert "No longer reachable: Died on" in history(client.get(f"/patients/{patient.id}"))
    assert db.session.execute(db.select(AuditEvent).filter_by(
        object_type="patient", object_id=str(patient.id), summary="recorded as no longer reachable (died)")).scalar()


def test_a_death_needs_its_date_not_in_the_future_and_nothing_is_lost(client, coordinator, patient):
    response = record(client, patient, why="died", died_on="", note="Obituary in the paper")
    assert response.status_code == 422
    assert field_error(response, "died_on") == "Enter the date of death."
    assert "Obituary in the paper" in text(response)

    response = record(client, patient, why="died", died_on=(clinic_today() + timedelta(days=3)).isoformat())
    assert response.status_code == 422
    assert field_error(response, "died_on") == "This date is in the future; check the day, month and year."
    assert fresh(patient).contact_ended is None


def test_nothing_is_booked_for_a_patient_who_died(client, coordinator, gen, patient, physician):
    case = gen.case(patient=patient, state=State.ELIGIBLE)
    room = gen.room()
    died(client, patient)

    page = client.get(f"/cases/{case.id}")
    assert "Nothing is booked: Died on" in words(page)
    response = submit(client, f"/cases/{case.id}/book", {
        "date": clinic_day(2).isoformat(), "start": "10:00", "duration": "30", "physician_id": str(physician.id),
        "room_id": str(room.id)})
    assert "Nothing is booked: the patient's record says Died on" in words(response)
    db.session.expire_all()
    assert case.state == State.ELIGIBLE and case.appointments == []


# ---------------------------------------------------------------- moved away, left the clinic's care

def test_leaving_needs_a_note_then_stops_messages_but_not_the_link_or_the_account(
        client, coordinator, gen, patient, account, sent):
    token = diary_due(gen, patient)
    diary_overdue(gen, patient)
    assert "Marsh" in words(client.get("/diaries/overdue"))

    response = record(client, patient, why="left_care", note="  ")
    assert response.status_code == 422
    assert field_error(response, "note") == "Say what is known: where the patient went, or who said they left."

    response = record(client, patient, why="left_care", note="Moved to Ohio, says her husband")
    assert response.status_code == 302
    notice = words(by_id(client.get(f"/patients/{patient.id}"), "no-longer-reachable"))
    assert "Moved away or left the clinic's care: Moved to Ohio, says her husband." in notice

    assert diary_reminders.send_due().sent == 0 and sent() == []
    assert "Marsh" not in words(client.get("/diaries/overdue"))
    # She may still fill in her diary, and sign in.
    assert client.application.test_client().get(f"/d/{token}").status_code == 200
    assert fresh(patient).account.active


def test_booking_a_patient_who_left_warns_first(client, coordinator, gen, patient, physician):
    case = gen.case(patient=patient, state=State.ELIGIBLE)
    room = gen.room()
    record(client, patient, why="left_care", note="Moved to Ohio")
    data = {"date": clinic_day(2).isoformat(), "start": "10:00", "duration": "30",
            "physician_id": str(physician.id), "room_id": str(room.id)}

    warned = submit(client, f"/cases/{case.id}/book", data)

    assert warned.status_code == 409
    assert "The patient's record says they can no longer be reached: Moved away or left the clinic's care: " \
           "Moved to Ohio" in words(warned)
    booked = client.post(f"/cases/{case.id}/book", data={
        **data, "csrf_token": input_value(warned, "csrf_token"), "acknowledge": "y",
        "warnings_digest": input_value(warned, "warnings_digest"), "shown_at": input_value(warned, "shown_at")})
    assert booked.status_code == 302
    db.session.expire_all()
    assert case.state == State.SCHEDULED


def test_a_death_recorded_on_a_duplicate_holds_on_the_record_kept_after_the_merge(
        client, coordinator, gen, patient, sent):
    duplicate = gen.patient(mrn="DUP-1", family_name="Marsh", given_name="Edna", date_of_birth=patient.date_of_birth,
                            email=ADDRESS)
    account = gen.user(Role.PATIENT, email="edna@example.org", patient=duplicate)
    diary_due(gen, patient)
    died(client, duplicate)

    merge = f"/patients/{patient.id}/merge/{duplicate.id}?keep=chosen"
    page = client.get(merge)
    response = submit(client, merge, {"reason": "Registered twice", "kept_version": input_value(page, "kept_version"),
                                      "merged_version": input_value(page, "merged_version")})

    assert response.status_code == 302
    assert "No longer reachable: Died on" in words(by_id(client.get(f"/patients/{patient.id}"), "no-longer-reachable"))
    assert diary_reminders.send_due().sent == 0 and sent() == []
    db.session.expire_all()
    assert db.session.get(User, account.id).patient_id == patient.id and not db.session.get(User, account.id).active
    # Undone on the record kept, the account the death deactivated is active again.
    undo(client, patient)
    db.session.expire_all()
    assert db.session.get(User, account.id).active


# ---------------------------------------------------------------- undone

def test_a_death_recorded_on_the_wrong_patient_is_undone_and_everything_comes_back(
        client, coordinator, gen, patient, account, sent):
    token = diary_due(gen, patient)
    died(client, patient)

    response = undo(client, patient)

    assert response.status_code == 302
    page = client.get(response.location)
    assert "Their patient account is active again." in words(page)
    assert "no-longer-reachable" not in text(page)
    assert fresh(patient).contact_ended is None and fresh(patient).account.active
    assert client.application.test_client().get(f"/d/{token}").status_code == 200
    assert diary_reminders.send_due().sent == 1 and sent() == [ADDRESS]
    assert "Reachable again (undone: Died on" in history(page)
    assert "Reason: Recorded on the wrong patient: meant her sister" in history(page)
    assert db.session.execute(db.select(AuditEvent).filter_by(
        object_type="patient", object_id=str(patient.id),
        summary="no longer reachable undone; patient account reactivated")).scalar()


def test_undoing_needs_a_reason(client, coordinator, patient):
    died(client, patient)
    response = undo(client, patient, reason="")
    assert response.status_code == 422
    assert field_error(response, "reason") == "Say why it is undone (the wrong patient, the patient is back)."
    assert fresh(patient).contact_ended is not None


def test_a_form_opened_before_someone_else_recorded_it_saves_nothing(client, coordinator, patient, make_client,
                                                                     gen, login_as):
    page = client.get(url(patient))
    colleague = login_as(gen.user(Role.PHYSICIAN, name="Dr Other"), on=make_client())
    died(colleague, patient, note="Hospital letter")

    response = submit(client, url(patient), {"version_id": input_value(page, "version_id"), "why": "left_care",
                                             "note": "Moved away"}, form_page=url(patient))
    assert response.status_code == 409
    assert fresh(patient).contact_ended_note == "Hospital letter"


# ---------------------------------------------------------------- who may

def test_a_physician_may_record_it(client, physician, login_as, patient):
    login_as(physician)
    assert died(client, patient).status_code == 302
    assert fresh(patient).contact_ended_by == physician.name


@pytest.mark.parametrize("role", [Role.ADMIN, Role.PATIENT])
def test_admins_and_patients_may_not(client, gen, login_as, patient, role):
    login_as(gen.user(role, patient=patient) if role == Role.PATIENT else gen.user(role))
    assert client.get(url(patient)).status_code == 403
    # The form's own address posted with a good CSRF token (from a page this person may open).
    response = submit(client, url(patient), {"why": "died", "died_on": clinic_today().isoformat(),
                                             "version_id": "1"}, form_page="/account/password")
    assert response.status_code == 403
    assert fresh(patient).contact_ended is None
