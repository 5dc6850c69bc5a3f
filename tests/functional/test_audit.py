"""The audit trail: what each action writes, what it never writes, the admin's page, and that
rows cannot be changed or deleted."""
import re
from datetime import date, datetime, timedelta, timezone
from urllib.parse import urlencode

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from tests.helpers import PASSWORD, input_value, sign_in, soup, submit, words
from tracker.extensions import db
from tracker.models import AuditAction, AuditEvent, Case, User
from tracker.models.audit import AuditTrailIsAppendOnly
from tracker.roles import Role
from tracker.workflow import State

IP = "203.0.113.7"


@pytest.fixture
def browser(client):
    """The test client, seen by the server as coming from a documented example address."""
    client.environ_base["REMOTE_ADDR"] = IP
    return client


def events(action=None):
    db.session.expire_all()
    query = db.select(AuditEvent).order_by(AuditEvent.id)
    if action is not None:
        query = query.filter_by(action=action)
    return db.session.execute(query).scalars().all()


def only_event(action):
    found = events(action)
    assert len(found) == 1, f"expected one {action.value} row, found {len(found)}"
    return found[0]


def assert_who(event, user, obj=None):
    assert (event.user_id, event.actor, event.role) == (user.id, user.email, user.role)
    assert event.ip == IP
    assert event.at is not None and event.at.tzinfo is not None
    if obj is not None:
        assert (event.object_type, event.object_id) == obj


# ---------------------------------------------------------------- what is written


def test_sign_in_is_audited(browser, gen):
    user = gen.user(Role.PHYSICIAN)

    sign_in(browser, user)

    assert_who(only_event(AuditAction.SIGN_IN), user, ("user", str(user.id)))


def test_failed_sign_in_is_audited_with_the_name_typed(browser, gen):
    user = gen.user(Role.PHYSICIAN)

    sign_in(browser, user, "Wrong-password-000")
    sign_in(browser, "nobody@test.clinic", "Wrong-password-000")

    wrong_password, unknown = events(AuditAction.SIGN_IN_FAILED)
    assert (wrong_password.actor, wrong_password.object_id) == (user.email, str(user.id))
    assert (unknown.actor, unknown.object_id, unknown.user_id) == ("nobody@test.clinic", None, None)
    assert wrong_password.ip == unknown.ip == IP
    assert events(AuditAction.SIGN_IN) == []


def test_sign_out_is_audited(browser, gen, login_as):
    user = gen.user(Role.COORDINATOR)
    login_as(user)

    submit(browser, "/sign-out", {}, form_page="/cases/")

    assert_who(only_event(AuditAction.SIGN_OUT), user, ("user", str(user.id)))


def test_viewing_a_case_is_audited(browser, gen, login_as):
    user = gen.user(Role.PHYSICIAN)
    case = gen.case()
    login_as(user)

    browser.get(f"/cases/{case.id}")

    assert_who(only_event(AuditAction.VIEW), user, ("case", str(case.id)))


def test_logging_a_referral_audits_the_created_patient_and_case(browser, gen, login_as):
    user = gen.user(Role.COORDINATOR)
    login_as(user)

    response = submit(browser, "/referrals/new", {
        "mrn": "A-100200", "family_name": "Okonkwo", "given_name": "Ada",
        "date_of_birth": "1970-03-14", "sex": "female", "phone": "+1 201 555 0100",
        "email": "ada@example.org", "preferred_contact": "email", "language": "English",
        "referring_clinician": "Dr Marsh",
        "referral_date": (date.today() - timedelta(days=2)).isoformat(),
        "side": "right", "indication": "diagnostic", "reason": "Buttock pain on sit-to-stand",
    })
    assert response.status_code == 302, "the referral was not accepted"

    case = db.session.execute(db.select(Case)).scalar_one()
    created = events(AuditAction.CREATE)
    assert {(e.object_type, e.object_id) for e in created} == {
        ("patient", str(case.patient_id)), ("case", str(case.id))}
    for event in created:
        assert_who(event, user)
        assert "Okonkwo" not in event.summary and "Buttock" not in event.summary


def test_updating_an_account_is_audited_with_the_fields_changed(browser, gen, login_as):
    admin = gen.user(Role.ADMIN)
    user = gen.user(Role.COORDINATOR)
    login_as(admin)
    form = browser.get(f"/admin/users/{user.id}").get_data(as_text=True)
    version = input_value(form, "version_id")

    submit(browser, f"/admin/users/{user.id}", {
        "version_id": version, "email": user.email, "name": "A New Name", "role": "physician",
        "patient_mrn": "", "active": "y",
    })

    event = only_event(AuditAction.UPDATE)
    assert_who(event, admin, ("user", str(user.id)))
    assert event.summary == "changed name, role: coordinator → physician"


def test_a_state_change_is_audited(browser, gen, login_as):
    user = gen.user(Role.COORDINATOR)
    case = gen.case(state=State.REFERRED)
    login_as(user)

    submit(browser, f"/cases/{case.id}/transition",
           {"action": "start_review", "version_id": case.version_id, "reason": ""},
           form_page=f"/cases/{case.id}")

    event = only_event(AuditAction.TRANSITION)
    assert_who(event, user, ("case", str(case.id)))
    assert event.summary == "start_review: referred → under_review"


def test_a_refused_page_is_audited_as_access_denied(browser, gen, login_as):
    user = gen.user(Role.COORDINATOR)
    login_as(user)

    assert browser.get("/admin/audit").status_code == 403

    event = only_event(AuditAction.ACCESS_DENIED)
    assert_who(event, user)
    assert event.summary == "GET /admin/audit"


def test_a_patient_asking_for_another_patients_case_is_audited(browser, gen, login_as):
    patient_user = gen.user(Role.PATIENT)
    someone_elses = gen.case()
    login_as(patient_user)

    assert browser.get(f"/my/cases/{someone_elses.id}").status_code == 404

    assert_who(only_event(AuditAction.ACCESS_DENIED), patient_user,
               ("case", str(someone_elses.id)))


def test_no_password_or_session_token_ever_reaches_the_audit_trail(browser, make_client, gen,
                                                                   login_as):
    admin = gen.user(Role.ADMIN)
    user = gen.user(Role.COORDINATOR, email="casey@test.clinic")
    secrets = {PASSWORD, "Wrong-password-000", "Sacral-ala-lateral-77", "Created-with-this-99",
               "Reset-to-this-one-55"}
    sign_in(make_client(), user, "Wrong-password-000")
    other = login_as(user, on=make_client())
    submit(other, "/account/password", {"current_password": PASSWORD,
                                        "new_password": "Sacral-ala-lateral-77",
                                        "confirm": "Sacral-ala-lateral-77"})
    login_as(admin)
    submit(browser, "/admin/users/new", {"email": "new.person@test.clinic", "name": "New Person",
                                         "role": "physician",
                                         "new_password": "Created-with-this-99"})
    submit(browser, f"/admin/users/{user.id}/password", {"new_password": "Reset-to-this-one-55"},
           form_page=f"/admin/users/{user.id}")
    cookies = {c.get_cookie("tracker_session").value for c in (browser, other)}
    db.session.expire_all()
    tokens = {u.session_token for u in db.session.execute(db.select(User)).scalars()}
    tokens |= {u.password_hash for u in db.session.execute(db.select(User)).scalars()}

    written = events()
    # failed sign-in, 2 sign-ins, password change, create, the account's page opened for the reset, reset
    assert len(written) == 7
    for event in written:
        for secret in secrets | cookies | tokens:
            assert secret not in event.summary and secret not in event.actor


# ---------------------------------------------------------------- the admin's page


def at(year, month, day, hour, minute=0):
    return datetime(year, month, day, hour, minute, tzinfo=timezone.utc)


@pytest.fixture
def trail(gen):
    """55 views of case 7 by Alice on 10 March, 3 sign-ins by Bob on 12 March (clinic time),
    and Carol's update late on 12 March in New York, which is already 13 March in UTC."""
    alice = gen.user(Role.PHYSICIAN, email="alice@test.clinic")
    bob = gen.user(Role.COORDINATOR, email="bob@test.clinic")
    carol = gen.user(Role.COORDINATOR, email="carol@test.clinic")
    rows = [AuditEvent(at=at(2026, 3, 10, 14, n % 60), user_id=alice.id, actor=alice.email,
                       role=alice.role, action=AuditAction.VIEW, object_type="case",
                       object_id="7", summary=f"view {n}") for n in range(55)]
    rows += [AuditEvent(at=at(2026, 3, 12, 13 + n), user_id=bob.id, actor=bob.email,
                        role=bob.role, action=AuditAction.SIGN_IN, object_type="user",
                        object_id=str(bob.id)) for n in range(3)]
    rows.append(AuditEvent(at=at(2026, 3, 13, 3, 30), user_id=carol.id, actor=carol.email,
                           role=carol.role, action=AuditAction.UPDATE, object_type="case",
                           object_id="8", summary="changed reason"))
    db.session.add_all(rows)
    db.session.commit()
    return {"alice": alice, "bob": bob, "carol": carol}


@pytest.fixture
def auditor(client, gen, login_as):
    return login_as(gen.user(Role.ADMIN, email="auditor@test.clinic"))


def audit_rows(client, query=""):
    html = client.get("/admin/audit" + query).get_data(as_text=True)
    body = soup(html).find("tbody")
    cells = [[cell.decode_contents() for cell in row.find_all("td")] for row in body.find_all("tr")]
    return [c for c in cells if len(c) == 7], html


def test_audit_page_shows_fifty_rows_a_page_newest_first(trail, auditor):
    first, html = audit_rows(auditor)
    second, _ = audit_rows(auditor, "?page=2")

    total = 55 + 3 + 1 + 1  # and the auditor's own sign-in
    assert len(first) == 50
    assert f"Page 1 of 2 ({total} in all)" in html
    assert len(second) == total + 1 - 50  # by then the auditor's view of page 1 is a row too
    assert first[0][1] == "auditor@test.clinic"  # newest first: the auditor signing in
    assert second[-1][6] == "view 0"


def test_audit_page_filters_by_user(trail, auditor):
    rows, _ = audit_rows(auditor, "?user=BOB@test")

    assert len(rows) == 3
    assert {r[1] for r in rows} == {"bob@test.clinic"}
    assert {r[2] for r in rows} == {"Coordinator"}


def test_audit_page_filters_by_action(trail, auditor):
    rows, _ = audit_rows(auditor, "?action=sign_in")

    assert {r[1] for r in rows} == {"bob@test.clinic", "auditor@test.clinic"}
    assert {r[3] for r in rows} == {"Sign-in"}


def test_audit_page_filters_by_object_and_keeps_the_filter_across_pages(trail, auditor):
    rows, html = audit_rows(auditor, "?object_type=case&object_id=7")
    next_link = soup(html).find("a", rel="next")["href"]
    more, _ = audit_rows(auditor, next_link.removeprefix("/admin/audit"))

    assert len(rows) == 50 and len(more) == 5
    assert {r[4] for r in rows + more} == {"case 7"}


def test_audit_page_filters_by_object_type_as_the_table_shows_it(trail, auditor):
    # "Case" (the hint's word capitalised) and "user list" (as the Object column writes user_list)
    # found no row.
    rows, _ = audit_rows(auditor, "?object_type=Case&object_id=7")
    assert len(rows) == 50 and {r[4] for r in rows} == {"case 7"}
    auditor.get("/admin/users")
    rows, _ = audit_rows(auditor, "?object_type=user+list")
    assert rows and {words(r[4]) for r in rows} == {"user list"}


def test_audit_page_filters_by_clinic_calendar_day(trail, auditor):
    twelfth, _ = audit_rows(auditor, "?date_from=2026-03-12&date_to=2026-03-12")
    thirteenth, _ = audit_rows(auditor, "?date_from=2026-03-13&date_to=2026-03-13")
    _, tenth_to_twelfth = audit_rows(auditor, "?date_from=2026-03-10&date_to=2026-03-12")

    assert sorted(r[1] for r in twelfth) == ["bob@test.clinic"] * 3 + ["carol@test.clinic"]
    assert thirteenth == []
    assert "(59 in all)" in tenth_to_twelfth


def test_audit_page_shows_who_role_action_object_and_ip(auditor, make_client, gen):
    user = gen.user(Role.PHYSICIAN, email="priya@test.clinic")
    case = gen.case()
    physician = make_client()
    physician.environ_base["REMOTE_ADDR"] = IP
    sign_in(physician, user)
    physician.get(f"/cases/{case.id}")

    rows, _ = audit_rows(auditor, f"?object_type=case&object_id={case.id}")

    assert len(rows) == 1
    when, who, role, action, obj, ip, summary = rows[0]
    assert (who, role, action, ip) == ("priya@test.clinic", "Physician", "Viewed record", IP)
    assert words(obj) == f"case {case.id} {case.patient.display_name} (MRN {case.patient.mrn})"


# ---------------------------------------------------------------- by patient


@pytest.fixture
def two_patients(gen):
    """Ana Reyes (MRN QA-7001) with cases 1 and 2 and Ben Okafor with one; a view of each record and
    case, and a row about a user."""
    ana, ben = (gen.patient(family_name="Reyes", given_name="Ana", mrn="QA-7001"),
                gen.patient(family_name="Okafor", given_name="Ben", mrn="QA-8002"))
    cases = [gen.case(patient=ana), gen.case(patient=ana), gen.case(patient=ben)]
    rows = [AuditEvent(action=AuditAction.VIEW, object_type="patient", object_id=str(p.id), summary=f"record {p.mrn}")
            for p in (ana, ben)]
    rows += [AuditEvent(action=AuditAction.VIEW, object_type="case", object_id=str(c.id), summary=f"case of {c.patient.mrn}")
             for c in cases]
    rows.append(AuditEvent(action=AuditAction.UPDATE, object_type="user", object_id=str(ana.id), summary="an account"))
    db.session.add_all(rows)
    db.session.commit()
    return ana, ben, cases


@pytest.mark.parametrize("typed", ["qa 7001", "Reyes", "reyes, ana"], ids=["MRN", "family name", "Family, Given"])
def test_the_audit_trail_filters_by_a_patient_typed_by_mrn_or_name(two_patients, auditor, typed):
    ana, _, (first, second, _) = two_patients
    page = soup(auditor.get("/admin/audit?" + urlencode({"patient": typed})).get_data(as_text=True))
    rows = [[words(td) for td in tr.find_all("td")] for tr in page.find("tbody").find_all("tr")]

    assert sorted((row[4], row[6]) for row in rows) == sorted([
        (f"patient {ana.id} Reyes, Ana (MRN QA-7001)", "record QA-7001"),
        (f"case {first.id} Reyes, Ana (MRN QA-7001)", "case of QA-7001"),
        (f"case {second.id} Reyes, Ana (MRN QA-7001)", "case of QA-7001")])
    assert page.find("input", attrs={"name": "patient"})["value"] == typed


def test_a_patient_no_record_matches_shows_no_rows(two_patients, auditor):
    page = soup(auditor.get("/admin/audit?patient=QA-9999").get_data(as_text=True))
    assert words(page.find("tbody")) == "No events match."


def test_the_audit_page_names_each_row_s_patient_in_the_same_number_of_queries(
        two_patients, auditor, gen, count_queries):
    def queries():
        with count_queries() as counter:
            assert auditor.get("/admin/audit").status_code == 200
        return counter.n

    few = queries()
    for _ in range(10):
        case = gen.case()
        db.session.add_all([AuditEvent(action=AuditAction.VIEW, object_type="case", object_id=str(case.id)),
                            AuditEvent(action=AuditAction.VIEW, object_type="patient", object_id=str(case.patient_id))])
    db.session.commit()
    page = soup(auditor.get("/admin/audit").get_data(as_text=True))

    assert queries() == few
    assert sum("(MRN " in words(tr) for tr in page.find("tbody").find_all("tr")) == 5 + 20


# ---------------------------------------------------------------- append-only


@pytest.fixture
def recorded(app_ctx, gen):
    user = gen.user(Role.COORDINATOR)
    event = AuditEvent(user_id=user.id, actor=user.email, role=user.role,
                       action=AuditAction.SIGN_IN, object_type="user", object_id=str(user.id),
                       summary="original")
    db.session.add(event)
    db.session.commit()
    return event


def test_orm_refuses_to_change_an_audit_row(recorded):
    recorded.summary = "rewritten"

    with pytest.raises(AuditTrailIsAppendOnly):
        db.session.commit()

    db.session.rollback()
    assert db.session.get(AuditEvent, recorded.id).summary == "original"


def test_orm_refuses_to_delete_an_audit_row(recorded):
    db.session.delete(recorded)

    with pytest.raises(AuditTrailIsAppendOnly):
        db.session.commit()

    db.session.rollback()
    assert db.session.get(AuditEvent, recorded.id) is not None


@pytest.mark.parametrize("statement", [
    "UPDATE audit_events SET summary = 'rewritten'",
    "UPDATE audit_events SET actor = 'someone.else@test.clinic' WHERE id = :id",
    "DELETE FROM audit_events WHERE id = :id",
    "DELETE FROM audit_events",
])
def test_database_refuses_raw_sql_that_changes_or_deletes_audit_rows(recorded, statement):
    with pytest.raises(DBAPIError, match="append-only"):
        db.session.execute(text(statement), {"id": recorded.id})
        db.session.commit()

    db.session.rollback()
    db.session.expire_all()
    kept = db.session.get(AuditEvent, recorded.id)
    assert (kept.summary, kept.actor) == ("original", recorded.actor)


@pytest.mark.parametrize("query", ["action=rewrite_history", "date_from=yesterday", "page=-1"])
def test_odd_values_typed_into_the_audit_address_do_not_break_the_page(trail, auditor, query):
    response = auditor.get("/admin/audit?" + query)

    assert response.status_code == 200
    assert "bob@test.clinic" in response.get_data(as_text=True)


# ---------------------------------------------------------------- the CSV download


def test_the_csv_download_carries_each_changes_old_and_new_value_as_the_page_shows_it(
        client, make_client, gen, login_as):
    """A referral's reason and a patient's email changed through their forms: the CSV row says what
    changed from what to what, in the page's words, not only "changed reason"."""
    import csv
    import io

    from tests.builders import REFERRAL

    login_as(gen.user(Role.COORDINATOR))
    case = gen.case(state=State.UNDER_REVIEW, reason="Confirmatory block after case #1")
    patient = case.patient
    submit(client, f"/referrals/cases/{case.id}",
           {**REFERRAL, "version_id": case.version_id, "reason": "Repeat block, pain back at week 12"})
    submit(client, f"/patients/{patient.id}/edit", {
        "family_name": patient.family_name, "given_name": patient.given_name,
        "date_of_birth": patient.date_of_birth.isoformat(), "sex": patient.sex.value if patient.sex else "",
        "phone": "(201) 555-0123", "email": "new.address@example.org", "preferred_contact": "email",
        "language": "English", "version_id": patient.version_id})
    admin = login_as(gen.user(Role.ADMIN), on=make_client())

    page = soup(admin.get("/admin/audit").get_data(as_text=True)).get_text()
    download = admin.get("/admin/audit.csv")
    rows = list(csv.reader(io.StringIO(download.get_data(as_text=True).lstrip("\ufeff"))))
    header, rows = rows[0], rows[1:]
    assert header[-1] == "Changes"
    by_object = {(row[4], row[5]): row for row in rows if row[3] == "Updated"}
    reason = "Reason: Confirmatory block after case #1 → Repeat block, pain back at week 12"
    assert reason in by_object[("case", str(case.id))][-1] and reason in page
    email_row = by_object[("patient", str(patient.id))]
    assert "Email: " in email_row[-1] and "→ new.address@example.org" in email_row[-1]
    assert all(part in page for part in email_row[-1].split("; "))


def test_the_csv_download_never_carries_a_secret_value(auditor):
    db.session.add(AuditEvent(action=AuditAction.UPDATE, object_type="user", object_id="3",
                              summary="changed password_hash, role",
                              changes=[{"field": "password_hash", "secret": True},
                                       {"field": "role", "old": "coordinator", "new": "physician"}]))
    db.session.commit()
    text = auditor.get("/admin/audit.csv").get_data(as_text=True)
    assert "Password hash: changed (not recorded); Role: coordinator → physician" in text


def test_a_filtered_audit_download_says_its_filters_in_its_file_name(auditor):
    """An extract of one user's refusals, or of one patient's rows, is never a file named as the
    whole trail; a filter refused next to its field (a To before the From) is left out of the name
    as it is of the rows."""
    def name(query):
        response = auditor.get("/admin/audit.csv" + query)
        assert response.status_code == 200
        return re.fullmatch(r'attachment; filename="([^"]+)"', response.headers["Content-Disposition"]).group(1)

    assert name("") == "audit_trail.csv"
    assert name("?user=Lena.Hart&action=access_denied&date_from=2026-12-01&date_to=2026-12-07") == \
        "audit_trail_user-lena-hart_action-access_denied_from-2026-12-01_to-2026-12-07.csv"
    assert name("?object_type=case&object_id=21&patient=N%C3%BA%C3%B1ez") == \
        "audit_trail_object-case_id-21_patient-nunez.csv"
    assert name("?date_from=2026-12-07&date_to=2026-12-01") == "audit_trail_from-2026-12-07.csv"
