"""Every route declares who may use it, and everyone else is refused.

Walks the app's URL map: a route without a declaration fails; for each declared route and method,
anonymous users are sent to sign in, roles outside the declaration get 403, and roles inside it get
through. Patient-owned routes are also tried with another patient's ids.
"""
import re

import pytest

from config import TestingConfig
from tracker import create_app
from tracker.access import PUBLIC, allowed_roles
from tracker.api import API_PREFIXES, tokens
from tracker.procedures.services import formulary
from tracker.roles import Role
from tracker.workflow import State

from tests.helpers import csrf_from, sign_in

_map_app = create_app(TestingConfig)
ROUTES = sorted(
    (rule.rule, rule.endpoint, method)
    for rule in _map_app.url_map.iter_rules()
    if rule.endpoint != "static"
    for method in sorted(rule.methods - {"HEAD", "OPTIONS"})
)
# The API's routes take tokens, never sessions: tests/functional/test_api_access.py is their matrix.
PAGE_ROUTES = [route for route in ROUTES if not route[0].startswith(API_PREFIXES)]
# Routes a patient reaches only for their own case: also tried with another patient's case.
PATIENT_OWNED = {"patient.case", "patient.calendar_file", "diary.patient_entry", "diary.patient_correct"}
# Public routes that admit only requests a provider signed: everyone unsigned gets 403 (the
# signature tests in tests/functional/test_sms.py prove a signed request gets through).
PROVIDER_SIGNED = {"sms.inbound"}


def test_every_route_declares_who_may_use_it():
    undeclared = [endpoint for _, endpoint, _ in ROUTES
                  if allowed_roles(_map_app.view_functions[endpoint]) is None]
    assert undeclared == [], f"declare @allow(...) or @public on: {undeclared}"


@pytest.fixture
def world(gen):
    """One user of each role, and a case belonging to the patient user."""
    patient = gen.patient()
    users = {
        Role.PATIENT: gen.user(Role.PATIENT, patient=patient),
        Role.COORDINATOR: gen.user(Role.COORDINATOR),
        Role.PHYSICIAN: gen.user(Role.PHYSICIAN),
        Role.ADMIN: gen.user(Role.ADMIN),
    }
    case = gen.case(patient=patient, state=State.SCHEDULED)
    therapy = gen.therapy(case)
    appointment = gen.appointment(case, physician=users[Role.PHYSICIAN])
    other_patient_user = gen.user(Role.PATIENT)
    gen.case(patient=other_patient_user.patient)
    gen.diary(case, entries={"t0": 5})
    entry, link, token = _diary_link(case, users[Role.COORDINATOR])
    api_token, _ = tokens.create(users[Role.COORDINATOR], "read", 30, "matrix")
    injection = _outside_injection(patient)
    closure = _closure(users[Role.ADMIN])
    return {"users": users, "case": case, "other_patient_user": other_patient_user,
            "ids": {"case_id": case.id, "therapy_id": therapy.id, "patient_id": patient.id,
                    "other_id": other_patient_user.patient_id,
                    "user_id": users[Role.PHYSICIAN].id, "room_id": appointment.room_id,
                    "appointment_id": appointment.id, "step": "sign_in",
                    "drug_id": next(iter(formulary().values())).id,
                    "entry_id": entry.id, "link_id": link.id, "injection_id": injection.id, "closure_id": closure.id, "token": token, "token_id": api_token.id}}


def _outside_injection(patient):
    """An injection the patient had elsewhere, on their record."""
    from datetime import date

    from tracker.extensions import db
    from tracker.models import OutsideInjection

    row = OutsideInjection(patient=patient, performed_on=date(2026, 1, 2), side="left", indication="therapeutic",
                           place="Elsewhere", source="patient report")
    db.session.add(row)
    db.session.commit()
    return row


def _closure(admin):
    """A day the clinic is closed (its remove button is one of the routes)."""
    from tracker.scheduling import resources
    from tracker.timeutil import clinic_today

    return resources.create_closure({"first_day": clinic_today(), "last_day": clinic_today(), "reason": "Holiday",
                                     "physician_id": None}, admin)


def _diary_link(case, creator):
    """The case's baseline entry and a personal link to its diary, with the link's token."""
    from datetime import timedelta

    from tracker.diary import links
    from tracker.extensions import db
    from tracker.models import DiaryEntry, DiaryLink
    from tracker.timeutil import utcnow

    entry = db.session.execute(db.select(DiaryEntry).filter_by(case_id=case.id)).scalar_one()
    link = DiaryLink(case_id=case.id, created_by_id=creator.id, expires_at=utcnow() + timedelta(days=30))
    db.session.add(link)
    db.session.commit()
    return entry, link, links.sign(link)


def _url(rule, world):
    url = rule
    for name, value in world["ids"].items():
        url = url.replace(f"<int:{name}>", str(value)).replace(f"<{name}>", str(value))
    assert "<" not in url, f"the access matrix needs an id for {url}"
    return url


def _request(client, method, url, signed_in=True):
    """GET, or POST with a valid CSRF token (so the refusal tested is the access rule's)."""
    if method == "GET":
        return client.get(url)
    form_page = client.get("/account/password" if signed_in else "/sign-in")
    token = csrf_from(form_page.get_data(as_text=True))
    return client.open(url, method=method, data={"csrf_token": token})


def _is_sign_in_redirect(response):
    return response.status_code == 302 and response.location.startswith("/sign-in?next=")


@pytest.mark.parametrize("rule,endpoint,method", PAGE_ROUTES, ids=[f"{m} {r}" for r, _, m in PAGE_ROUTES])
def test_route_admits_only_its_declared_roles(app, make_client, world, rule, endpoint, method):
    declared = allowed_roles(app.view_functions[endpoint])
    url = _url(rule, world)

    anonymous = _request(make_client(), method, url, signed_in=False)
    if endpoint in PROVIDER_SIGNED:
        assert declared == PUBLIC and anonymous.status_code == 403
        for user in world["users"].values():
            client = make_client()
            sign_in(client, user)
            assert _request(client, method, url).status_code == 403, "a signed-in user is no provider"
        return
    if declared == PUBLIC:
        assert anonymous.status_code != 403
    else:
        assert _is_sign_in_redirect(anonymous), f"anonymous got {anonymous.status_code}"

    for role, user in world["users"].items():
        client = make_client()
        assert sign_in(client, user).status_code == 302
        response = _request(client, method, url)
        if declared == PUBLIC or role in declared:
            assert response.status_code != 403 and not _is_sign_in_redirect(response), \
                f"{role.value} was refused ({response.status_code})"
        else:
            assert response.status_code == 403, f"{role.value} got {response.status_code}"

    if endpoint in PATIENT_OWNED:
        intruder = make_client()
        sign_in(intruder, world["other_patient_user"])
        response = _request(intruder, method, url)
        assert response.status_code == 404
        assert world["case"].patient.family_name not in response.get_data(as_text=True)


# An id typed past the database's integer range (PostgreSQL's `integer` ends at 2**31 - 1).
HUGE_IDS = (2**31, 10**20)
ID_ROUTES = [(rule, method) for rule, _, method in PAGE_ROUTES if "<int:" in rule]


def _with_id(rule, value, world):
    """Every id in the rule set to `value`; any other part filled as the matrix above fills it."""
    return _url(re.sub(r"<int:\w+>", str(value), rule), world)


@pytest.mark.parametrize("role", [None, *Role], ids=["anonymous", *(r.value for r in Role)])
def test_an_id_beyond_the_databases_range_is_not_found_never_an_error(make_client, world, role):
    client = make_client()
    if role is not None:
        assert sign_in(client, world["users"][role]).status_code == 302
    for rule, method in ID_ROUTES:
        for value in HUGE_IDS:
            response = _request(client, method, _with_id(rule, value, world), signed_in=role is not None)
            assert response.status_code == 404, f"{method} {rule} with {value}: {response.status_code}"
        # The largest id the database holds still reaches the view, which finds nothing there.
        largest = _request(client, method, _with_id(rule, 2**31 - 1, world), signed_in=role is not None)
        assert largest.status_code != 500, f"{method} {rule} with 2**31 - 1"


def test_a_patients_link_opens_nothing_of_another_case(make_client, gen, world):
    """The personal link is the key to one case's diary: against another case's addresses it
    opens nothing, and it signs nobody in for the patient's or staff pages."""
    from datetime import datetime, timedelta, timezone

    from tracker.extensions import db
    from tracker.models import DiaryEntry

    token = world["ids"]["token"]
    other_case = gen.case(patient=world["other_patient_user"].patient, state=State.SCHEDULED)
    gen.diary(other_case, entries={"t0": 4}, booked_at=datetime.now(timezone.utc) - timedelta(hours=1))
    other_entry = db.session.execute(db.select(DiaryEntry).filter_by(case_id=other_case.id)).scalar_one()
    phone = make_client()
    assert phone.get(f"/d/{token}").status_code == 200

    theirs = phone.get(f"/d/{token}/entries/{other_entry.id}/correct")
    assert theirs.status_code == 404
    assert world["other_patient_user"].patient.family_name not in theirs.get_data(as_text=True)
    for url in (f"/my/cases/{other_case.id}/diary", f"/my/cases/{world['case'].id}/diary",
                f"/cases/{other_case.id}/diary/phone",
                f"/cases/{other_case.id}/diary/entries/{other_entry.id}/correct"):
        assert _is_sign_in_redirect(phone.get(url)), url


def test_correcting_a_patient_is_for_clinical_staff_and_merging_records_for_coordinators():
    """The rows the matrix above walks for the patient record's changes, said outright: admins
    (kept from clinical records) and patients are refused both."""
    assert allowed_roles(_map_app.view_functions["patients.edit"]) == {Role.COORDINATOR, Role.PHYSICIAN}
    assert allowed_roles(_map_app.view_functions["patients.merge"]) == {Role.COORDINATOR}


def test_injections_given_elsewhere_are_recorded_corrected_and_removed_by_clinical_staff_only():
    """The rows the matrix walks for them, said outright: coordinators and physicians; admins and
    patients refused."""
    for endpoint in ("patients.outside_injections", "patients.correct_outside_injection",
                     "patients.remove_outside_injection"):
        assert allowed_roles(_map_app.view_functions[endpoint]) == {Role.COORDINATOR, Role.PHYSICIAN}, endpoint


def test_the_refusal_tells_an_admin_that_clinical_work_needs_a_clinical_account(client, admin, make_client, gen):
    """Walkthrough: an admin refused a clinical page was told "If you need it, ask an admin"."""
    from tracker.roles import Role as Roles
    from tests.helpers import sign_in, text, words
    refused = client.get("/cases/")
    assert refused.status_code == 403
    said = words(text(refused))
    assert "An admin account does not include this page or action: it is another role’s" in said
    assert "clinical work is done with a coordinator’s or a physician’s account" in said
    assert "ask an admin" not in said
    coordinator = make_client()
    sign_in(coordinator, gen.user(Roles.COORDINATOR))
    assert "If you need it, ask an admin." in words(text(coordinator.get("/admin/rooms")))


def test_the_admin_address_itself_is_for_admins_only():
    """The row the matrix walks for `/admin/`, said outright: an admin is sent home, every other
    role refused as on every admin page."""
    assert allowed_roles(_map_app.view_functions["admin.home"]) == {Role.ADMIN}


def test_an_entry_of_another_case_is_not_found_under_ones_own_case(make_client, gen, world):
    """The matrix tries another patient with the owner's case and entry; here the ids are mixed: a
    patient's own case with another patient's diary entry (their account and, for staff, the case
    page's correction) finds nothing, reading or posting, and changes nothing."""
    from datetime import datetime, timedelta, timezone

    from tracker.extensions import db
    from tracker.models import DiaryEntry

    other_case = gen.case(patient=world["other_patient_user"].patient, state=State.SCHEDULED)
    gen.diary(other_case, entries={"t0": 4}, booked_at=datetime.now(timezone.utc) - timedelta(hours=1))
    other_entry = db.session.execute(db.select(DiaryEntry).filter_by(case_id=other_case.id)).scalar_one()
    own = world["case"].id
    patient, coordinator = make_client(), make_client()
    sign_in(patient, world["users"][Role.PATIENT])
    sign_in(coordinator, world["users"][Role.COORDINATOR])

    for client, url in ((patient, f"/my/cases/{own}/diary/entries/{other_entry.id}/correct"),
                        (coordinator, f"/cases/{own}/diary/entries/{other_entry.id}/correct")):
        for method in ("GET", "POST"):
            response = _request(client, method, url)
            assert response.status_code == 404, (method, url)
            assert world["other_patient_user"].patient.family_name not in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(DiaryEntry, other_entry.id).score == 4


@pytest.mark.parametrize("route", [
    "/cases/{case_id}/diary/links/{link_id}/revoke",
    "/cases/{case_id}/conservative-care/{therapy_id}",
    "/cases/{case_id}/conservative-care/{therapy_id}/remove",
    "/patients/{patient_id}/outside-injections/{injection_id}",
    "/patients/{patient_id}/outside-injections/{injection_id}/remove",
])
def test_staff_routes_with_two_ids_find_nothing_of_another_record_under_the_first(make_client, gen, world, route):
    """A record of another case or patient named under this case's (or patient's) address is not
    found, reading or posting, and is left as it was."""
    from tracker.extensions import db
    from tracker.models import ConservativeCare, DiaryLink, OutsideInjection

    other_case = gen.case(patient=world["other_patient_user"].patient, state=State.SCHEDULED)
    gen.diary(other_case, entries={"t0": 4})
    theirs = {"link_id": _diary_link(other_case, world["users"][Role.COORDINATOR])[1].id,
              "therapy_id": gen.therapy(other_case).id,
              "injection_id": _outside_injection(other_case.patient).id}
    url = route.format(case_id=world["case"].id, patient_id=world["ids"]["patient_id"], **theirs)
    coordinator = make_client()
    sign_in(coordinator, world["users"][Role.COORDINATOR])

    methods = ("POST",) if url.endswith(("/revoke", "/remove")) else ("GET", "POST")
    for method in methods:
        assert _request(coordinator, method, url).status_code == 404, (method, url)
    db.session.expire_all()
    assert db.session.get(DiaryLink, theirs["link_id"]).revoked_at is None
    assert db.session.get(ConservativeCare, theirs["therapy_id"]) is not None
    assert db.session.get(OutsideInjection, theirs["injection_id"]) is not None
