"""Every page that shows a patient's identifying details writes a 'viewed' audit row: a page about
one patient names that patient (or case); a list (worklist, search results) writes one row naming
the list and its filters, whatever the number of patients on it."""
import pytest

from datetime import datetime, timedelta, timezone

from tests.builders import diary_case
from tests.functional.test_procedure_checklist import answered
from tests.helpers import form_data, form_posting_to, text
from tracker.extensions import db
from tracker.models import AuditAction, AuditEvent
from tracker.roles import Role
from tracker.workflow import State


def views():
    db.session.expire_all()
    return db.session.execute(db.select(AuditEvent).filter_by(action=AuditAction.VIEW)
                              .order_by(AuditEvent.id)).scalars().all()


def only_view(user):
    found = views()
    assert len(found) == 1, [(e.object_type, e.object_id, e.summary) for e in found]
    event = found[0]
    assert (event.user_id, event.role) == (user.id, user.role)
    return event


@pytest.mark.parametrize("url,summary", [
    ("/patients/{id}/edit", "viewed patient details (correction form)"),
    ("/referrals/patients/{id}/new", "viewed patient details (new referral)"),
])
def test_opening_a_form_that_shows_a_patients_details_is_audited_as_a_view(client, coordinator, gen, url, summary):
    patient = gen.patient()

    assert client.get(url.format(id=patient.id)).status_code == 200

    event = only_view(coordinator)
    assert (event.object_type, event.object_id, event.summary) == ("patient", str(patient.id), summary)


@pytest.mark.parametrize("url,summary", [
    ("/referrals/find?q=Lindqvist", "viewed referral search results: 3 patients (q=Lindqvist)"),
    ("/search?q=lindqvist", "viewed patient search results: 3 patients (q=lindqvist)"),
])
def test_a_search_writes_one_row_naming_the_search_and_how_many_it_listed(client, coordinator, gen, url, summary):
    for n in range(3):
        gen.patient(family_name=f"Lindqvist{n}")

    assert client.get(url).status_code == 200

    event = only_view(coordinator)
    assert (event.object_type, event.object_id, event.summary) == ("patient_search", None, summary)


@pytest.mark.parametrize("url", ["/referrals/find", "/search"])
def test_a_search_page_before_a_search_writes_nothing(client, coordinator, url):
    assert client.get(url).status_code == 200
    assert views() == []


def test_the_worklist_writes_one_row_naming_its_filters(client, coordinator, gen):
    for _ in range(3):
        gen.case(state=State.UNDER_REVIEW)

    assert client.get("/cases/?state=under_review&side=left").status_code == 200

    event = only_view(coordinator)
    assert (event.object_type, event.object_id) == ("worklist", None)
    assert event.summary.startswith("viewed worklist page 1: 3 cases (")
    assert "state=under_review" in event.summary and "side=left" in event.summary


@pytest.mark.parametrize("url", ["/cases/", "/referrals/find?q=Family", "/search?q=Family"])
def test_a_list_writes_a_single_insert_however_many_patients_it_shows(client, coordinator, gen, count_queries, url):
    for _ in range(12):
        gen.case(state=State.UNDER_REVIEW)
    with count_queries() as counter:
        assert client.get(url).status_code == 200
    inserts = [s for s in counter.statements if s.lstrip().upper().startswith("INSERT")]
    assert len(inserts) == 1 and "audit" in inserts[0].lower()


def test_the_physicians_list_writes_one_row(client, gen, login_as):
    physician = gen.user(Role.PHYSICIAN)
    gen.case(state=State.UNDER_REVIEW, physician_id=physician.id)
    login_as(physician)

    assert client.get("/cases/physician").status_code == 200

    event = only_view(physician)
    assert (event.object_type, event.object_id) == ("worklist", None)
    assert event.summary == "viewed physician's list page 1: 1 case"


@pytest.mark.parametrize("page", ["referral", "book"])
def test_the_referral_and_booking_forms_of_a_case_are_audited_as_views_of_the_case(client, coordinator, gen, page):
    case = gen.case(state=State.ELIGIBLE)
    url = f"/referrals/cases/{case.id}" if page == "referral" else f"/cases/{case.id}/book"

    assert client.get(url).status_code == 200

    event = only_view(coordinator)
    assert (event.object_type, event.object_id) == ("case", str(case.id))
    assert event.summary == ("viewed referral form" if page == "referral" else "viewed booking form")


def test_the_overdue_diaries_list_writes_one_row(client, coordinator, gen):
    for _ in range(2):
        diary_case(gen, patient=gen.patient(email="p@home.example"), injected_ago=timedelta(days=3))

    assert client.get("/diaries/overdue").status_code == 200

    event = only_view(coordinator)
    assert (event.object_type, event.object_id) == ("worklist", None)
    assert event.summary == "viewed overdue diaries page 1: 2 cases"


def ready_to_start(gen, physician):
    """A case booked with `physician` a few minutes ago, ready for its procedure to start."""
    case = gen.case(state=State.SCHEDULED, physician_id=physician.id)
    answered(gen, case)  # readiness waits for the risk screen's answers on blood thinners and allergies
    gen.appointment(case, physician=physician, starts_at=datetime.now(timezone.utc) - timedelta(minutes=5),
                    consent_obtained=True, day_of_check_done=True)
    return case


def test_the_procedure_start_warning_is_audited_as_a_view_of_the_case_naming_the_procedure_it_shows(
        client, gen, login_as):
    physician = gen.user(Role.PHYSICIAN)
    running = gen.procedure(physician=physician, patient=gen.patient(family_name="Okafor", mrn="RUN-1"))
    case = ready_to_start(gen, physician)
    login_as(physician)
    start = f"/cases/{case.id}/procedure/start"
    case_page = text(client.get(f"/cases/{case.id}"))
    before = len(views())

    response = client.post(start, data=form_data(form_posting_to(case_page, start)))

    assert response.status_code == 409 and "RUN-1" in text(response)
    assert [(e.object_type, e.object_id, e.user_id, e.summary) for e in views()[before:]] == [
        ("case", str(case.id), physician.id, f"viewed procedure start warning (shows case {running.case_id} in progress)")]


def test_the_start_warning_shown_again_names_the_procedure_started_meanwhile_so_writes_again(client, gen, login_as):
    # Sent from the warning, the start is refused again only for a procedure she has not seen
    # there (started meanwhile, from a second tab): the page shown again names a new patient.
    physician = gen.user(Role.PHYSICIAN)
    first = gen.procedure(physician=physician)
    case = ready_to_start(gen, physician)
    login_as(physician)
    start = f"/cases/{case.id}/procedure/start"
    warning = text(client.post(start, data=form_data(form_posting_to(text(client.get(f"/cases/{case.id}")), start))))
    second = gen.procedure(physician=physician)
    before = len(views())

    response = client.post(start, data=form_data(form_posting_to(warning, start)))

    assert response.status_code == 409
    assert [(e.object_id, e.summary) for e in views()[before:]] == [
        (str(case.id), f"viewed procedure start warning (shows cases {first.case_id}, {second.case_id} in progress)")]


def test_the_users_list_writes_one_row_naming_its_filters(client, admin, gen):
    for n in range(3):
        gen.user(Role.PATIENT, name=f"Pat Lindqvist{n}", patient=gen.patient(family_name=f"Lindqvist{n}"))
    gen.user(Role.COORDINATOR, name="Lindqvist Staff")

    response = client.get("/admin/users?role=patient&q=lindqvist")

    assert response.status_code == 200 and "Pat Lindqvist0" in text(response)
    event = only_view(admin)
    assert (event.object_type, event.object_id) == ("user_list", None)
    assert event.summary == "viewed users page 1: 3 accounts (role=patient, q=lindqvist)"


def test_the_users_list_writes_a_single_insert_however_many_patient_accounts_it_shows(
        client, admin, gen, count_queries):
    for n in range(12):
        gen.user(Role.PATIENT, patient=gen.patient())
    with count_queries() as counter:
        assert client.get("/admin/users").status_code == 200
    inserts = [s for s in counter.statements if s.lstrip().upper().startswith("INSERT")]
    assert len(inserts) == 1 and "audit" in inserts[0].lower()


@pytest.mark.parametrize("linked", [True, False])
def test_an_accounts_page_is_audited_as_a_view_of_the_account(client, admin, gen, linked):
    patient = gen.patient() if linked else None
    account = gen.user(Role.PATIENT, patient=patient) if linked else gen.user(Role.COORDINATOR)

    assert client.get(f"/admin/users/{account.id}").status_code == 200

    event = only_view(admin)
    assert (event.object_type, event.object_id) == ("user", str(account.id))
    assert event.summary == (f"viewed account (linked to patient {patient.id})" if linked else "viewed account")


def test_the_reports_page_writes_one_row_naming_the_patients_it_lists_at_their_cap(client, coordinator, gen):
    """The Caps report lists patients by name and MRN: opening the page is a view of that list, one
    row (one INSERT) however many it names, with the report's filters; a refused filter lists nobody."""
    from tracker.models import OutsideInjection
    from tracker.timeutil import clinic_today
    from tracker.vocab import Indication

    for family in ("Capped", "Capstone"):
        case = gen.case(state=State.ELIGIBLE, patient=gen.patient(family_name=family))
        for days in (30, 90):
            db.session.add(OutsideInjection(patient=case.patient, performed_on=clinic_today() - timedelta(days=days),
                                            side="left", indication=Indication.DIAGNOSTIC, place="Hillside Spine",
                                            source="letter"))
    db.session.commit()

    page = text(client.get("/reports?side=left"))
    assert "Capped" in page and "Capstone" in page
    event = only_view(coordinator)
    assert (event.object_type, event.object_id) == ("reports", None)
    assert event.summary.startswith("viewed reports: 2 patients at or near their cap (period ")
    assert event.summary.endswith(", side left)")

    assert client.get("/reports?side=up").status_code == 422
    assert len(views()) == 1


@pytest.mark.parametrize("page", ["phone", "correct"])
def test_the_staff_phone_entry_and_correction_pages_are_audited_as_views_of_the_case(client, coordinator, gen, page):
    # Both show the patient's name and MRN with their diary's scores (README: every page that shows a
    # patient's name, MRN or date of birth writes a "view" row).
    from tests.builders import enter
    from tracker.models import DiaryEntry

    case = diary_case(gen)
    enter(case, "d1")
    entry = db.session.execute(db.select(DiaryEntry).filter_by(case_id=case.id)).scalar_one()
    url = (f"/cases/{case.id}/diary/phone" if page == "phone"
           else f"/cases/{case.id}/diary/entries/{entry.id}/correct")

    response = client.get(url)

    assert response.status_code == 200 and case.patient.mrn in response.get_data(as_text=True)
    event = only_view(coordinator)
    assert (event.object_type, event.object_id) == ("case", str(case.id))


def test_the_audit_trail_page_writes_one_row_naming_its_filters(client, admin, gen):
    """The audit page names the patient of each row about a record or a case (name and MRN) and
    shows an edit's old and new values: opening it is a view of them, one row for the page as the
    users list writes (its CSV download was audited, the page itself left no trace)."""
    case = gen.case(patient=gen.patient(family_name="Lindqvist", mrn="QA-7101"))
    db.session.add(AuditEvent(action=AuditAction.UPDATE, object_type="case", object_id=str(case.id),
                              summary="referral edited"))
    db.session.commit()

    response = client.get("/admin/audit?patient=lindqvist")

    assert response.status_code == 200 and "MRN QA-7101" in text(response)
    event = only_view(admin)
    assert (event.object_type, event.object_id) == ("audit_trail", None)
    assert event.summary == "viewed audit trail page 1: 1 event (patient=lindqvist)"
