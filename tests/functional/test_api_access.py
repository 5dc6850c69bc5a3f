"""The access matrix for the API: tokens, never sessions. Every API route is declared; no token,
an unknown, expired or revoked token, or one whose account was deactivated gets 401 with a
WWW-Authenticate challenge; an account role or token scope outside the declaration gets 403;
a browser session opens no API route, and a token opens no page."""
from datetime import timedelta

import pytest

from config import TestingConfig
from tracker import create_app
from tracker.access import PUBLIC, allowed_roles
from tracker.roles import Role
from tracker.api import API_PREFIXES, tokens
from tracker.extensions import db
from tracker.models import ApiScope, ApiToken, AuditEvent
from tracker.timeutil import utcnow

from tests.api_support import bearer, token_for
from tests.helpers import sign_in

_map_app = create_app(TestingConfig)
API_ROUTES = sorted(
    (rule.rule, rule.endpoint, method)
    for rule in _map_app.url_map.iter_rules()
    if rule.rule.startswith(API_PREFIXES)
    for method in sorted(rule.methods - {"HEAD", "OPTIONS"})
)


def test_every_api_route_is_token_guarded_or_public():
    for rule, endpoint, _ in API_ROUTES:
        view = _map_app.view_functions[endpoint]
        assert allowed_roles(view) == PUBLIC or getattr(view, "api_scope", None) is not None, rule


@pytest.fixture
def world(gen):
    patient = gen.patient()
    case = gen.case(patient=patient)
    return {"patient_id": patient.id, "case_id": case.id, "kind": "ServiceRequest", "ident": str(case.id),
            "day": "2026-12-01"}


def _url(rule, world):
    url = rule
    for name, value in world.items():
        url = url.replace(f"<int:{name}>", str(value)).replace(f"<{name}>", str(value))
    assert "<" not in url, url
    return url


def _call(client, method, url, headers=None):
    body = {"resourceType": "Bundle", "type": "transaction", "entry": []} if method == "POST" else None
    return client.open(url, method=method, headers=headers or {}, json=body)


GUARDED = [(r, e, m) for r, e, m in API_ROUTES if allowed_roles(_map_app.view_functions[e]) != PUBLIC]


def _is_challenge(response):
    return response.status_code == 401 and response.headers["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize("rule,endpoint,method", GUARDED, ids=[f"{m} {r}" for r, _, m in GUARDED])
def test_api_route_admits_only_valid_tokens_of_its_roles_and_scope(app, make_client, gen, world, rule,
                                                                  endpoint, method):
    view = app.view_functions[endpoint]
    declared, scope = allowed_roles(view), view.api_scope
    url = _url(rule, world)
    client = make_client()

    assert _is_challenge(_call(client, method, url)), "no token"
    assert _is_challenge(_call(client, method, url, bearer("sit_not-a-token"))), "unknown token"
    assert _is_challenge(_call(client, method, url, {"Authorization": "Basic dXNlcjpwdw=="})), "not bearer"

    for role in Role:
        user = gen.user(role)
        for token_scope in ApiScope:
            raw = _raw_token(user, token_scope)
            response = _call(client, method, url, bearer(raw))
            allowed = role in declared and (scope == ApiScope.READ or token_scope == ApiScope.INTAKE)
            if allowed:
                assert response.status_code not in (401, 403), f"{role.value}/{token_scope.value}: {response.status_code}"
            else:
                assert response.status_code == 403, f"{role.value}/{token_scope.value}: {response.status_code}"

    coordinator = gen.user(Role.COORDINATOR)
    expired = _raw_token(coordinator, ApiScope.INTAKE, expires_in=timedelta(seconds=-1))
    assert _is_challenge(_call(client, method, url, bearer(expired))), "expired"
    revoked_raw = token_for(coordinator, "intake")
    tokens.revoke(tokens.find(revoked_raw))
    assert _is_challenge(_call(client, method, url, bearer(revoked_raw))), "revoked"
    inactive = gen.user(Role.PHYSICIAN)
    inactive_raw = token_for(inactive, "intake")
    inactive.active = False
    db.session.commit()
    assert _is_challenge(_call(client, method, url, bearer(inactive_raw))), "deactivated account"


def _raw_token(user, scope, expires_in=timedelta(days=1)):
    """A token written directly, so that accounts the service refuses (patients, admins) can be
    tried too: the check at use must refuse them on its own."""
    raw = f"{tokens.TOKEN_PREFIX}{user.id}-{scope.value}-{expires_in.total_seconds():.0f}-matrix"
    now = utcnow()
    created = min(now, now + expires_in) - timedelta(days=1)
    db.session.add(ApiToken(user_id=user.id, label="matrix", scope=scope, token_hash=tokens.digest(raw),
                            prefix=raw[:12], created_at=created, expires_at=now + expires_in))
    db.session.commit()
    return raw


@pytest.mark.parametrize("rule,endpoint,method", GUARDED, ids=[f"{m} {r}" for r, _, m in GUARDED])
def test_a_signed_in_browser_session_opens_no_api_route(make_client, gen, world, rule, endpoint, method):
    client = make_client()
    assert sign_in(client, gen.user(Role.COORDINATOR)).status_code == 302
    assert _is_challenge(_call(client, method, _url(rule, world)))


def test_a_token_opens_no_page(make_client, gen):
    client = make_client()
    raw = token_for(gen.user(Role.COORDINATOR))
    for url in ("/cases/", "/referrals/find", "/admin/users"):
        response = client.get(url, headers=bearer(raw))
        assert response.status_code == 302 and response.location.startswith("/sign-in"), url


def test_refusals_of_a_known_token_are_in_the_audit_trail(make_client, gen, world):
    admin = gen.user(Role.ADMIN)
    raw = _raw_token(admin, ApiScope.READ)
    response = make_client().get(f"/fhir/Patient/{world['patient_id']}", headers=bearer(raw))
    assert response.status_code == 403
    row = db.session.execute(db.select(AuditEvent).filter_by(action="access_denied")).scalar_one()
    assert row.user_id == admin.id and "API GET /fhir/Patient/" in row.summary


def test_an_api_url_that_does_not_exist_answers_in_the_apis_format(make_client):
    client = make_client()
    fhir = client.get("/fhir/Patient/1/_history")
    assert fhir.status_code == 404 and fhir.content_type.startswith("application/fhir+json")
    wrong_method = client.delete("/fhir/metadata")
    assert wrong_method.status_code == 405 and wrong_method.content_type.startswith("application/fhir+json")


@pytest.mark.parametrize("huge", [2**31, 10**20])
def test_an_id_beyond_the_databases_range_is_not_found(make_client, gen, huge):
    headers = bearer(token_for(gen.user(Role.COORDINATOR)))
    client = make_client()
    for url in (f"/fhir/Patient/{huge}", f"/fhir/Patient/{huge}/$everything", f"/fhir/Observation/{huge}-odi",
                f"/fhir/Practitioner/{huge}", f"/fhir/Location/{huge}"):
        assert client.get(url, headers=headers).status_code == 404, url


@pytest.mark.parametrize("url", ["/fhir/Patient/{patient_id}", "/api/v1/cases"])
def test_an_ended_browser_session_on_the_api_is_a_401_challenge_never_the_sign_in_page(make_client, gen, world,
                                                                                       url):
    url = url.format(**world)
    coordinator = gen.user(Role.COORDINATOR)
    client = make_client()
    assert sign_in(client, coordinator).status_code == 302
    with client.session_transaction() as session:  # signed in long ago: past the absolute limit
        session["signed_in_at"] = session["last_seen"] = 0

    for headers in ({}, bearer("sit_not-a-token")):
        response = client.get(url, headers=headers)
        assert _is_challenge(response), (response.status_code, response.headers.get("Location"))
        assert response.content_type.startswith(("application/fhir+json", "application/problem+json"))
    # The token is the credential, whatever the cookie beside it says.
    assert client.get(url, headers=bearer(token_for(coordinator))).status_code == 200
    # The ended session is still ended on the pages.
    assert client.get("/cases/").headers["Location"].startswith("/sign-in")


def test_an_absent_session_cookie_is_a_401_challenge_too(make_client, world):
    for url in (f"/fhir/Patient/{world['patient_id']}", "/api/v1/cases", "/fhir"):
        response = make_client().open(url, method="POST" if url == "/fhir" else "GET")
        assert _is_challenge(response) and "Location" not in response.headers, url


def test_a_body_too_large_is_answered_in_the_apis_format(app, make_client, gen):
    intake = bearer(token_for(gen.user(Role.COORDINATOR), "intake"), **{"Content-Type": "application/fhir+json"})
    huge = '{"resourceType": "Bundle", "type": "transaction", "entry": [], "x": "' + \
        "x" * app.config["MAX_CONTENT_LENGTH"] + '"}'
    response = make_client().post("/fhir", data=huge, headers=intake)
    assert response.status_code == 413 and response.content_type.startswith("application/fhir+json")
    outcome = response.get_json(force=True)
    assert outcome["resourceType"] == "OperationOutcome" and outcome["issue"][0]["code"] == "too-costly"
    assert "larger than" in outcome["issue"][0]["diagnostics"]


def test_a_refusal_under_each_prefix_is_in_that_prefixs_format(make_client, gen, world):
    admin_token = bearer(_raw_token(gen.user(Role.ADMIN), ApiScope.READ))
    fhir = make_client().get(f"/fhir/Patient/{world['patient_id']}", headers=admin_token)
    assert fhir.status_code == 403 and fhir.get_json(force=True)["issue"][0]["code"] == "forbidden"
    api = make_client().get("/api/v1/cases", headers=admin_token)
    assert api.status_code == 403 and api.content_type == "application/problem+json"
    assert api.get_json(force=True)["status"] == 403


@pytest.mark.parametrize("method,url,allowed", [
    ("post", "/api/v1/cases", "GET"), ("delete", "/fhir/metadata", "GET"), ("put", "/sign-out", "POST")])
def test_a_wrong_method_names_the_methods_the_address_takes(make_client, method, url, allowed):
    # RFC 9110 §15.5.6: a 405 carries Allow (schemathesis: "405 without required Allow header").
    response = getattr(make_client(), method)(url)
    assert response.status_code == 405
    assert allowed in {m.strip() for m in response.headers.get("Allow", "").split(",")}


@pytest.mark.parametrize("method", ["post", "put"])
def test_writing_a_fhir_resource_directly_points_to_the_transaction_that_takes_a_referral(make_client, method):
    """An EHR developer's first try is POST /fhir/Patient (or PUT): "Method not allowed here." alone
    leaves them guessing; the answer says the server reads resources and where a referral is sent."""
    response = getattr(make_client(), method)("/fhir/Patient", json={"resourceType": "Patient"})
    assert response.status_code == 405
    [issue] = response.get_json()["issue"]
    assert issue["diagnostics"] == (f"{method.upper()} /fhir/Patient is not taken: this server reads resources "
                                    "(GET); a referral is sent as a transaction Bundle with POST to /fhir.")
