"""Injections the patient had elsewhere (another clinic): recorded on the patient's record through
its form, counted by the eligibility criteria for every case of the patient (caps, the interval,
a repeat's relief) with evidence that names them, making a stored verdict stale; refused input next
to its field with what was typed kept; corrected and removed only with a reason, each audited."""
from datetime import timedelta

import pytest

from tracker.extensions import db
from tracker.models import AuditEvent, CaseRow, OutsideInjection
from tracker.roles import Role
from tracker.timeutil import clinic_today
from tracker.vocab import Indication

from tests.functional.test_eligibility import case_url, criteria, documented_case, evaluate
from tests.helpers import field_error, input_value, selected, soup, submit, text

TODAY_TABLE = "Today's assessment (not recorded)"


def days_ago(n):
    return clinic_today() - timedelta(days=n)


def outside_url(patient, case=None):
    return f"/patients/{patient.id}/outside-injections" + (f"?case={case.id}" if case else "")


def entry(performed_on, side="left", indication="therapeutic", place="Riverside Pain Clinic", relief_percent="",
          relief_days="", source="patient report"):
    return {"performed_on": performed_on.isoformat() if hasattr(performed_on, "isoformat") else performed_on,
            "side": side, "indication": indication, "place": place, "relief_percent": relief_percent,
            "relief_days": relief_days, "source": source}


def stored(patient):
    db.session.expire_all()
    return db.session.execute(db.select(OutsideInjection).filter_by(patient_id=patient.id)
                              .order_by(OutsideInjection.id)).scalars().all()


@pytest.fixture
def repeat_case(gen):
    """An eviCore therapeutic case, its blocks positive (given elsewhere, recorded directly)."""
    case = documented_case(gen, indication=Indication.THERAPEUTIC, payer_profile_code="EVICORE_CMM_203", care_days=42)
    for days, indication in ((120, Indication.DIAGNOSTIC), (110, Indication.CONFIRMATORY)):
        db.session.add(OutsideInjection(patient=case.patient, performed_on=days_ago(days), side=case.side,
                                        indication=indication, place="Hillside Spine", relief_percent=90,
                                        source="letter from Dr Vance"))
    db.session.commit()
    return case


def test_an_injection_given_elsewhere_counts_towards_the_cap_and_interval_and_makes_the_verdict_stale(
        client, coordinator, repeat_case):
    case, patient = repeat_case, repeat_case.patient
    before = criteria(text(evaluate(client, case)))
    assert before["Therapeutic injections in 12 months"][1].startswith(
        "therapeutic sessions in the last 12 months: 0;")
    assert "Interval since last therapeutic injection" not in before, "nothing to space from yet"
    assert not db.session.get(CaseRow, case.id).verdict_stale

    # Recorded from the case page's link: back on the case afterwards.
    case_page = text(client.get(case_url(case)))
    assert f'href="{outside_url(patient, case)}"' in case_page
    saved = submit(client, outside_url(patient, case), entry(days_ago(40)), follow_redirects=True)
    page = text(saved)
    assert saved.status_code == 200 and "Injection given elsewhere recorded" in page
    assert f"Case {case.id} (left): its eligibility verdict no longer stands" in page
    assert "This verdict no longer stands" in page

    day = days_ago(40).isoformat()
    named = f"outside injection of {day} at Riverside Pain Clinic (patient report)"
    today = criteria(page, TODAY_TABLE)
    assert today["Therapeutic injections in 12 months"][1] == (
        f"therapeutic sessions in the last 12 months: 1; this would be 2 of 4 (left joint); counting {named}")
    status, evidence = today["Interval since last therapeutic injection"]
    assert "Not met" in status and evidence == f"40 days since {named}, needs 60 days (left)"
    # Relief not reported: the repeat's relief is unknown, never met.
    assert "Unknown" in today["Relief after last therapeutic injection"][0]
    assert today["Relief after last therapeutic injection"][1].startswith(f"after {named}: peak relief not recorded")
    # The worklist line was worked out again with the change.
    db.session.expire_all()
    assert db.session.get(CaseRow, case.id).verdict_stale
    [row] = [r for r in stored(patient) if r.place == "Riverside Pain Clinic"]
    event = db.session.execute(db.select(AuditEvent).filter_by(object_type="outside_injection",
                                                               object_id=str(row.id))).scalar_one()
    assert (event.action.value, event.user_id) == ("create", coordinator.id)

    # The patient page lists it, with where the facts come from, and counts it in the caps.
    record = text(client.get(f"/patients/{patient.id}"))
    assert "Riverside Pain Clinic" in record and "patient report" in record
    assert "1 of 4</strong> therapeutic sessions (left joint): " + day in record


def test_a_reported_relief_decides_the_repeat(client, coordinator, repeat_case):
    case = repeat_case
    submit(client, outside_url(case.patient), entry(days_ago(100), relief_percent="80", relief_days="95"))
    page = text(client.get(case_url(case)))
    status, evidence = criteria(page, TODAY_TABLE)["Relief after last therapeutic injection"]
    assert status.endswith("Met")
    assert evidence.startswith(f"after outside injection of {days_ago(100).isoformat()} at Riverside Pain Clinic "
                               "(patient report): peak relief 80%, 95 days at 80% or more")


def test_relief_longer_than_the_time_since_the_injection_is_refused_and_decides_nothing(client, coordinator,
                                                                                         repeat_case):
    # 35 days ago, a relief reported to have lasted 400 days: a typing slip, never evidence for a repeat.
    case = repeat_case
    refused = submit(client, outside_url(case.patient), entry(days_ago(35), relief_percent="60", relief_days="400"))
    page = refused.get_data(as_text=True)
    assert refused.status_code == 422
    assert field_error(page, "relief_days") == (
        "Relief cannot have lasted longer than the time since the injection: at most 35 days "
        f"(from {days_ago(35):%A, %B} {days_ago(35).day}, {days_ago(35).year} to today).")
    assert input_value(page, "relief_days") == "400" and input_value(page, "relief_percent") == "60"
    assert [row.indication for row in stored(case.patient)] == [Indication.DIAGNOSTIC, Indication.CONFIRMATORY]
    # The whole time since is possible (relief to today).
    submit(client, outside_url(case.patient), entry(days_ago(35), relief_percent="60", relief_days="35"))
    assert stored(case.patient)[-1].relief_days == 35


def test_refused_input_is_said_next_to_its_field_and_what_was_typed_is_kept(client, coordinator, gen):
    patient = gen.patient()
    born = patient.date_of_birth
    future = submit(client, outside_url(patient), entry(clinic_today() + timedelta(days=1), side="right",
                                                         place="Lakeside Clinic", relief_percent="150"))
    page = future.get_data(as_text=True)
    assert future.status_code == 422
    assert field_error(page, "performed_on") and "future" in field_error(page, "performed_on")
    assert field_error(page, "relief_percent") == "Relief is a percentage from 0 to 100."
    assert input_value(page, "place") == "Lakeside Clinic" and selected(page, "side") == "right"
    assert input_value(page, "relief_percent") == "150"

    early = submit(client, outside_url(patient), entry(born - timedelta(days=1), place=""))
    page = early.get_data(as_text=True)
    assert early.status_code == 422
    assert "before the patient was born" in field_error(page, "performed_on")
    assert field_error(page, "place") == "Say where the injection was given."
    assert stored(patient) == []


def test_correcting_or_removing_needs_a_reason_and_is_audited(client, coordinator, repeat_case):
    case, patient = repeat_case, repeat_case.patient
    submit(client, outside_url(patient), entry(days_ago(40)))
    row = [r for r in stored(patient) if r.place == "Riverside Pain Clinic"][0]
    row_id, url = row.id, f"{outside_url(patient)}/{row.id}"

    no_reason = submit(client, url, {**entry(days_ago(70)), "version_id": row.version_id, "reason": ""})
    page = no_reason.get_data(as_text=True)
    assert no_reason.status_code == 422 and field_error(page, "reason")
    assert input_value(page, "performed_on") == days_ago(70).isoformat()
    assert stored(patient)[-1].performed_on == days_ago(40)

    evaluate(client, case)
    corrected = submit(client, url, {**entry(days_ago(70)), "version_id": row.version_id,
                                     "reason": "letter from the clinic gives the date"}, follow_redirects=True)
    assert "Injection given elsewhere corrected." in text(corrected)
    assert stored(patient)[-1].performed_on == days_ago(70)
    interval = criteria(text(client.get(case_url(case))), TODAY_TABLE)["Interval since last therapeutic injection"]
    assert interval[0].endswith("Met")

    version = input_value(client.get(url).get_data(as_text=True), "version_id")
    assert version == "2"
    refused = submit(client, f"{url}/remove", {"version_id": version, "reason": ""}, form_page=url)
    assert refused.status_code == 422 and field_error(refused.get_data(as_text=True), "reason")
    removed = submit(client, f"{url}/remove", {"version_id": version,
                                               "reason": "entered on the wrong patient"}, form_page=url,
                     follow_redirects=True)
    assert "Injection given elsewhere removed." in text(removed)
    assert [r.place for r in stored(patient)] == ["Hillside Spine", "Hillside Spine"]
    events = db.session.execute(db.select(AuditEvent).filter_by(object_type="outside_injection",
                                                                object_id=str(row_id))
                                .order_by(AuditEvent.id)).scalars().all()
    assert [e.action.value for e in events] == ["create", "update", "update"]
    assert "reason: letter from the clinic gives the date" in events[1].summary
    assert "removed; reason: entered on the wrong patient" in events[2].summary
    assert {"field": "place", "old": "Riverside Pain Clinic", "new": None} in events[2].changes


@pytest.mark.parametrize("role", [Role.PATIENT, Role.ADMIN])
def test_patients_and_admins_may_not_record_one(make_client, login_as, gen, role):
    patient = gen.patient()
    user = gen.user(role, patient=patient) if role == Role.PATIENT else gen.user(role)
    client = login_as(user, on=make_client())
    assert client.get(outside_url(patient)).status_code == 403
    assert stored(patient) == []


@pytest.mark.parametrize("role", [Role.COORDINATOR, Role.PHYSICIAN])
def test_coordinators_and_physicians_record_one(make_client, login_as, gen, role):
    patient = gen.patient()
    client = login_as(gen.user(role), on=make_client())
    response = submit(client, outside_url(patient), entry(days_ago(10), indication="diagnostic"))
    assert response.status_code == 302
    assert [r.indication for r in stored(patient)] == [Indication.DIAGNOSTIC]


def test_a_merge_brings_the_injections_given_elsewhere_to_the_record_kept(client, coordinator, gen):
    from tests.functional.test_patient_merge import _caps, _merge

    kept = gen.patient(family_name="García", given_name="Lucía")
    duplicate = gen.patient(family_name="Garcia", given_name="Lucia", date_of_birth=kept.date_of_birth)
    submit(client, outside_url(duplicate), entry(days_ago(30), indication="diagnostic"))
    assert _caps(client, kept)[0].startswith("0 of 2 diagnostic")

    assert _merge(client, kept, duplicate).status_code == 302
    assert [r.place for r in stored(kept)] == ["Riverside Pain Clinic"]
    assert _caps(client, kept)[0].startswith("1 of 2 diagnostic")


def test_a_date_of_birth_after_an_injection_given_elsewhere_is_refused(client, coordinator, gen):
    patient = gen.patient()
    submit(client, outside_url(patient), entry(days_ago(30)))
    edit = client.get(f"/patients/{patient.id}/edit").get_data(as_text=True)
    data = {name: input_value(edit, name) for name in ("family_name", "given_name", "phone", "email", "version_id")}
    data.update(sex=selected(edit, "sex"), preferred_contact=selected(edit, "preferred_contact"),
                language=selected(edit, "language"),
                date_of_birth=days_ago(10).isoformat())
    refused = submit(client, f"/patients/{patient.id}/edit", data)
    assert refused.status_code == 422
    assert (f"after an injection given elsewhere, {days_ago(30).isoformat()}, the earliest date"
            in field_error(refused.get_data(as_text=True), "date_of_birth"))


def test_the_case_page_lists_the_relief_reported_and_one_day_is_a_day(client, coordinator, repeat_case):
    """The relief an outside injection gave decides a repeat: the case page says it beside the
    injection, as the patient's record does ("80 %, 1 day", never "1 days")."""
    case, patient = repeat_case, repeat_case.patient
    submit(client, outside_url(patient, case), entry(days_ago(40), relief_percent="80", relief_days="1"))

    listed = [" ".join(li.get_text().split()) for li in soup(text(client.get(case_url(case)))).select(
        "#outside-h + ul li")]
    day = days_ago(40).isoformat()
    assert f"{day}, left, therapeutic injection, at Riverside Pain Clinic (patient report); relief reported: 80 %, 1 day" \
        in listed
    # Relief recorded without its duration, or not at all, says so.
    assert any(line.endswith("relief reported: 90 %, duration not known") for line in listed)
    record = " ".join(text(client.get(f"/patients/{patient.id}")).split())
    assert "80 %, 1 day" in record and "1 days" not in record
