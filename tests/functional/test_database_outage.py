"""The database goes away under a signed-in user: the tracker answers with its own 503 page
(Retry-After, an incident number, the security headers), rendered without the database, and
everything committed before is there when the database is back.

The fault is real: PostgreSQL stops accepting connections and drops the open ones; SQLite's file
is moved away and a folder put in its place, so the driver cannot open it."""
import os
import re
from contextlib import contextmanager

from sqlalchemy import create_engine, text as sql
from sqlalchemy.engine import make_url

from tracker.roles import Role
from tracker.extensions import db
from tracker.models import Case

from tests.helpers import by_id, csrf_from, submit
from tests.builders import PATIENT, REFERRAL


@contextmanager
def database_away(app):
    url = make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    db.session.remove()
    db.engine.dispose()
    if url.get_backend_name() == "sqlite":
        path = url.database
        os.rename(path, path + ".away")
        os.mkdir(path)
        try:
            yield
        finally:
            os.rmdir(path)
            os.rename(path + ".away", path)
        return
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sql(f'ALTER DATABASE "{url.database}" ALLOW_CONNECTIONS false'))
        conn.execute(sql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                         "WHERE datname = :name AND pid <> pg_backend_pid()"), {"name": url.database})
        try:
            yield
        finally:
            conn.execute(sql(f'ALTER DATABASE "{url.database}" ALLOW_CONNECTIONS true'))
    admin.dispose()


def test_a_signed_in_user_gets_the_trackers_503_and_nothing_committed_is_lost(app, client, gen, login_as,
                                                                             caplog):
    login_as(gen.user(Role.COORDINATOR))
    assert submit(client, "/referrals/new", {**PATIENT, **REFERRAL}).status_code == 302
    form_page = client.get("/referrals/new").get_data(as_text=True)

    with database_away(app), caplog.at_level("ERROR"):
        page_view = client.get("/cases/")
        form_post = client.post("/referrals/new", data={**PATIENT, "mrn": "B-1", "csrf_token": csrf_from(form_page)})

    for response in (page_view, form_post):
        body = response.get_data(as_text=True)
        assert response.status_code == 503
        assert response.headers["Retry-After"] == "30"
        assert "The tracker cannot reach its records just now" in body and "pico.min.css" in body
        incident = by_id(body, "incident")
        assert incident.name == "strong" and re.fullmatch(r"[0-9a-f]{12}", incident.get_text())
        incident = incident.get_text()
        assert f"incident {incident}: database unavailable" in caplog.text
        assert "default-src 'self'" in response.headers["Content-Security-Policy"]
        assert response.headers["X-Frame-Options"] == "DENY" and response.headers["Cache-Control"] == "no-store"

    # Back: the same session goes on, and what was committed before the fault is all there.
    worklist = client.get("/cases/")
    assert worklist.status_code == 200 and "Okonkwo" in worklist.get_data(as_text=True)
    assert [c.patient.mrn for c in db.session.execute(db.select(Case)).scalars()] == ["A-100200"]


def test_api_clients_get_the_outage_in_the_apis_format_with_retry_after(app, make_client, gen):
    from tests.api_support import bearer, token_for

    headers = bearer(token_for(gen.user(Role.COORDINATOR)))
    client = make_client()
    with database_away(app):
        fhir = client.get("/fhir/Patient/1", headers=headers)
        api = client.get("/api/v1/cases", headers=headers)

    assert fhir.status_code == 503 and fhir.content_type.startswith("application/fhir+json")
    issue = fhir.get_json(force=True)["issue"][0]
    assert issue["code"] == "transient" and "cannot be reached" in issue["diagnostics"]
    assert api.status_code == 503 and api.content_type == "application/problem+json"
    assert "cannot be reached" in api.get_json(force=True)["detail"]
    for response in (fhir, api):
        assert response.headers["Retry-After"] == "30" and "<html" not in response.get_data(as_text=True)
