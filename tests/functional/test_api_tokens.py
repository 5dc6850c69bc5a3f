"""API tokens: an admin makes one on a page or on the command line (shown once, stored as a
hash), revokes it, and every step is in the audit trail."""

import pytest

from tracker.roles import Role
from tracker.api import tokens
from tracker.extensions import db
from tracker.models import ApiToken, AuditEvent

from tests.api_support import bearer
from tests.helpers import field_error, form_data, form_posting_to, input_by_id, soup, submit, words


def _form(user, **fields):
    return {"label": "EHR referral feed", "user_id": str(user.id), "scope": "intake", "days": "30", **fields}


def test_an_admin_creates_a_token_that_is_shown_once_and_stored_only_as_a_hash(client, admin, gen):
    coordinator = gen.user(Role.COORDINATOR, email="feed@test.clinic")
    response = submit(client, "/admin/api-tokens/", _form(coordinator))
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "Copy it now" in page
    token = input_by_id(page, "token-value")["value"]
    assert token.startswith("sit_")
    row = db.session.execute(db.select(ApiToken)).scalar_one()
    assert row.token_hash == tokens.digest(token) and token not in (row.token_hash, row.prefix)
    assert (row.user_id, row.scope.value, (row.expires_at - row.created_at).days) == (coordinator.id, "intake", 30)
    again = client.get("/admin/api-tokens/").get_data(as_text=True)
    assert token not in again and f"{row.prefix}…" in again and "feed@test.clinic" in again
    trail = db.session.execute(db.select(AuditEvent).filter_by(object_type="api_token")).scalar_one()
    assert trail.user_id == admin.id and token not in trail.summary


@pytest.mark.parametrize("role,message", [(Role.PATIENT, "is patient"), (Role.ADMIN, "is admin")])
def test_a_token_acts_only_as_a_coordinator_or_physician(client, admin, gen, role, message):
    account = gen.user(role)
    response = submit(client, "/admin/api-tokens/", _form(account))
    assert response.status_code == 422
    assert db.session.execute(db.select(ApiToken)).first() is None
    with pytest.raises(Exception, match=message):
        tokens.create(account, "read", 30, "feed")


def test_bad_input_is_explained_next_to_the_field_and_kept(client, admin, gen):
    coordinator = gen.user(Role.COORDINATOR)
    response = submit(client, "/admin/api-tokens/", _form(coordinator, days="400", label="Lab feed"))
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and "Enter the number of days the token lasts, from 1 to 366." in page
    assert 'value="Lab feed"' in page


def test_an_admin_revokes_a_token_once_the_page_naming_it_is_confirmed(client, admin, gen, make_client):
    """The list's Revoke… opens a page naming the token, its account, its scope and what stops
    working; the token is revoked only when its box is ticked."""
    row, raw = tokens.create(gen.user(Role.PHYSICIAN, name="Lena Hart", email="lena.hart@test.clinic"),
                             "intake", 30, "EHR feed")
    listed = soup(client.get("/admin/api-tokens/"))
    url = f"/admin/api-tokens/{row.id}/revoke"
    assert [a for a in listed.find_all("a", href=url) if words(a) == "Revoke…"]
    assert not listed.find("form", action=url)
    page = client.get(url)
    said = words(page)
    assert page.status_code == 200
    assert f"Revoke API token {row.prefix}…?" in said
    assert f"{row.prefix}… — EHR feed" in said and "Lena Hart (Physician, lena.hart@test.clinic)" in said
    assert "Read and referral intake" in said
    assert ("“EHR feed” can no longer read records or send referrals as lena.hart@test.clinic: every call to "
            "the FHIR and JSON API (/fhir, /api/v1) with this token is refused from now on") in said
    assert f"I confirm revoking token {row.prefix}… (EHR feed) for lena.hart@test.clinic" in said

    unticked = submit(client, url, form_data(form_posting_to(page.get_data(as_text=True), url)))
    assert unticked.status_code == 422
    assert field_error(unticked.get_data(as_text=True), "confirm") == (
        "Tick the box to revoke this token, or go back to keep it.")
    db.session.expire_all()
    assert db.session.get(ApiToken, row.id).revoked_at is None
    assert make_client().get("/api/v1/cases", headers=bearer(raw)).status_code == 200

    response = submit(client, url, {"confirm": "y"}, follow_redirects=True)
    assert "revoked: it no longer opens the API" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(ApiToken, row.id).revoked_by_id == admin.id
    revoked = db.session.execute(db.select(AuditEvent).filter_by(object_type="api_token", action="update")).scalar_one()
    assert (revoked.user_id, revoked.summary) == (admin.id, f"API token {row.prefix}… (intake) for {row.user.email} revoked")
    assert make_client().get("/api/v1/cases", headers=bearer(raw)).status_code == 401
    assert _listed_status(client, row) == "revoked"
    assert not soup(client.get("/admin/api-tokens/")).find("a", href=url)


def test_a_read_token_s_page_says_only_reading_stops(client, admin, gen):
    row, _ = tokens.create(gen.user(Role.COORDINATOR, email="feed@test.clinic"), "read", 30, "Lab feed")
    said = words(client.get(f"/admin/api-tokens/{row.id}/revoke"))
    assert "“Lab feed” can no longer read records as feed@test.clinic:" in said and "send referrals" not in said


def test_a_token_already_revoked_is_not_revoked_again(client, admin, gen):
    row, _ = tokens.create(gen.user(Role.PHYSICIAN), "read", 30, "feed")
    tokens.revoke(row)
    response = client.get(f"/admin/api-tokens/{row.id}/revoke", follow_redirects=True)
    assert f"Token {row.prefix}… was already revoked." in words(response)
    assert len(db.session.execute(db.select(AuditEvent).filter_by(object_type="api_token", action="update"))
               .scalars().all()) == 1


def test_the_command_line_prints_the_token_once_and_revokes_it(app, gen):
    user = gen.user(Role.COORDINATOR, email="cli@test.clinic")
    runner = app.test_cli_runner()
    result = runner.invoke(args=["api-tokens", "create", "--email", "CLI@test.clinic", "--scope", "read",
                                 "--days", "7"])
    assert result.exit_code == 0, result.output
    token = result.output.strip().splitlines()[-1]
    assert token.startswith("sit_") and "not shown again" in result.output
    row = db.session.execute(db.select(ApiToken)).scalar_one()
    assert (row.user_id, row.scope.value, row.token_hash) == (user.id, "read", tokens.digest(token))
    listed = runner.invoke(args=["api-tokens", "list"])
    assert token not in listed.output and row.prefix in listed.output and "active" in listed.output
    assert runner.invoke(args=["api-tokens", "revoke", str(row.id)]).exit_code == 0
    db.session.expire_all()
    assert db.session.get(ApiToken, row.id).revoked_at is not None


def test_a_token_made_or_revoked_on_the_command_line_is_audited_naming_the_channel_and_the_account(
        app, gen, monkeypatch):
    """The same rows as the admin page writes, naming the command line (and the system account
    that ran it: the person behind sudo) as who, and the account the token acts as."""
    gen.user(Role.COORDINATOR, email="cli@test.clinic")
    monkeypatch.setenv("SUDO_USER", "alice")
    runner = app.test_cli_runner()
    created = runner.invoke(args=["api-tokens", "create", "--email", "cli@test.clinic", "--scope", "intake",
                                  "--days", "30"])
    assert created.exit_code == 0, created.output
    row = db.session.execute(db.select(ApiToken)).scalar_one()
    assert runner.invoke(args=["api-tokens", "revoke", str(row.id)]).exit_code == 0
    trail = db.session.execute(db.select(AuditEvent).filter_by(object_type="api_token", object_id=str(row.id))
                               .order_by(AuditEvent.id)).scalars().all()
    assert [(r.action.value, r.actor, r.user_id) for r in trail] == [
        ("create", "command line (system user alice)", None), ("update", "command line (system user alice)", None)]
    assert trail[0].summary == f"API token {row.prefix}… (intake, 30 days) for cli@test.clinic"
    assert trail[1].summary == f"API token {row.prefix}… (intake) for cli@test.clinic revoked"


def test_the_command_line_refuses_an_unknown_account_or_a_patient(app, gen):
    patient = gen.user(Role.PATIENT)
    runner = app.test_cli_runner()
    unknown = runner.invoke(args=["api-tokens", "create", "--email", "nobody@x.org", "--scope", "read"])
    assert unknown.exit_code != 0 and "No account with the email" in unknown.output
    refused = runner.invoke(args=["api-tokens", "create", "--email", patient.email, "--scope", "read"])
    assert refused.exit_code != 0 and "coordinator or physician" in refused.output
    assert db.session.execute(db.select(ApiToken)).first() is None


# ---------------------------------------------------------------- a token's account changes

def _listed_status(client, row):
    """The Status cell of the token's row on the token list."""
    page = soup(client.get("/admin/api-tokens/").get_data(as_text=True))
    [cell] = [tr.find_all("td")[4] for tr in page.find_all("tr") if tr.find("code") and
              tr.find("code").get_text() == f"{row.prefix}…"]
    return words(cell)


def test_a_token_whose_account_changed_is_refused_in_a_plain_sentence_and_listed_as_it_stands(
        client, admin, gen, make_client):
    """Tokens made before an account changed, its tokens not revoked (the account changed outside
    the admin's form): what the caller reads and what the list says."""
    lena = gen.user(Role.COORDINATOR, email="lena.hart@test.clinic")
    row, raw = tokens.create(lena, "read", 30, "EHR feed")
    api = make_client()
    for role, active, status, detail, listed in (
            (Role.ADMIN, True, 403, "is an admin account; API tokens act only for coordinator and physician accounts.",
             "account not allowed (now an admin account)"),
            (Role.COORDINATOR, False, 401, "is deactivated; the token no longer opens the API.",
             "account deactivated")):
        lena.role, lena.active = role, active
        db.session.commit()
        response = api.get("/api/v1/cases", headers=bearer(raw))
        assert response.status_code == status
        assert response.get_json()["detail"] == f"This token's account (lena.hart@test.clinic) {detail}"
        assert _listed_status(client, row) == listed


@pytest.mark.parametrize("change,back,why", [
    ({"active": None}, {"active": "y"}, "account deactivated"),
    ({"role": "admin"}, {"role": "coordinator"}, "account made admin")], ids=["deactivated", "made admin"])
def test_deactivating_an_account_or_making_it_an_admin_revokes_its_tokens_for_good(
        client, admin, gen, make_client, change, back, why):
    """Reactivating the account later (or making it a coordinator again) does not bring its old
    tokens back: a new one is made on purpose."""
    from tests.functional.test_admin_users import save_user

    lena = gen.user(Role.COORDINATOR, email="lena.hart@test.clinic")
    row, raw = tokens.create(lena, "read", 30, "EHR feed")
    response = save_user(client, lena.id, **change)
    assert response.status_code == 302
    said = words(client.get(response.location).get_data(as_text=True))
    assert f"Its API token {row.prefix}… (EHR feed) was revoked" in said
    assert _listed_status(client, row) == "revoked"
    trail = db.session.execute(db.select(AuditEvent).filter_by(object_type="api_token", object_id=str(row.id),
                                                               action="update")).scalar_one()
    assert (trail.user_id, trail.summary) == (
        admin.id, f"API token {row.prefix}… (read) for lena.hart@test.clinic revoked: {why}")

    assert save_user(client, lena.id, **back).status_code == 302
    response = make_client().get("/api/v1/cases", headers=bearer(raw))
    assert response.status_code == 401
    assert response.get_json()["detail"] == "This token was revoked; ask the clinic's admin for a new one."


def test_a_read_token_sending_a_referral_is_refused_in_a_plain_sentence_saying_what_to_ask_for(gen, make_client):
    """Walkthrough 2: an EHR that sends a referral with a read token is told why in a sentence, as
    every other refusal of a token is ("This token was revoked; ask the clinic's admin for a new
    one."), not in the code's words ("the token's scope is read; this needs intake")."""
    from tests.api_support import intake_bundle, post_bundle

    _, raw = tokens.create(gen.user(Role.COORDINATOR), "read", 30, "EHR feed")
    response = post_bundle(make_client(), bearer(raw), intake_bundle())
    assert response.status_code == 403
    [issue] = response.get_json()["issue"]
    assert issue["code"] == "forbidden"
    assert issue["diagnostics"] == ("This token's scope is read: it reads but does not send referrals; "
                                    "ask the clinic's admin for an intake token.")
    assert db.session.execute(db.select(db.func.count(AuditEvent.id)).filter(
        AuditEvent.summary.contains("ask the clinic's admin for an intake token"))).scalar() == 1
    # RFC 6750 3.1: a client library reads the challenge, not the prose, to tell "get a token of
    # another scope" from "get a new token".
    assert response.headers["WWW-Authenticate"].startswith('Bearer realm="si-joint-tracker", error="insufficient_scope"')
    assert 'scope="intake"' in response.headers["WWW-Authenticate"]


@pytest.mark.parametrize("change,said", [
    ({"active": None}, "was revoked because the account is deactivated: the system using it can no longer call "
                       "the API, and reactivating the account will not bring it back (make a new token if needed)."),
    ({"role": "admin"}, "was revoked because API tokens act only for coordinator and physician accounts, and this "
                        "one is now an admin account: the system using it can no longer call the API, and making "
                        "the account a coordinator or physician again will not bring it back (make a new token "
                        "if needed)."),
    ({"role": "patient", "patient_mrn": "MRN-LENA"},
     "was revoked because API tokens act only for coordinator and physician accounts, and this one is now a "
     "patient account: the system using it can no longer call the API, and making the account a coordinator or "
     "physician again will not bring it back (make a new token if needed)."),
    ({"role": "admin", "active": None},
     "was revoked because the account is deactivated and now an admin account: the system using it can no longer "
     "call the API, and reactivating the account as a coordinator or physician will not bring it back (make a new "
     "token if needed)."),
], ids=["deactivated", "made admin", "made patient", "deactivated and made admin"])
def test_the_save_says_why_the_tokens_were_revoked_in_words_that_fit_the_change(client, admin, gen, change, said):
    """Walkthrough 17: a role change was told "reactivating the account will not bring it back",
    words for a deactivation; each cause gets its own."""
    from tests.functional.test_admin_users import save_user

    gen.patient(mrn="MRN-LENA", family_name="Hart", given_name="Lena")
    lena = gen.user(Role.COORDINATOR, name="Lena Hart", email="lena.hart@test.clinic")
    row, _raw = tokens.create(lena, "read", 30, "EHR feed")
    response = save_user(client, lena.id, **change)
    assert response.status_code == 302, words(response.get_data(as_text=True))[:2000]
    page = words(client.get(response.location).get_data(as_text=True))
    assert f"Its API token {row.prefix}… (EHR feed) {said}" in page
    assert "reactivating" not in page or "deactivated" in said


def test_two_tokens_revoked_by_a_role_change_are_told_in_the_plural(client, admin, gen):
    from tests.functional.test_admin_users import save_user

    lena = gen.user(Role.COORDINATOR, name="Lena Hart", email="lena.hart@test.clinic")
    first, _ = tokens.create(lena, "read", 30, "EHR feed")
    second, _ = tokens.create(lena, "read", 30, "Lab feed")
    response = save_user(client, lena.id, role="admin")
    assert response.status_code == 302
    page = words(client.get(response.location).get_data(as_text=True))
    assert (f"Its 2 API tokens {first.prefix}… (EHR feed), {second.prefix}… (Lab feed) were revoked because API "
            "tokens act only for coordinator and physician accounts, and this one is now an admin account: the "
            "systems using them can no longer call the API, and making the account a coordinator or physician "
            "again will not bring them back (make new tokens if needed).") in page


@pytest.mark.parametrize("change,why", [
    ({"active": None}, "is deactivated"),
    ({"role": "admin"}, "is an admin account"),
    ({"active": None, "role": "admin"}, "is deactivated and an admin account")],
    ids=["deactivated", "made admin", "both"])
def test_a_token_revoked_with_its_accounts_change_says_why_to_the_caller_and_in_the_audit_trail(
        client, admin, gen, make_client, change, why):
    """The save revokes the account's tokens; the system still calling with one is told the reason
    (so its operator asks for a token of another account, not a new one of this account)."""
    from tests.functional.test_admin_users import save_user

    lena = gen.user(Role.COORDINATOR, email="lena.hart@test.clinic")
    _, raw = tokens.create(lena, "read", 30, "EHR feed")
    assert save_user(client, lena.id, **change).status_code == 302
    said = (f"This token was revoked, and its account (lena.hart@test.clinic) {why}; ask the clinic's admin "
            f"for a new token acting as an active coordinator or physician account.")
    for url, detail in (("/api/v1/cases", lambda r: r.get_json()["detail"]),
                        ("/fhir/Patient/1", lambda r: r.get_json()["issue"][0]["diagnostics"])):
        response = make_client().get(url, headers=bearer(raw))
        assert response.status_code == 401
        assert detail(response) == said
        assert f'error_description="{said}"' in response.headers["WWW-Authenticate"]
    refused = db.session.execute(db.select(AuditEvent).filter_by(action="access_denied")
                                 .order_by(AuditEvent.id)).scalars().all()
    assert [r.summary for r in refused] == [f"API GET /api/v1/cases: {said}", f"API GET /fhir/Patient/1: {said}"]
