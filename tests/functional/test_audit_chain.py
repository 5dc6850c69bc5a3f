"""The audit trail proves itself: `flask audit seal` chains committed rows by hash, `flask audit
verify` names the first row altered, deleted or slipped in (as a database superuser could, past
the append-only triggers), the admin's audit page says whether the chain verifies and up to when
it is sealed, and an edit records its changed fields with old and new values, never a secret."""
import os
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import text

from tracker import audit_chain
from tracker.roles import Role
from tracker.audit import field_changes
from tracker.extensions import db
from tracker.models import AuditAction, AuditEvent, AuditSeal
from tracker.models.audit import AUDIT_TRIGGERS, SEAL_TRIGGERS

from tests.helpers import input_value, submit

ROOT = Path(__file__).resolve().parents[2]
HOUR_AGO = datetime.now(timezone.utc) - timedelta(hours=1)


def add_rows(n, at=None, first_id=None):
    rows = [AuditEvent(action=AuditAction.VIEW, object_type="case", object_id=str(i), actor="c@test.clinic",
                       summary=f"row {i}", at=at or HOUR_AGO, **({"id": first_id + i} if first_id else {}))
            for i in range(n)]
    db.session.add_all(rows)
    db.session.commit()
    return [row.id for row in rows]


def as_superuser(*statements):
    """Run SQL past the append-only triggers and foreign keys, as someone with the database's
    own rights could."""
    db.session.remove()
    with db.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("SET LOCAL session_replication_role = replica"))
            for sql in statements:
                conn.execute(text(sql))
            return
        conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
    with db.engine.begin() as conn:
        for name in ("audit_events_no_update", "audit_events_no_delete", "audit_seals_no_update",
                     "audit_seals_no_delete"):
            conn.execute(text(f"DROP TRIGGER {name}"))
        for sql in statements:
            conn.execute(text(sql))
        for sql in AUDIT_TRIGGERS["sqlite"] + SEAL_TRIGGERS["sqlite"]:
            conn.execute(text(sql))
    with db.engine.begin() as conn:
        conn.exec_driver_sql("PRAGMA foreign_keys=ON")


def test_seal_chains_rows_older_than_a_few_minutes_and_verify_walks_them(app_ctx):
    old = add_rows(5)
    new = add_rows(2, at=datetime.now(timezone.utc))
    sealed = audit_chain.seal()
    assert sealed.rows == 5 and sealed.alone
    assert [s.event_id for s in db.session.execute(db.select(AuditSeal).order_by(AuditSeal.position)).scalars()] == old
    verdict = audit_chain.verify()
    assert (verdict.ok, verdict.sealed_rows, verdict.unsealed_rows) == (True, 5, 2)
    assert verdict.sealed_through.id == old[-1] and verdict.head == sealed.head
    # Sealing again adds nothing until the newer rows are old enough, then continues the chain.
    assert audit_chain.seal().rows == 0
    assert audit_chain.seal(now=datetime.now(timezone.utc) + timedelta(minutes=10)).rows == 2
    assert audit_chain.verify().sealed_rows == 7 and new[-1] == audit_chain.verify().sealed_through.id


@pytest.mark.parametrize("tamper,problem", [
    (lambda ids: [f"UPDATE audit_events SET summary = 'nothing to see' WHERE id = {ids[3]}"],
     lambda ids: f"Row {ids[3]} was altered: it no longer matches its seal."),
    (lambda ids: [f"UPDATE audit_events SET at = at + INTERVAL '1 second' WHERE id = {ids[3]}"
                  if db.engine.dialect.name == "postgresql" else
                  f"UPDATE audit_events SET actor = 'someone.else@test.clinic' WHERE id = {ids[3]}"],
     lambda ids: f"Row {ids[3]} was altered: it no longer matches its seal."),
    (lambda ids: [f"DELETE FROM audit_events WHERE id = {ids[3]}"],
     lambda ids: f"Row {ids[3]} was deleted (its seal remains)."),
    (lambda ids: [f"DELETE FROM audit_seals WHERE event_id = {ids[3]}", f"DELETE FROM audit_events WHERE id = {ids[3]}"],
     lambda ids: f"A sealed row was deleted after row {ids[2]} (seal 4 is missing)."),
    (lambda ids: [f"UPDATE audit_seals SET chain_hash = '{'0' * 64}' WHERE event_id = {ids[3]}"],
     lambda ids: f"Row {ids[3]} was altered: it no longer matches its seal."),
], ids=["summary altered", "time or actor altered", "row deleted", "row and its seal deleted",
        "seal altered"])
def test_verify_names_the_first_row_tampered_with(app_ctx, tamper, problem):
    ids = add_rows(8)
    audit_chain.seal()
    as_superuser(*tamper(ids))
    verdict = audit_chain.verify()
    assert not verdict.ok and verdict.problem == problem(ids)
    assert verdict.sealed_rows == 3 and verdict.sealed_through.id == ids[2]


def test_verify_names_a_row_inserted_out_of_order(app_ctx):
    add_rows(3, first_id=100)
    audit_chain.seal()
    as_superuser(f"INSERT INTO audit_events (id, at, actor, action, summary) VALUES "
                 f"(50, '{HOUR_AGO.replace(tzinfo=None).isoformat(sep=' ')}', 'x', 'view', 'slipped in')")
    verdict = audit_chain.verify()
    assert not verdict.ok
    assert verdict.problem == "Row 50 was inserted out of order: it is not sealed, yet row 100 after it is."


def _flask(*args):
    return subprocess.Popen([sys.executable, "-m", "flask", "--app", "wsgi", "audit", *args], cwd=ROOT,
                            env={**os.environ, "TRACKER_CONFIG": "testing",
                                 "TEST_DATABASE_URL": db.engine.url.render_as_string(hide_password=False)},
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_two_seal_runs_at_once_make_one_unbroken_chain(app_ctx):
    ids = add_rows(2 * audit_chain.BATCH + 500)
    runs = [_flask("seal") for _ in range(2)]
    outputs = [run.communicate(timeout=300) for run in runs]
    assert [run.returncode for run in runs] == [0, 0], outputs
    assert db.session.execute(db.select(db.func.count()).select_from(AuditSeal)).scalar() == len(ids)

    verify = _flask("verify")
    out, err = verify.communicate(timeout=300)
    assert verify.returncode == 0, err
    assert f"The audit trail verifies: {len(ids)} row(s) sealed up to row {ids[-1]}" in out


def test_verify_exits_1_and_the_admin_page_says_where_the_chain_breaks(app, client, gen, login_as):
    ids = add_rows(4)
    runner = app.test_cli_runner()
    assert runner.invoke(args=["audit", "seal"]).exit_code == 0
    assert "The audit trail verifies" in runner.invoke(args=["audit", "verify"]).output
    login_as(gen.user(Role.ADMIN))
    page = client.get("/admin/audit").get_data(as_text=True)
    assert "The audit trail verifies." in page and f"up to row {ids[-1]}" in page
    assert f"Sealed up to row {ids[-1]}" in page

    as_superuser(f"UPDATE audit_events SET summary = 'edited' WHERE id = {ids[1]}")
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 1
    assert f"does NOT verify: Row {ids[1]} was altered" in result.output
    page = client.get("/admin/audit").get_data(as_text=True)
    assert "The audit trail does not verify." in page and f"Row {ids[1]} was altered" in page


def test_an_edit_records_each_changed_field_with_old_and_new_values_shown_in_words(client, gen, login_as):
    admin = gen.user(Role.ADMIN)
    user = gen.user(Role.COORDINATOR, name="Chris Jones")
    login_as(admin)
    version = input_value(client.get(f"/admin/users/{user.id}"), "version_id")
    submit(client, f"/admin/users/{user.id}", {"version_id": version, "email": user.email,
                                               "name": "Chris Jones-Bell", "role": "physician",
                                               "patient_mrn": "", "active": ""})
    event = db.session.execute(db.select(AuditEvent).filter_by(action=AuditAction.UPDATE)).scalar_one()
    assert event.changes == [
        {"field": "name", "old": "Chris Jones", "new": "Chris Jones-Bell"},
        {"field": "role", "old": "coordinator", "new": "physician"},
        {"field": "active", "old": True, "new": False},
    ]
    page = client.get("/admin/audit?action=update").get_data(as_text=True)
    assert "Name: Chris Jones → Chris Jones-Bell" in page
    assert "Role: coordinator → physician" in page and "Active: yes → no" in page


def test_a_secret_is_recorded_as_changed_never_with_its_value():
    changes = field_changes({"password_hash": "scrypt:old", "session_token": "a", "note": "x"},
                            {"password_hash": "scrypt:new", "session_token": "b", "note": "y"})
    assert changes == [{"field": "password_hash", "secret": True}, {"field": "session_token", "secret": True},
                       {"field": "note", "old": "x", "new": "y"}]
