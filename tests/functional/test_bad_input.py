"""Bad input is explained, never a server error: numbers beyond the database's range in an address,
dates with impossible years, dates in a patient's story before they were born."""
from datetime import date

import pytest

from tracker.extensions import db
from tracker.models import AuditAction, AuditEvent, Case, ConservativeCare, Examination, Patient, RiskScreen
from tracker.roles import Role
from tracker.workflow import State

from tests.builders import PATIENT, REFERRAL
from tests.helpers import field_error, input_by_id, submit, table_rows, text

OUT_OF_RANGE = "Enter a date between 1900 and 2100"
BORN = date(1970, 3, 14)  # PATIENT's date of birth


def typed_value(page, field_id):
    return input_by_id(page, field_id).get("value")


def count(model):
    db.session.expire_all()
    return db.session.execute(db.select(db.func.count(model.id))).scalar()


@pytest.fixture
def case(gen):
    return gen.case(patient=gen.patient(date_of_birth=BORN), state=State.UNDER_REVIEW)


# ---------------------------------------------------------------- page numbers

@pytest.mark.parametrize("url, role", [("/admin/users", Role.ADMIN), ("/admin/audit", Role.ADMIN),
                                       ("/cases/", Role.COORDINATOR),
                                       ("/cases/physician", Role.PHYSICIAN)])
@pytest.mark.parametrize("page", [str(10**30), str(2**31), "0", "x"])
def test_a_page_number_that_is_no_page_shows_the_first_page(client, gen, login_as, url, role, page):
    user = gen.user(role, name="Ada User")
    gen.case(state=State.NOT_ELIGIBLE, physician_id=user.id)
    login_as(user)
    first = rows_seen(text(client.get(url)))

    response = client.get(f"{url}?page={page}")

    assert response.status_code == 200
    assert rows_seen(text(response)) == first and first


def rows_seen(page):
    """The table's rows but the audit page's own: each opening of the audit trail is a row of it
    ("viewed audit trail page 1"), the newest on the next opening."""
    return [row for row in table_rows(page) if not any("viewed audit trail page" in cell for cell in row)]


def test_a_page_past_the_last_shows_the_last_page_not_an_empty_one(client, gen, login_as, app,
                                                                 monkeypatch):
    monkeypatch.setitem(app.config, "PER_PAGE", 2)
    coordinator = login_as(gen.user(Role.COORDINATOR))
    for _ in range(3):
        gen.case(state=State.UNDER_REVIEW)
    page = text(coordinator.get("/cases/?page=3"))
    assert "Page 2 of 2" in page and "Page 3" not in page
    assert len(table_rows(page)) == 1


# ---------------------------------------------------------------- dates out of range

def _new_patient_referral(gen):
    return "/referrals/new", {**PATIENT, **REFERRAL}, Patient


def _existing_patient_referral(gen):
    patient = gen.patient(date_of_birth=BORN)
    return f"/referrals/patients/{patient.id}/new", dict(REFERRAL), Case


def _therapy(gen):
    case = gen.case(patient=gen.patient(date_of_birth=BORN), state=State.UNDER_REVIEW)
    return (f"/cases/{case.id}/conservative-care", {"kind": "physical_therapy", "start_date": "2025-01-06",
            "end_date": "2025-03-03", "response": "none", "details": ""}, ConservativeCare)


def _examination(gen):
    case = gen.case(patient=gen.patient(date_of_birth=BORN), state=State.UNDER_REVIEW)
    return (f"/cases/{case.id}/examination", {"examined_on": "2025-01-06", "pain_below_l5": "yes",
            "radicular_signs": "no", "baseline_nrs": "6", "version_id": ""}, Examination)


DATE_FIELDS = [
    (_new_patient_referral, "date_of_birth"),
    (_new_patient_referral, "referral_date"),
    (_new_patient_referral, "symptom_onset"),
    (_existing_patient_referral, "referral_date"),
    (_existing_patient_referral, "symptom_onset"),
    (_therapy, "start_date"),
    (_therapy, "end_date"),
    (_examination, "examined_on"),
]


@pytest.mark.parametrize("form, field", DATE_FIELDS, ids=[f"{f.__name__[1:]}-{n}" for f, n in DATE_FIELDS])
@pytest.mark.parametrize("typed", ["9999-12-31", "0001-01-01", "1899-12-31", "2101-01-01"])
def test_a_date_with_an_impossible_year_is_explained_next_to_its_field(client, coordinator, gen,
                                                                       form, field, typed):
    url, data, saved_model = form(gen)
    before = count(saved_model)

    response = submit(client, url, {**data, field: typed})

    page = text(response)
    assert response.status_code == 422
    assert field_error(page, field) == (
        f"Enter a date between 1900 and 2100 (the year {int(typed[:4])} looks like a typing slip).")
    assert typed_value(page, field) == typed
    assert count(saved_model) == before


def test_a_date_of_birth_making_the_patient_older_than_120_is_refused_as_a_slip_in_the_year(
        client, coordinator, gen):
    """Walkthrough: 1900-01-01 was taken for a booked patient (126 years old)."""
    from tracker.timeutil import clinic_today
    url, data, _ = _new_patient_referral(gen)
    today = clinic_today()
    # (The 28th at most: a 29 February has no day in most years.)
    too_old = date(today.year - 121, today.month, min(today.day, 28))

    response = submit(client, url, {**data, "date_of_birth": too_old.isoformat()})

    assert response.status_code == 422
    assert field_error(text(response), "date_of_birth") == "That would make the patient 121 years old; check the year."
    assert typed_value(text(response), "date_of_birth") == too_old.isoformat()
    oldest = date(today.year - 120, today.month, min(today.day, 28))
    assert submit(client, url, {**data, "date_of_birth": oldest.isoformat()}).status_code == 302
    assert db.session.execute(db.select(Patient.date_of_birth)).scalar_one() == oldest


@pytest.mark.parametrize("param", ["date_from", "date_to"])
@pytest.mark.parametrize("typed", ["9999-12-31", "0001-01-01"])
def test_an_impossible_audit_date_filter_is_explained_and_left_out(client, gen, login_as, param, typed):
    admin = login_as(gen.user(Role.ADMIN))
    unfiltered = rows_seen(text(admin.get("/admin/audit")))

    response = admin.get(f"/admin/audit?{param}={typed}")

    page = text(response)
    assert response.status_code == 200
    assert field_error(page, param).startswith(OUT_OF_RANGE)
    assert typed_value(page, param) == typed
    assert rows_seen(page) == unfiltered and unfiltered  # the date is left out, not matched


def test_an_audit_date_range_that_ends_before_it_starts_is_named_next_to_the_to_date(client, gen, login_as):
    admin = login_as(gen.user(Role.ADMIN))

    response = admin.get("/admin/audit?date_from=2026-12-05&date_to=2026-11-05")

    page = text(response)
    assert response.status_code == 200
    assert field_error(page, "date_to") == ("The period ends (2026-11-05) before it starts (2026-12-05); "
                                            "check the two dates.")
    assert typed_value(page, "date_from") == "2026-12-05" and typed_value(page, "date_to") == "2026-11-05"
    # The To date is left out, as an impossible date is: the list is the From date's.
    assert rows_seen(text(admin.get("/admin/audit?date_from=2026-12-05"))) == rows_seen(page)


@pytest.mark.parametrize("query,said", [
    ("date_from=2026-12-05&date_to=2026-11-05", "date_from=2026-12-05"),
    ("date_from=9999-12-31&action=sign_in", "action=sign_in"),
])
def test_the_audit_download_records_only_the_filters_it_applied(client, gen, login_as, query, said):
    admin = login_as(gen.user(Role.ADMIN))

    assert admin.get(f"/admin/audit.csv?{query}").status_code == 200

    export = db.session.execute(db.select(AuditEvent).filter_by(action=AuditAction.EXPORT)).scalar_one()
    assert export.summary == f"exported audit trail as CSV ({said})"


def test_an_impossible_birth_date_in_the_patient_search_is_explained_and_left_out(client, coordinator, gen):
    gen.patient(family_name="Lindqvist", date_of_birth=BORN)

    response = client.get("/referrals/find?q=lind&date_of_birth=0001-01-01")

    page = text(response)
    assert response.status_code == 200
    assert field_error(page, "date_of_birth").startswith(OUT_OF_RANGE)
    assert "1 patient found" in page and "Lindqvist" in page


# ---------------------------------------------------------------- before the date of birth

BEFORE_BIRTH = "This date is before the patient was born (1970-03-14); check the day, month and year."


@pytest.mark.parametrize("form, field", [
    (_new_patient_referral, "referral_date"),
    (_new_patient_referral, "symptom_onset"),
    (_existing_patient_referral, "referral_date"),
    (_existing_patient_referral, "symptom_onset"),
    (_therapy, "start_date"),
    (_examination, "examined_on"),
], ids=lambda v: v if isinstance(v, str) else v.__name__[1:])
def test_a_date_in_the_patients_story_before_their_birth_is_refused(client, coordinator, gen, form, field):
    url, data, saved_model = form(gen)
    data = {**data, "symptom_onset": "", field: "1970-03-13"}
    if field == "start_date":
        data["end_date"] = ""

    response = submit(client, url, data)

    page = text(response)
    assert response.status_code == 422
    assert field_error(page, field) == BEFORE_BIRTH
    assert typed_value(page, field) == "1970-03-13"
    assert count(saved_model) == 0


def test_a_symptom_onset_on_the_day_of_birth_is_accepted(client, coordinator, gen):
    url, data, _ = _existing_patient_referral(gen)

    response = submit(client, url, {**data, "symptom_onset": BORN.isoformat()})

    assert response.status_code == 302
    assert count(Case) == 1


def test_editing_a_referral_checks_the_patients_date_of_birth(client, coordinator, case):
    response = submit(client, f"/referrals/cases/{case.id}",
                      {**REFERRAL, "symptom_onset": "1969-12-31", "version_id": case.version_id})

    assert response.status_code == 422
    assert field_error(text(response), "symptom_onset") == BEFORE_BIRTH


# ---------------------------------------------------------------- whole numbers

def _risk_screen(gen):
    case = gen.case(patient=gen.patient(date_of_birth=BORN), state=State.UNDER_REVIEW)
    return (f"/cases/{case.id}/risk-screen", {"anticoagulant_answer": "taking", "anticoagulants": "apixaban 5 mg",
            "anticoagulant_hold_days": "2", "allergy_answer": "nkda", "pregnancy": "not_applicable",
            "version_id": ""}, RiskScreen)


@pytest.mark.parametrize("form, field, typed, said", [
    (_examination, "baseline_nrs", "7.5", "Enter a whole number, without decimals. Pain is scored from 0 (no pain) "
                                          "to 10 (worst imaginable)."),
    (_risk_screen, "anticoagulant_hold_days", "2.5", "Enter a whole number, without decimals. Give the days without "
                                                     "a dose, from 0 (keep taking it) to 30."),
], ids=["baseline pain", "hold days"])
def test_a_number_with_decimals_where_a_whole_number_is_asked_says_so_next_to_the_field(
        client, coordinator, gen, form, field, typed, said):
    # A clinician types "7.5" for a pain between 7 and 8: WTForms' "Not a valid integer value" did
    # not say what to type instead.
    url, data, saved_model = form(gen)

    response = submit(client, url, {**data, field: typed})

    page = text(response)
    assert response.status_code == 422
    assert field_error(page, field) == said
    assert typed_value(page, field) == typed
    assert count(saved_model) == 0
