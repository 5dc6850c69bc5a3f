"""Headers, cookies, production settings, CSRF and output escaping."""
import pytest
from sqlalchemy import func, select

from config import ProductionConfig

from tests.helpers import PASSWORD, csrf_from, sign_in, submit, text
from tracker import create_app
from tracker.extensions import db
from tracker.models import Case, User
from tracker.roles import Role
from tracker.workflow import State

STRONG_KEY = "3f9c1e7a5b2d4c6e8f0a1b3c5d7e9f1a2b4c6d8e0f1a3b5c"


def csp_directives(response):
    policy = response.headers["Content-Security-Policy"]
    return {part.split()[0]: part.split()[1:] for part in policy.split(";") if part.strip()}


@pytest.fixture
def signed_in_coordinator(client, gen, login_as):
    return login_as(gen.user(Role.COORDINATOR))


@pytest.mark.parametrize("path", ["/sign-in", "/no-such-page", "/static/css/app.css"])
def test_every_response_carries_the_security_headers(client, path):
    response = client.get(path)

    directives = csp_directives(response)
    assert "'unsafe-inline'" not in response.headers["Content-Security-Policy"]
    assert "'unsafe-eval'" not in response.headers["Content-Security-Policy"]
    assert directives["default-src"] == ["'self'"]
    assert directives["script-src"] == ["'self'"]
    assert directives["frame-ancestors"] == ["'none'"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] in {"no-referrer", "same-origin",
                                                   "strict-origin-when-cross-origin"}


def test_signed_in_pages_carry_the_security_headers(signed_in_coordinator):
    response = signed_in_coordinator.get("/cases/")

    assert response.status_code == 200
    assert "'unsafe-inline'" not in response.headers["Content-Security-Policy"]
    assert csp_directives(response)["frame-ancestors"] == ["'none'"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_pages_do_not_use_inline_scripts_or_styles_the_policy_would_block(signed_in_coordinator,
                                                                          gen):
    case = gen.case()
    for path in ("/cases/", f"/cases/{case.id}", "/cases/new"):
        html = signed_in_coordinator.get(path).get_data(as_text=True)
        assert "<script>" not in html and "<style" not in html and " style=" not in html
        assert " onclick=" not in html and " onsubmit=" not in html


def test_case_page_with_patient_data_is_never_cached(signed_in_coordinator, gen):
    case = gen.case()

    response = signed_in_coordinator.get(f"/cases/{case.id}")

    assert response.status_code == 200
    assert case.patient.mrn in response.get_data(as_text=True)
    assert "no-store" in response.headers["Cache-Control"]


def test_patient_case_page_is_never_cached(client, gen, login_as):
    patient_user = gen.user(Role.PATIENT)
    case = gen.case(patient=patient_user.patient)
    login_as(patient_user)

    response = client.get(f"/my/cases/{case.id}")

    assert response.status_code == 200
    assert "no-store" in response.headers["Cache-Control"]


def test_worklist_is_never_cached(signed_in_coordinator):
    assert "no-store" in signed_in_coordinator.get("/cases/").headers["Cache-Control"]


def test_session_cookie_is_http_only_and_same_site_lax(client, gen):
    response = sign_in(client, gen.user(Role.COORDINATOR))

    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("tracker_session=")
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie


# ---------------------------------------------------------------- production settings


def production_app(app, **overrides):
    settings = {"SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"], **overrides}
    return create_app(ProductionConfig, **settings)


def test_production_sets_the_session_cookie_secure(app):
    prod = production_app(app, SECRET_KEY=STRONG_KEY)
    try:
        response = prod.test_client().get("/sign-in")

        assert response.status_code == 200
        cookie = response.headers["Set-Cookie"]
        assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
        assert "max-age=" in response.headers["Strict-Transport-Security"]
    finally:
        with prod.app_context():
            db.engine.dispose()


@pytest.mark.parametrize("key", [
    "",
    "short-key",
    "dev-only-not-for-production-but-long-enough-0123",
    "change-me-change-me-change-me-change-me",
])
def test_production_refuses_to_start_without_a_strong_secret_key(app, key):
    with pytest.raises(RuntimeError, match="SECRET_KEY must be set to a random value"):
        production_app(app, SECRET_KEY=key)


def test_production_refuses_to_start_with_debug_on(app):
    with pytest.raises(RuntimeError, match="Debug mode must be off in production"):
        production_app(app, SECRET_KEY=STRONG_KEY, DEBUG=True)


def test_production_refuses_the_demo_seed_whose_accounts_have_published_passwords(app):
    """The README lists the demo accounts' passwords (admin@demo.clinic among them): seeded into a
    real clinic's database, anyone could sign in as its admin or coordinator."""
    prod = production_app(app, SECRET_KEY=STRONG_KEY)
    try:
        result = prod.test_cli_runner().invoke(args=["demo", "seed"])

        assert result.exit_code != 0
        assert "not in production" in result.output
        with prod.app_context():
            assert db.session.execute(select(User).filter_by(email="admin@demo.clinic")).first() is None
    finally:
        with prod.app_context():
            db.session.remove()
            db.engine.dispose()


def test_production_behind_its_https_proxy_takes_a_form_the_browser_posts_without_a_referrer(app, gen):
    """Every page says Referrer-Policy: no-referrer, so a browser posts every form without a
    Referer. Served over HTTPS behind its proxy (PROXY_COUNT=1, the proxy's X-Forwarded-Proto, as
    *Production* sets it up), the form's token is the check: signing in works, and a post without
    the token is still refused."""
    user = gen.user(Role.COORDINATOR)
    prod = production_app(app, SECRET_KEY=STRONG_KEY, PROXY_COUNT=1)
    try:
        browser = prod.test_client()
        browser.environ_base.update({"HTTP_X_FORWARDED_PROTO": "https", "HTTP_X_FORWARDED_FOR": "203.0.113.7"})
        page = browser.get("/sign-in")
        assert page.headers["Referrer-Policy"] == "no-referrer"

        forged = browser.post("/sign-in", data={"email": user.email, "password": PASSWORD})
        response = browser.post("/sign-in", data={"csrf_token": csrf_from(page.get_data(as_text=True)),
                                                  "email": user.email, "password": PASSWORD})

        assert forged.status_code == 400
        assert response.status_code == 302, text(response)
        assert browser.get("/cases/").status_code == 200
    finally:
        with prod.app_context():
            db.engine.dispose()


# ---------------------------------------------------------------- CSRF


def test_form_post_without_csrf_token_is_refused_and_changes_nothing(client, gen, login_as):
    login_as(gen.user(Role.ADMIN))
    users_before = db.session.scalar(select(func.count()).select_from(User))

    response = client.post("/admin/users/new", data={
        "email": "new.person@test.clinic", "name": "New Person", "role": "coordinator",
        "new_password": "Sacral-ala-lateral-77",
    })

    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "sent without its security token" in html and "Nothing was saved." in html
    assert db.session.scalar(select(func.count()).select_from(User)) == users_before


def test_transition_without_csrf_token_leaves_the_case_where_it_was(client, gen, login_as):
    login_as(gen.user(Role.COORDINATOR))
    case = gen.case(state=State.REFERRED)

    response = client.post(f"/cases/{case.id}/transition",
                           data={"action": "start_review", "version_id": case.version_id})

    assert response.status_code == 400
    db.session.expire_all()
    assert db.session.get(Case, case.id).state == State.REFERRED


def test_post_with_a_forged_csrf_token_is_refused(client, gen, login_as):
    login_as(gen.user(Role.ADMIN))

    response = client.post("/admin/users/new", data={
        "csrf_token": "forged-token", "email": "new.person@test.clinic", "name": "New Person",
        "role": "coordinator", "new_password": "Sacral-ala-lateral-77",
    })

    assert response.status_code == 400
    assert db.session.execute(
        select(User).filter_by(email="new.person@test.clinic")).first() is None


def test_the_same_post_with_its_token_goes_through(client, gen, login_as):
    """The control for the refusals above: with the token, the form works."""
    login_as(gen.user(Role.ADMIN))

    response = submit(client, "/admin/users/new", {
        "email": "new.person@test.clinic", "name": "New Person", "role": "coordinator",
        "new_password": "Sacral-ala-lateral-77",
    })

    assert response.status_code == 302
    assert db.session.execute(select(User).filter_by(email="new.person@test.clinic")).first()


# ---------------------------------------------------------------- escaping


SCRIPT = "<script>alert(1)</script>"


def test_patient_name_with_markup_is_shown_as_text(client, gen, login_as):
    case = gen.case(patient=gen.patient(family_name=SCRIPT, given_name="<b>Bold</b>"))
    login_as(gen.user(Role.COORDINATOR))

    for path in (f"/cases/{case.id}", "/cases/"):
        html = client.get(path).get_data(as_text=True)
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
        assert SCRIPT not in html
        assert "<b>Bold</b>" not in html


def test_user_name_with_markup_is_shown_as_text_to_admins(client, gen, login_as):
    gen.user(Role.COORDINATOR, name=SCRIPT)
    login_as(gen.user(Role.ADMIN))

    html = client.get("/admin/users").get_data(as_text=True)

    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert SCRIPT not in html
