"""Admins manage accounts through the real forms: create, edit, deactivate, reset passwords."""
import re
from datetime import date
from html.parser import HTMLParser

import pytest

from tests.builders import commit_elsewhere
from tests.helpers import (PASSWORD, field_error, form_data, form_posting_to, input_value, is_checked, links,
                           sign_in, soup, submit, words)
from tracker.admin import services
from tracker.extensions import db
from tracker.models import AuditAction, AuditEvent, User
from tracker.passwords import hash_password
from tracker.roles import Role

NEW_PASSWORD = "Sacral-ala-lateral-77"
HOMES = {
    Role.ADMIN: "/admin/users",
    Role.COORDINATOR: "/cases/",
    Role.PHYSICIAN: "/cases/physician",
    Role.PATIENT: "/my/",
}


class FormValues(HTMLParser):
    """What a browser would send for the form posting to `action`: its current field values."""

    def __init__(self, action):
        super().__init__()
        self.action, self.inside, self.select, self.values = action, False, None, {}

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.inside = attrs.get("action") == self.action
        elif not self.inside:
            return
        elif tag == "input" and attrs.get("name") and attrs.get("type") != "submit":
            if attrs.get("type") == "checkbox":
                if "checked" in attrs:
                    self.values[attrs["name"]] = attrs.get("value", "y")
            else:
                self.values[attrs["name"]] = attrs.get("value", "")
        elif tag == "select":
            self.select = attrs["name"]
        elif tag == "option" and self.select and "selected" in attrs:
            self.values[self.select] = attrs["value"]

    def handle_endtag(self, tag):
        if tag == "form":
            self.inside = False
        elif tag == "select":
            self.select = None


def form_values(client, page, action):
    parser = FormValues(action)
    parser.feed(client.get(page).get_data(as_text=True))
    return parser.values


def save_user(client, user_id, form=None, **changes):
    """Post the edit form as the browser shows it, with `changes` typed in (None unticks a box)."""
    url = f"/admin/users/{user_id}"
    values = dict(form if form is not None else form_values(client, url, url))
    for name, value in changes.items():
        if value is None:
            values.pop(name, None)
        else:
            values[name] = value
    return client.post(url, data=values)


def user_by_email(email):
    db.session.expire_all()
    return db.session.execute(db.select(User).filter_by(email=email)).scalar_one_or_none()


# ---------------------------------------------------------------- creating


@pytest.mark.parametrize("role", [Role.ADMIN, Role.COORDINATOR, Role.PHYSICIAN])
def test_admin_creates_a_staff_account_that_can_sign_in(admin_client, make_client, role):
    response = submit(admin_client, "/admin/users/new", {
        "email": "New.Person@Test.Clinic", "name": "New Person", "role": role.value,
        "new_password": NEW_PASSWORD,
    }, follow_redirects=True)

    assert "Account created for New Person." in response.get_data(as_text=True)
    created = user_by_email("new.person@test.clinic")
    assert created.role == role and created.active
    signed_in = sign_in(make_client(), "new.person@test.clinic", NEW_PASSWORD)
    assert signed_in.location == HOMES[role]


def test_admin_creates_a_patient_account_linked_to_an_existing_record(admin_client, make_client,
                                                                      gen):
    patient = gen.patient(mrn="MRN-4242", family_name="Okafor", given_name="Grace", date_of_birth=date(1971, 5, 2))

    response = submit(admin_client, "/admin/users/new", {
        "email": "grace@patients.clinic", "name": "Grace Okafor", "role": "patient",
        "patient_mrn": "MRN-4242", "new_password": NEW_PASSWORD,
    }, follow_redirects=True)

    assert "Account created for Grace Okafor, linked to the record of Okafor, Grace, born 1971-05-02 " \
           "(MRN-4242)." in words(response)
    assert user_by_email("grace@patients.clinic").patient_id == patient.id
    assert sign_in(make_client(), "grace@patients.clinic", NEW_PASSWORD).location == "/my/"


@pytest.mark.parametrize("mrn, message", [
    ("", "A patient account needs the patient's medical record number."),
    ("MRN-NOBODY", "No patient has this medical record number."),
])
def test_patient_account_needs_an_existing_mrn(admin_client, gen, mrn, message):
    response = submit(admin_client, "/admin/users/new", {
        "email": "grace@patients.clinic", "name": "Grace Okafor", "role": "patient",
        "patient_mrn": mrn, "new_password": NEW_PASSWORD,
    })

    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert field_error(html, "patient_mrn") == message
    assert user_by_email("grace@patients.clinic") is None


def test_an_mrn_typed_for_a_staff_account_is_questioned_not_dropped(admin_client, gen):
    response = submit(admin_client, "/admin/users/new", {
        "email": "casey@clinic.org", "name": "Casey Coordinator", "role": "coordinator",
        "patient_mrn": "MRN-4242", "new_password": NEW_PASSWORD,
    })

    html = response.get_data(as_text=True)
    assert field_error(html, "patient_mrn").startswith("Only a patient account is linked to a medical record number")
    assert input_value(html, "patient_mrn") == "MRN-4242" and user_by_email("casey@clinic.org") is None


def test_patient_record_gets_at_most_one_account(admin_client, gen):
    owner = gen.user(Role.PATIENT)

    response = submit(admin_client, "/admin/users/new", {
        "email": "second@patients.clinic", "name": "Second Account", "role": "patient",
        "patient_mrn": owner.patient.mrn, "new_password": NEW_PASSWORD,
    })

    assert field_error(response.get_data(as_text=True), "patient_mrn") == \
        "This patient already has an account."
    assert user_by_email("second@patients.clinic") is None


@pytest.mark.parametrize("typed", ["taken@test.clinic", "Taken@Test.Clinic"])
def test_duplicate_email_is_refused_next_to_the_field_and_typed_values_are_kept(admin_client,
                                                                                gen, typed):
    gen.user(Role.COORDINATOR, email="taken@test.clinic", name="First Owner")

    response = submit(admin_client, "/admin/users/new", {
        "email": typed, "name": "Second Person", "role": "physician",
        "new_password": NEW_PASSWORD,
    })

    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert field_error(html, "email") == "Another account already uses this email address."
    assert input_value(html, "email") == typed
    assert input_value(html, "name") == "Second Person"
    assert '<option selected value="physician">' in html
    assert NEW_PASSWORD not in html  # a password is never sent back to the browser
    assert user_by_email("taken@test.clinic").name == "First Owner"


@pytest.mark.parametrize("data, field, message", [
    ({"email": ""}, "email", "Enter an email address."),
    ({"email": "not-an-email"}, "email", "Enter a valid email address."),
    ({"name": ""}, "name", "Enter the person's name."),
    ({"new_password": "Short-pw-1"}, "new_password", "Use at least 12 characters"),
    ({"new_password": "Password2024!"}, "new_password", "too common"),
    ({"new_password": "new.person-secret"}, "new_password", "Do not use your email address"),
])
def test_bad_input_on_the_new_user_form_is_explained_and_creates_nothing(admin_client, data,
                                                                         field, message):
    values = {"email": "new.person@test.clinic", "name": "New Person", "role": "coordinator",
              "new_password": NEW_PASSWORD, **data}

    response = submit(admin_client, "/admin/users/new", values)

    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert message in field_error(html, field)
    assert input_value(html, "name") == values["name"]
    assert db.session.scalar(db.select(db.func.count()).select_from(User)) == 1  # only the admin


# ---------------------------------------------------------------- editing


def test_admin_edits_name_email_and_role(admin_client, make_client, gen):
    user = gen.user(Role.COORDINATOR, name="Casey Old")

    response = save_user(admin_client, user.id, name="Casey New", email="casey.new@test.clinic",
                         role="physician")

    assert response.status_code == 302
    listing = admin_client.get("/admin/users").get_data(as_text=True)
    assert "Account saved." in listing and "Casey New" in listing
    db.session.expire_all()
    saved = db.session.get(User, user.id)
    assert (saved.name, saved.email, saved.role) == ("Casey New", "casey.new@test.clinic",
                                                     Role.PHYSICIAN)
    assert sign_in(make_client(), "casey.new@test.clinic").location == HOMES[Role.PHYSICIAN]


def test_edit_form_shows_the_current_values(admin_client, gen):
    patient_user = gen.user(Role.PATIENT, name="Grace Okafor")

    values = form_values(admin_client, f"/admin/users/{patient_user.id}",
                         f"/admin/users/{patient_user.id}")

    assert values["name"] == "Grace Okafor"
    assert values["role"] == "patient"
    assert values["patient_mrn"] == patient_user.patient.mrn
    assert values["active"] == "y"


def test_a_taken_email_is_named_in_the_same_refusal_as_a_short_password(admin_client, gen):
    """Both problems of a new account at once: the admin is not sent back for the password, told
    only then that the email is taken, and made to type the password (never shown again) twice more."""
    gen.user(Role.COORDINATOR, email="taken@test.clinic", name="First Owner")

    response = submit(admin_client, "/admin/users/new", {
        "email": "Taken@Test.Clinic", "name": "Róisín O'Neill", "role": "coordinator", "new_password": "short",
    })

    html = response.get_data(as_text=True)
    assert field_error(html, "new_password") is not None
    assert field_error(html, "email") == "Another account already uses this email address."


def test_edit_refuses_an_email_another_account_uses(admin_client, gen):
    gen.user(Role.COORDINATOR, email="taken@test.clinic")
    user = gen.user(Role.PHYSICIAN, email="mine@test.clinic", name="Dr Mine")

    response = save_user(admin_client, user.id, email="taken@test.clinic", name="Dr Renamed")

    html = response.get_data(as_text=True)
    assert field_error(html, "email") == "Another account already uses this email address."
    assert input_value(html, "name") == "Dr Renamed"
    assert user_by_email("mine@test.clinic").name == "Dr Mine"


def test_changing_role_signs_the_person_out(admin_client, make_client, gen, login_as):
    user = gen.user(Role.PHYSICIAN)
    gen.user(Role.PHYSICIAN)  # another to book
    their_browser = login_as(user, on=make_client())

    save_user(admin_client, user.id, role="coordinator")

    assert their_browser.get("/cases/physician").location.startswith("/sign-in")


def test_deactivated_user_is_signed_out_on_next_request_and_cannot_sign_in(admin_client,
                                                                           make_client, gen,
                                                                           login_as):
    user = gen.user(Role.COORDINATOR)
    their_browser = login_as(user, on=make_client())
    assert their_browser.get("/cases/").status_code == 200

    response = save_user(admin_client, user.id, active=None)

    assert response.status_code == 302
    assert their_browser.get("/cases/").location.startswith("/sign-in")
    refused = sign_in(make_client(), user)
    assert refused.status_code == 200
    assert field_error(refused.get_data(as_text=True), "password") == \
        "The email or password is not correct. Check both and try again."
    listing = admin_client.get("/admin/users?status=inactive").get_data(as_text=True)
    assert user.name in listing and "Deactivated" in listing


def test_reactivated_user_can_sign_in_again(admin_client, make_client, gen):
    user = gen.user(Role.COORDINATOR, active=False)

    save_user(admin_client, user.id, active="y")

    assert sign_in(make_client(), user).status_code == 302


def test_admin_cannot_remove_own_admin_role(admin_client, admin_account):
    response = save_user(admin_client, admin_account.id, role="coordinator")

    assert response.status_code == 200
    assert field_error(response.get_data(as_text=True), "role") == \
        "You cannot remove your own admin access; ask another admin."
    assert user_by_email(admin_account.email).role == Role.ADMIN
    assert admin_client.get("/admin/users").status_code == 200


def test_admin_cannot_deactivate_own_account(admin_client, admin_account):
    response = save_user(admin_client, admin_account.id, active=None)

    assert field_error(response.get_data(as_text=True), "active") == \
        "You cannot remove your own admin access; ask another admin."
    assert user_by_email(admin_account.email).active
    assert admin_client.get("/admin/users").status_code == 200


def test_another_admin_can_change_an_admins_role(admin_account, make_client, gen, login_as):
    second = login_as(gen.user(Role.ADMIN), on=make_client())

    response = save_user(second, admin_account.id, role="coordinator")

    assert response.status_code == 302
    assert user_by_email(admin_account.email).role == Role.COORDINATOR


def test_second_of_two_concurrent_edits_is_refused_and_the_first_is_kept(admin_account, make_client,
                                                                         gen, login_as):
    user = gen.user(Role.COORDINATOR, name="Casey Original")
    first = login_as(admin_account, on=make_client())
    second = login_as(gen.user(Role.ADMIN), on=make_client())
    url = f"/admin/users/{user.id}"
    first_form, second_form = form_values(first, url, url), form_values(second, url, url)

    assert save_user(first, user.id, form=first_form, name="Casey First").status_code == 302
    response = save_user(second, user.id, form=second_form, name="Casey Second",
                         role="physician")

    html = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "Someone else changed this account while you were editing. Nothing was saved" in html
    assert "Current saved values: Casey First" in html
    assert input_value(html, "name") == "Casey Second"  # the second admin's typing is kept
    saved = user_by_email(user.email)
    assert (saved.name, saved.role) == ("Casey First", Role.COORDINATOR)


# ---------------------------------------------------------------- passwords


def test_reset_password_replaces_the_old_one_and_ends_other_sessions(admin_client, make_client,
                                                                     gen, login_as):
    user = gen.user(Role.PHYSICIAN, name="Dr Reset")
    their_browser = login_as(user, on=make_client())

    response = submit(admin_client, f"/admin/users/{user.id}/password",
                      {"new_password": NEW_PASSWORD}, form_page=f"/admin/users/{user.id}",
                      follow_redirects=True)

    assert "New password set for Dr Reset" in response.get_data(as_text=True)
    assert their_browser.get("/cases/physician").location.startswith("/sign-in")
    assert sign_in(make_client(), user, PASSWORD).status_code == 200
    assert sign_in(make_client(), user, NEW_PASSWORD).status_code == 302


def test_reset_password_follows_the_password_policy(admin_client, make_client, gen):
    user = gen.user(Role.PHYSICIAN)

    response = submit(admin_client, f"/admin/users/{user.id}/password",
                      {"new_password": "password1234"}, form_page=f"/admin/users/{user.id}")

    assert response.status_code == 422
    assert field_error(response.get_data(as_text=True), "new_password") == \
        "This password is too common or too easy to guess; choose another."
    assert sign_in(make_client(), user, PASSWORD).status_code == 302


# ---------------------------------------------------------------- the list


def listed_user_ids(html):
    return [int(href.rsplit("/", 1)[1]) for href in links(html) if re.fullmatch(r"/admin/users/\d+", href)]


def test_user_list_filters_by_role_status_and_name(admin_client, gen):
    coordinator = gen.user(Role.COORDINATOR, name="Casey Coordinator")
    physician = gen.user(Role.PHYSICIAN, name="Priya Raman")
    retired = gen.user(Role.PHYSICIAN, name="Tomas Ortega", active=False)
    patient = gen.user(Role.PATIENT, name="Grace Okafor")

    def listed(query):
        page = admin_client.get("/admin/users?" + query)
        return set(listed_user_ids(page.get_data(as_text=True)))

    assert listed("role=physician") == {physician.id, retired.id}
    assert listed("status=inactive") == {retired.id}
    assert listed("role=physician&status=active") == {physician.id}
    assert listed("q=okaf") == {patient.id}
    assert listed("q=" + coordinator.email.upper()) == {coordinator.id}
    assert listed("q=nobody-like-this") == set()


def test_user_list_is_paginated(app, admin_client, gen):
    per_page = app.config["PER_PAGE"]
    for n in range(per_page + 5):
        gen.user(Role.COORDINATOR, name=f"Coordinator {n:03d}")
    total = per_page + 6  # with the admin

    first = admin_client.get("/admin/users").get_data(as_text=True)
    second = admin_client.get("/admin/users?page=2").get_data(as_text=True)

    assert len(listed_user_ids(first)) == per_page
    assert f"Page 1 of 2 ({total} in all)" in first
    assert 'rel="next"' in first
    assert len(listed_user_ids(second)) == total - per_page
    assert not set(listed_user_ids(first)) & set(listed_user_ids(second))


def test_pagination_links_keep_the_filters(admin_client, gen):
    for n in range(30):
        gen.user(Role.PHYSICIAN, name=f"Physician {n:03d}")
    gen.user(Role.COORDINATOR)

    first = admin_client.get("/admin/users?role=physician").get_data(as_text=True)
    next_link = soup(first).find("a", rel="next")["href"]
    second = admin_client.get(next_link).get_data(as_text=True)

    assert "role=physician" in next_link
    assert "Page 2 of 2 (30 in all)" in second


def test_admin_changes_are_in_the_audit_trail(admin_client, admin_account, gen):
    user = gen.user(Role.COORDINATOR)

    save_user(admin_client, user.id, role="physician", name="Renamed Person")

    db.session.expire_all()
    event = db.session.execute(
        db.select(AuditEvent).filter_by(action=AuditAction.UPDATE, object_id=str(user.id))
    ).scalar_one()
    assert event.user_id == admin_account.id and event.role == Role.ADMIN
    assert "role: coordinator → physician" in event.summary and "name" in event.summary
    assert "Renamed Person" not in event.summary


def test_person_signing_in_while_an_admin_edits_them_is_not_an_edit_conflict(admin_client,
                                                                             make_client, gen):
    user = gen.user(Role.COORDINATOR, name="Casey Original")
    url = f"/admin/users/{user.id}"
    opened = form_values(admin_client, url, url)

    assert sign_in(make_client(), user).status_code == 302  # stamps their last sign-in
    response = save_user(admin_client, user.id, form=opened, name="Casey Renamed")

    assert response.status_code == 302
    assert user_by_email(user.email).name == "Casey Renamed"


def test_refused_password_reset_shows_the_account_as_it_is(admin_client, gen):
    user = gen.user(Role.COORDINATOR, name="Casey Active")

    response = submit(admin_client, f"/admin/users/{user.id}/password",
                      {"new_password": "short"}, form_page=f"/admin/users/{user.id}")

    assert response.status_code == 422
    parser = FormValues(f"/admin/users/{user.id}")
    parser.feed(response.get_data(as_text=True))
    assert parser.values["active"] == "y"  # saving this form must not deactivate the account
    assert parser.values["name"] == "Casey Active"
    assert parser.values["role"] == "coordinator"


def test_account_form_shown_after_a_refused_reset_still_saves(admin_client, gen):
    user = gen.user(Role.COORDINATOR, name="Casey Active")
    url = f"/admin/users/{user.id}"
    refused = submit(admin_client, f"{url}/password", {"new_password": "short"}, form_page=url)
    parser = FormValues(url)
    parser.feed(refused.get_data(as_text=True))

    response = save_user(admin_client, user.id, form=parser.values, name="Casey Renamed")

    assert response.status_code == 302
    saved = user_by_email(user.email)
    assert (saved.name, saved.active) == ("Casey Renamed", True)


@pytest.mark.parametrize("query", ["role=superuser", "status=sleeping", "page=-2", "page=abc"])
def test_odd_values_typed_into_the_user_list_address_do_not_break_it(admin_client, gen, query):
    gen.user(Role.PHYSICIAN, name="Priya Raman")

    response = admin_client.get("/admin/users?" + query)

    assert response.status_code == 200
    assert "Priya Raman" in response.get_data(as_text=True)


# ---------------------------------------------------------------- typed as a clinic types it


def test_a_patient_account_is_linked_by_the_mrn_however_it_is_typed(admin_client, gen):
    patient = gen.patient(mrn="DEMO-0007", family_name="Okafor", given_name="Grace")

    response = submit(admin_client, "/admin/users/new", {
        "email": "grace@patients.clinic", "name": "Grace Okafor", "role": "patient",
        "patient_mrn": " demo-0007 ", "new_password": NEW_PASSWORD,
    })

    assert response.status_code == 302
    assert user_by_email("grace@patients.clinic").patient_id == patient.id


@pytest.mark.parametrize("typed", ["%", "_", "%25%25", "_@"])
def test_wildcards_typed_in_the_user_search_are_plain_characters(admin_client, gen, typed):
    gen.user(Role.COORDINATOR, name="Casey Coordinator", email="casey@test.clinic")

    page = admin_client.get(f"/admin/users?q={typed}").get_data(as_text=True)

    assert listed_user_ids(page) == []


def test_an_underscore_in_the_user_search_matches_only_an_underscore(admin_client, gen):
    underscored = gen.user(Role.COORDINATOR, email="jo_n@test.clinic")
    gen.user(Role.COORDINATOR, email="joan@test.clinic")

    page = admin_client.get("/admin/users?q=jo_n").get_data(as_text=True)

    assert listed_user_ids(page) == [underscored.id]


# ---------------------------------------------------------------- two admins at the same moment


def _then_elsewhere(monkeypatch, check_name, make_other):
    """Let the service's check `check_name` pass once, then save `make_other()` through a second
    connection: another admin's save landing between this request's check and its own."""
    check = getattr(services, check_name)
    calls = {"n": 0}

    def check_then_someone_else_saves(*args):
        result = check(*args)
        calls["n"] += 1
        if calls["n"] == 1:
            commit_elsewhere(make_other())
        return result

    monkeypatch.setattr(services, check_name, check_then_someone_else_saves)


def _other_account(email="taken@test.clinic", **fields):
    return User(email=email, name="Quick Other", role=fields.pop("role", Role.COORDINATOR),
                password_hash=hash_password(PASSWORD), **fields)


def test_an_email_taken_by_another_admin_a_moment_ago_is_refused_next_to_the_field(
        admin_client, monkeypatch):
    _then_elsewhere(monkeypatch, "_check_email_free", _other_account)

    response = submit(admin_client, "/admin/users/new", {
        "email": "Taken@Test.Clinic", "name": "Second Person", "role": "physician",
        "new_password": NEW_PASSWORD,
    })

    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert field_error(html, "email") == "Another account already uses this email address."
    assert input_value(html, "email") == "Taken@Test.Clinic"
    assert input_value(html, "name") == "Second Person"
    assert user_by_email("taken@test.clinic").name == "Quick Other"


def test_an_email_taken_while_editing_an_account_is_refused_next_to_the_field(admin_client, gen,
                                                                              monkeypatch):
    user = gen.user(Role.COORDINATOR, email="casey@test.clinic", name="Casey")
    form = form_values(admin_client, f"/admin/users/{user.id}", f"/admin/users/{user.id}")
    _then_elsewhere(monkeypatch, "_check_email_free", _other_account)

    response = save_user(admin_client, user.id, form, email="taken@test.clinic", name="Casey Renamed")

    html = response.get_data(as_text=True)
    assert field_error(html, "email") == "Another account already uses this email address."
    assert input_value(html, "name") == "Casey Renamed"
    assert user_by_email("casey@test.clinic").name == "Casey"


def test_a_patient_linked_by_another_admin_a_moment_ago_is_refused_next_to_the_mrn(admin_client,
                                                                                  gen, monkeypatch):
    patient = gen.patient(mrn="DEMO-0007", family_name="Account", given_name="Second")
    _then_elsewhere(monkeypatch, "_patient_for", lambda: _other_account(
        "first@patients.clinic", role=Role.PATIENT, patient_id=patient.id))

    response = submit(admin_client, "/admin/users/new", {
        "email": "second@patients.clinic", "name": "Second Account", "role": "patient",
        "patient_mrn": "DEMO-0007", "new_password": NEW_PASSWORD,
    })

    html = response.get_data(as_text=True)
    assert field_error(html, "patient_mrn") == "This patient already has an account."
    assert input_value(html, "email") == "second@patients.clinic"
    assert user_by_email("second@patients.clinic") is None


# ---------------------------------------------------------------- a patient account is for the person on its record


def _lindqvist(gen):
    return gen.patient(mrn="DEMO-0002", family_name="Lindqvist", given_name="Erik", date_of_birth=date(1958, 3, 4))


PAT_THREE = {"email": "pat3@example.org", "name": "Pat Three", "role": "patient", "patient_mrn": "demo 0002",
             "new_password": NEW_PASSWORD}
CONFIRM_BOX = "This account is for Lindqvist, Erik, born 1958-03-04 (DEMO-0002)"


def _confirm_label(html):
    box = soup(html).find("input", attrs={"name": "confirm_patient"})
    return words(soup(html).find("label", attrs={"for": box["id"]})) if box else None


def test_an_account_named_otherwise_than_the_record_of_its_mrn_is_refused_with_the_records_name_and_birth(
        admin_client, gen):
    _lindqvist(gen)

    response = submit(admin_client, "/admin/users/new", PAT_THREE)

    html = response.get_data(as_text=True)
    assert field_error(html, "patient_mrn") == (
        "DEMO-0002 is the record of Lindqvist, Erik, born 1958-03-04, not of “Pat Three”. Check the "
        "number; if this account is for Erik Lindqvist, tick the box below (or give the account their name).")
    assert _confirm_label(html) == CONFIRM_BOX and not is_checked(html, "confirm_patient")
    assert (input_value(html, "email"), input_value(html, "name"), input_value(html, "patient_mrn")) == \
        ("pat3@example.org", "Pat Three", "demo 0002")
    assert user_by_email("pat3@example.org") is None


def test_ticking_this_account_is_for_the_record_creates_it_and_the_audit_says_what_was_confirmed(
        admin_client, admin_account, gen):
    erik = _lindqvist(gen)
    refused = submit(admin_client, "/admin/users/new", PAT_THREE).get_data(as_text=True)
    data = form_data(form_posting_to(refused, "/admin/users/new"))
    data.update(confirm_patient="y", new_password=NEW_PASSWORD)

    response = admin_client.post("/admin/users/new", data=data)

    assert response.status_code == 302
    account = user_by_email("pat3@example.org")
    assert account.patient_id == erik.id and account.name == "Pat Three"
    event = db.session.execute(db.select(AuditEvent).filter_by(
        action=AuditAction.CREATE, object_type="user", object_id=str(account.id))).scalar_one()
    assert event.user_id == admin_account.id
    assert event.summary == (f"created patient account for patient {erik.id}; the admin confirmed the account "
                             f"is for that record although the names differ")


def test_a_box_ticked_for_one_record_does_not_link_the_account_to_another(admin_client, gen):
    _lindqvist(gen)
    gen.patient(mrn="DEMO-0003", family_name="Moreau", given_name="Claire", date_of_birth=date(1966, 8, 9))
    refused = submit(admin_client, "/admin/users/new", PAT_THREE).get_data(as_text=True)
    data = form_data(form_posting_to(refused, "/admin/users/new"))
    data.update(confirm_patient="y", new_password=NEW_PASSWORD, patient_mrn="DEMO-0003")

    html = admin_client.post("/admin/users/new", data=data).get_data(as_text=True)

    assert field_error(html, "patient_mrn").startswith("DEMO-0003 is the record of Moreau, Claire, born 1966-08-09")
    assert _confirm_label(html) == "This account is for Moreau, Claire, born 1966-08-09 (DEMO-0003)"
    assert not is_checked(html, "confirm_patient") and user_by_email("pat3@example.org") is None


def test_an_account_given_the_records_name_needs_no_box(admin_client, gen):
    erik = _lindqvist(gen)

    response = submit(admin_client, "/admin/users/new", {**PAT_THREE, "name": "Erik Lindqvist"})

    assert response.status_code == 302 and user_by_email("pat3@example.org").patient_id == erik.id


def test_linking_an_existing_patient_account_to_another_record_asks_the_same(admin_client, admin_account, gen):
    _lindqvist(gen)
    pat = gen.user(Role.PATIENT, name="Pat Three", email="pat3@example.org",
                   patient=gen.patient(family_name="Three", given_name="Pat"))
    url = f"/admin/users/{pat.id}"

    refused = save_user(admin_client, pat.id, patient_mrn="DEMO-0002")

    html = refused.get_data(as_text=True)
    assert refused.status_code == 200
    assert field_error(html, "patient_mrn").startswith("DEMO-0002 is the record of Lindqvist, Erik, born 1958-03-04")
    assert _confirm_label(html) == CONFIRM_BOX and input_value(html, "patient_mrn") == "DEMO-0002"
    assert user_by_email("pat3@example.org").patient.mrn != "DEMO-0002"

    data = form_data(form_posting_to(html, url))
    assert admin_client.post(url, data={**data, "confirm_patient": "y"}).status_code == 302
    assert user_by_email("pat3@example.org").patient.mrn == "DEMO-0002"
    event = db.session.execute(db.select(AuditEvent).filter_by(
        action=AuditAction.UPDATE, object_type="user", object_id=str(pat.id))).scalar_one()
    assert "the admin confirmed the account is for patient" in event.summary


def test_the_account_form_names_a_record_only_for_the_mrn_typed_and_each_naming_is_audited(
        admin_client, admin_account, gen):
    """The box's record rides in the form (`confirm_for`): one typed there without its MRN is not
    named (its id alone showed an admin any patient's name, date of birth and MRN), and a record
    the form names, an admin kept from clinical records, is a view in the audit trail."""
    erik = _lindqvist(gen)

    probed = submit(admin_client, "/admin/users/new", {**PAT_THREE, "role": "coordinator", "patient_mrn": "",
                                                       "new_password": "short", "confirm_for": str(erik.id)})
    assert "Lindqvist" not in probed.get_data(as_text=True)
    assert db.session.execute(db.select(AuditEvent).filter_by(action=AuditAction.VIEW)).first() is None

    refused = submit(admin_client, "/admin/users/new", PAT_THREE).get_data(as_text=True)

    assert _confirm_label(refused) == CONFIRM_BOX
    viewed = db.session.execute(db.select(AuditEvent).filter_by(action=AuditAction.VIEW)).scalars().all()
    assert [(e.user_id, e.object_type, e.object_id) for e in viewed] == [(admin_account.id, "patient", str(erik.id))]


def test_editing_an_account_whose_link_and_name_stay_asks_nothing(admin_client, gen):
    pat = gen.user(Role.PATIENT, name="Pat Three", email="pat3@example.org", patient=_lindqvist(gen))

    assert save_user(admin_client, pat.id, email="pat.three@example.org").status_code == 302
    assert user_by_email("pat.three@example.org").patient.mrn == "DEMO-0002"


# ---------------------------------------------------------------- a physician deactivated with work still theirs


def _ortega_with_work_left(gen):
    """Dr Ortega with one appointment to come (tomorrow, at 09:00 clinic time), one cancelled, and
    three open cases (the booked one among them) besides a closed one."""
    from datetime import datetime, time, timedelta

    from tracker.timeutil import clinic_today, clinic_zone
    from tracker.vocab import AppointmentStatus
    from tracker.workflow import State

    ortega = gen.user(Role.PHYSICIAN, name="Dr Tomas Ortega")
    gen.user(Role.PHYSICIAN, name="Dr Priya Raman")  # someone left to book
    tomorrow = datetime.combine(clinic_today() + timedelta(days=1), time(9), tzinfo=clinic_zone())
    obrien = gen.case(state=State.SCHEDULED, physician=ortega,
                      patient=gen.patient(family_name="O'Brien", given_name="Sean"))
    gen.appointment(obrien, physician=ortega, starts_at=tomorrow)
    gen.appointment(gen.case(state=State.ELIGIBLE, physician=ortega), physician=ortega,
                    starts_at=tomorrow + timedelta(hours=1), status=AppointmentStatus.CANCELLED,
                    cancelled_reason="Patient unwell")
    gen.case(state=State.REFERRED, physician=ortega)
    gen.case(state=State.CLOSED, physician=ortega)
    return ortega, tomorrow


def test_deactivating_a_physician_counts_what_stays_theirs_and_says_what_to_ask_a_coordinator(admin_client, gen):
    from tracker.timeutil import format_clinic

    ortega, tomorrow = _ortega_with_work_left(gen)

    response = save_user(admin_client, ortega.id, active=None)

    assert response.status_code == 302
    said = words(admin_client.get(response.location))
    assert "Account saved." in said
    assert (f"Dr Tomas Ortega can no longer be booked. 1 appointment is still to come ({format_clinic(tomorrow)}) "
            "and stays theirs until it is moved. 3 open cases are still assigned to them. Ask a coordinator to "
            "open the Worklist with the physician filter set to “Dr Tomas Ortega (inactive)”, which lists these "
            "cases, and to move each appointment and reassign each case to another physician.") in said
    assert "O'Brien" not in said  # no patient named to an admin


def test_every_link_on_the_page_an_admin_is_shown_after_deactivating_a_physician_opens_for_the_admin(
        admin_client, gen):
    ortega, _ = _ortega_with_work_left(gen)
    page = admin_client.get(save_user(admin_client, ortega.id, active=None).location)
    assert "can no longer be booked" in words(page)

    for href in sorted({href for href in links(page) if href.startswith("/")}):
        assert admin_client.get(href, follow_redirects=True).status_code == 200, href
    denied = db.session.scalars(db.select(AuditEvent).filter_by(action=AuditAction.ACCESS_DENIED)).all()
    assert denied == []


def test_the_coordinators_filter_named_to_the_admin_lists_the_cases_left(admin_client, client, gen, login_as):
    ortega, _ = _ortega_with_work_left(gen)
    save_user(admin_client, ortega.id, active=None)

    login_as(gen.user(Role.COORDINATOR))
    worklist = soup(client.get("/cases/").get_data(as_text=True))
    offered = {words(o): o["value"] for o in worklist.find("select", attrs={"name": "physician"}).find_all("option")}
    assert offered["Dr Tomas Ortega (inactive)"] == str(ortega.id)
    assert "O'Brien, Sean" in words(client.get(f"/cases/?physician={ortega.id}"))


def test_a_follow_up_case_of_a_deactivated_physician_can_be_reassigned_to_another_physician(
        admin_client, client, gen, login_as, make_client):
    """The admin is told to ask a coordinator to "reassign each case to another physician". A case
    in follow-up (the diary running, the outcome still to record) is on no physician's list once its
    physician has left ("Cases needing a physician" lists one's own and unassigned cases): the
    coordinator must be able to give it to a physician still here, who then finds it on her list."""
    from tracker.models import Case
    from tracker.workflow import State

    ortega, _ = _ortega_with_work_left(gen)
    raman = db.session.execute(db.select(User).filter_by(name="Dr Priya Raman")).scalar_one()
    waiting = gen.case(state=State.FOLLOW_UP, physician=ortega,
                       patient=gen.patient(family_name="Ní Bhriain", given_name="Aoife"))
    save_user(admin_client, ortega.id, active=None)

    login_as(gen.user(Role.COORDINATOR))
    edit = soup(client.get(f"/referrals/cases/{waiting.id}").get_data(as_text=True))
    form = edit.find("form", method="post", attrs={"novalidate": True})
    assert form is not None and form.find("select", attrs={"name": "physician_id"}) is not None, \
        "the follow-up case of a deactivated physician offers no way to reassign it"
    assert "is no longer on the schedule: give it to a physician still here" in words(edit)
    saved = client.post(f"/referrals/cases/{waiting.id}", data={**form_data(form), "physician_id": str(raman.id)})
    assert saved.status_code == 302, words(soup(saved.get_data(as_text=True)).find("main"))
    db.session.expire_all()
    assert db.session.get(Case, waiting.id).physician_id == raman.id
    # Now on the new physician's list, and the form goes back to who referred and why only.
    assert "Bhriain" in words(login_as(raman, on=make_client()).get("/cases/physician"))
    again = soup(client.get(f"/referrals/cases/{waiting.id}").get_data(as_text=True))
    assert again.find("select", attrs={"name": "physician_id"}) is None


def test_deactivating_a_physician_with_nothing_left_says_only_saved(admin_client, gen):
    from tracker.workflow import State

    idle = gen.user(Role.PHYSICIAN, name="Dr Idle")
    gen.user(Role.PHYSICIAN, name="Dr Priya Raman")
    gen.case(state=State.CLOSED, physician=idle)

    said = words(admin_client.get(save_user(admin_client, idle.id, active=None).location))
    assert "Account saved." in said and "still" not in said


def test_a_physician_given_another_role_is_told_the_same(admin_client, gen):
    from tracker.workflow import State

    moved = gen.user(Role.PHYSICIAN, name="Dr Now Coordinating")
    gen.user(Role.PHYSICIAN, name="Dr Priya Raman")
    gen.case(state=State.UNDER_REVIEW, physician=moved)

    said = words(admin_client.get(save_user(admin_client, moved.id, role="coordinator").location))
    assert "Dr Now Coordinating can no longer be booked. 1 open case is still assigned to them." in said
    assert "appointment" not in said.split("can no longer be booked")[1].split("Ask a coordinator")[0]
    assert "physician filter set to “Dr Now Coordinating (no longer a physician)”" in said


# ---------------------------------------------------------------- a physician mid-procedure, or the last one


CONFIRM_LEAVING = "Take them off the schedule anyway"


def _raman_mid_procedure(gen, others=1):
    """Dr Raman with a procedure in progress in Fluoro Suite 1, started yesterday at 12:00 clinic
    time, and `others` other active physicians."""
    from tests.builders import clinic_at

    raman = gen.user(Role.PHYSICIAN, name="Dr Priya Raman")
    for n in range(others):
        gen.user(Role.PHYSICIAN, name=f"Dr Other {n}")
    record = gen.procedure(physician=raman, patient=gen.patient(family_name="Garcia", given_name="Lucia"))
    record.appointment.room.name = "Fluoro Suite 1"
    record.started_at = clinic_at(-1, 12)
    db.session.commit()
    return raman, record


def _started_yesterday_noon():
    from tests.builders import clinic_day

    return f"{clinic_day(-1).isoformat()} 12:00"


def test_deactivating_a_physician_mid_procedure_waits_for_a_confirmation_that_names_the_procedure(
        admin_client, gen):
    raman, _ = _raman_mid_procedure(gen)
    url = f"/admin/users/{raman.id}"

    refused = save_user(admin_client, raman.id, active=None, name="Dr Priya Raman-Shah")

    assert refused.status_code == 422
    html = refused.get_data(as_text=True)
    assert field_error(html, "active") == (
        f"Dr Priya Raman-Shah has 1 procedure in progress, started {_started_yesterday_noon()} in Fluoro Suite 1. "
        "Deactivating them signs them out everywhere, in the middle of its checklist and before the signature. "
        "Tick “Take them off the schedule anyway” below to save as typed; otherwise leave the account as it is "
        "for now.")
    assert "Garcia" not in words(html)  # no patient named to an admin
    assert input_value(html, "name") == "Dr Priya Raman-Shah" and not is_checked(html, "active")
    assert CONFIRM_LEAVING in words(html) and not is_checked(html, "confirm_leaving")
    assert user_by_email(raman.email).active and user_by_email(raman.email).name == "Dr Priya Raman"

    resubmitted = form_data(form_posting_to(html, url))
    assert admin_client.post(url, data=resubmitted).status_code == 422  # not ticked: still refused
    assert admin_client.post(url, data={**resubmitted, "confirm_leaving": "y"}).status_code == 302
    saved = user_by_email(raman.email)
    assert not saved.active and saved.name == "Dr Priya Raman-Shah"
    event = db.session.execute(db.select(AuditEvent).filter_by(
        action=AuditAction.UPDATE, object_type="user", object_id=str(raman.id))).scalar_one()
    assert "the admin confirmed it with 1 procedure(s) of theirs in progress" in event.summary


def test_giving_the_last_physician_mid_procedure_another_role_says_so_next_to_the_role(admin_client, gen):
    raman, _ = _raman_mid_procedure(gen, others=0)
    gen.user(Role.PHYSICIAN, name="Dr Gone", active=False)

    html = save_user(admin_client, raman.id, role="coordinator").get_data(as_text=True)

    said = field_error(html, "role")
    assert said.startswith(f"Dr Priya Raman has 1 procedure in progress, started {_started_yesterday_noon()} "
                           "in Fluoro Suite 1. Giving them another role signs them out everywhere")
    assert ("No other physician would remain who can be booked: no appointment can be booked until another "
            "physician's account is active.") in said
    assert user_by_email(raman.email).role == Role.PHYSICIAN


def test_deactivating_the_last_bookable_physician_waits_for_a_confirmation(admin_client, gen):
    last = gen.user(Role.PHYSICIAN, name="Dr Last")

    html = save_user(admin_client, last.id, active=None).get_data(as_text=True)

    assert field_error(html, "active") == (
        "No other physician would remain who can be booked: no appointment can be booked until another "
        "physician's account is active. Tick “Take them off the schedule anyway” below to save as typed; "
        "otherwise leave the account as it is for now.")
    data = {**form_data(form_posting_to(html, f"/admin/users/{last.id}")), "confirm_leaving": "y"}
    assert admin_client.post(f"/admin/users/{last.id}", data=data).status_code == 302
    assert not user_by_email(last.email).active


def test_a_confirmation_given_before_a_procedure_started_does_not_cover_it(admin_client, gen):
    last = gen.user(Role.PHYSICIAN, name="Dr Last")
    html = save_user(admin_client, last.id, active=None).get_data(as_text=True)
    data = {**form_data(form_posting_to(html, f"/admin/users/{last.id}")), "confirm_leaving": "y"}

    gen.procedure(physician=last)  # meanwhile, she starts a procedure

    again = admin_client.post(f"/admin/users/{last.id}", data=data)
    assert again.status_code == 422
    assert "has 1 procedure in progress" in field_error(again.get_data(as_text=True), "active")
    assert user_by_email(last.email).active


def test_deactivating_a_physician_with_colleagues_and_no_procedure_asks_nothing(admin_client, gen):
    raman, record = _raman_mid_procedure(gen)
    other = next(u for u in db.session.scalars(db.select(User).filter_by(role=Role.PHYSICIAN)) if u.id != raman.id)

    assert save_user(admin_client, other.id, active=None).status_code == 302
    assert not user_by_email(other.email).active


# ---------------------------------------------------------------- accounts linked under another name before the check

MISMATCH = "Name on the account differs from the patient record: Pat Three vs Erik Lindqvist"


def _linked_before_the_check(gen, name="Pat Three", email="pat3@example.org", patient=None):
    """A patient account written as accounts were before the name check: straight to the table."""
    return gen.user(Role.PATIENT, name=name, email=email, patient=patient or _lindqvist(gen))


def _row_of(html, name):
    return next(words(row) for row in soup(html).select("tbody tr") if name in words(row))


def test_an_account_named_otherwise_than_its_record_is_flagged_on_users_and_on_its_page(admin_client, gen):
    pat = _linked_before_the_check(gen)
    gen.user(Role.PATIENT, name="Claire Moreau", email="claire@example.org",
             patient=gen.patient(mrn="DEMO-0003", family_name="Moreau", given_name="Claire"))
    gen.user(Role.PATIENT, name="García Ana", email="ana@example.org",
             patient=gen.patient(mrn="DEMO-0004", family_name="Garcia", given_name="Ana"))

    listing = admin_client.get("/admin/users").get_data(as_text=True)

    assert MISMATCH in _row_of(listing, "Pat Three")
    assert "differs" not in _row_of(listing, "Claire Moreau"), "the same name"
    assert "differs" not in _row_of(listing, "García Ana"), "compared as the creation check compares"
    assert words(soup(listing)).count("differs from the patient record") == 1
    page = admin_client.get(f"/admin/users/{pat.id}").get_data(as_text=True)
    assert MISMATCH in words(soup(page))


def test_the_flag_goes_once_the_admin_gives_the_account_the_records_name(admin_client, gen):
    pat = _linked_before_the_check(gen)
    assert save_user(admin_client, pat.id, name="Erik Lindqvist").status_code == 302
    assert "differs from the patient record" not in admin_client.get("/admin/users").get_data(as_text=True)
    assert "differs from the patient record" not in admin_client.get(f"/admin/users/{pat.id}").get_data(as_text=True)


def test_an_account_the_admin_confirmed_for_the_record_is_not_flagged(admin_client, gen):
    _lindqvist(gen)
    refused = submit(admin_client, "/admin/users/new", PAT_THREE).get_data(as_text=True)
    data = form_data(form_posting_to(refused, "/admin/users/new"))
    assert admin_client.post("/admin/users/new",
                             data={**data, "confirm_patient": "y", "new_password": NEW_PASSWORD}).status_code == 302
    pat = user_by_email("pat3@example.org")

    assert "differs from the patient record" not in admin_client.get("/admin/users").get_data(as_text=True)
    assert "differs from the patient record" not in admin_client.get(f"/admin/users/{pat.id}").get_data(as_text=True)


def test_the_users_list_flags_any_number_of_accounts_in_the_same_number_of_queries(admin_client, gen, count_queries):
    def queries():
        with count_queries() as counter:
            assert admin_client.get("/admin/users").status_code == 200
        return counter.n

    _linked_before_the_check(gen)
    one = queries()
    for n in range(8):
        gen.user(Role.PATIENT, name=f"Someone Else{n}", email=f"else{n}@example.org",
                 patient=gen.patient(mrn=f"DEMO-01{n:02}", family_name=f"Record{n}", given_name="Other"))
    many = admin_client.get("/admin/users").get_data(as_text=True)
    assert words(soup(many)).count("differs from the patient record") == 9
    assert queries() == one
