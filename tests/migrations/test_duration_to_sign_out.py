"""0043_duration_to_sign_out: a signed procedure's duration runs from its start to its sign-out step
(when that step was first recorded), not to the physician's signature. Signing stamped the end
and the duration at the signature, so a morning list signed at lunchtime read as over 30 minutes;
the upgrade recomputes each signed record's end and duration from its sign-out step (kept when it
has none), the downgrade puts the signature's back. Records not signed keep no end or duration.

Runs against the database of this test run: SQLite by default, PostgreSQL in CI's second pass.
"""
from datetime import timedelta

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import MetaData, insert, select

from tracker.extensions import db

from tests.migrations.rows import T, patient_with_cases

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def m(minutes, seconds=0):
    return T + timedelta(minutes=minutes, seconds=seconds)


def stamps():
    tables = MetaData()
    tables.reflect(db.engine)
    records = tables.tables["procedure_records"]
    with db.engine.connect() as conn:
        return {row.id: (row.ended_at, row.duration_minutes, row.signed_at) for row in conn.execute(
            select(records.c.id, records.c.ended_at, records.c.duration_minutes, records.c.signed_at))}


def test_signed_durations_run_to_the_sign_out_after_the_upgrade_and_to_the_signature_after_the_downgrade(
        migration_app):
    upgrade(revision="0042_anticoagulant_last_dose")
    tables = MetaData()
    tables.reflect(db.engine)
    records, steps = tables.tables["procedure_records"], tables.tables["procedure_steps"]
    signed = {"status": "signed", "signed_by_id": 1}
    with db.engine.begin() as conn:
        patient_with_cases(conn, tables, ("left", "right", "left", "left"))
        conn.execute(insert(records), [
            {"id": case_id, "case_id": case_id, "side": side, "started_at": T, "started_by_id": 1,
             "last_change_at": T, "version_id": 1, **fields}
            for case_id, side, fields in (
                # Sign-out at 23 min 40 s, signed at 34 min 10 s: stored as 34, flagged.
                (1, "left", {**signed, "ended_at": m(34, 10), "signed_at": m(34, 10), "duration_minutes": 34}),
                # Sign-out at 31 min (corrected at 40), signed at 33: long either way.
                (2, "right", {**signed, "ended_at": m(33), "signed_at": m(33), "duration_minutes": 33}),
                # No sign-out row (cannot be signed without one today): left as it was.
                (3, "left", {**signed, "ended_at": m(25), "signed_at": m(25), "duration_minutes": 25}),
                (4, "left", {"status": "in_progress", "ended_at": None, "signed_at": None, "signed_by_id": None,
                             "duration_minutes": None}))])
        conn.execute(insert(steps), [
            {"record_id": record, "step": step, "side": side, "attempt": 1, "answers": {}, "warnings": "",
             "recorded_at": last, "recorded_by_id": 1, "first_recorded_at": first, "first_recorded_by_id": 1,
             "version_id": 1}
            for record, step, side, first, last in (
                (1, "injectate", "left", m(20), m(20)),
                (1, "sign_out", "left", m(23, 40), m(23, 40)),
                (2, "sign_out", "right", m(31), m(40)),
                (3, "injectate", "left", m(20), m(20)),
                (4, "sign_out", "left", m(22), m(22)))])

    upgrade(revision="0043_duration_to_sign_out")
    assert stamps() == {1: (m(23, 40), 23, m(34, 10)), 2: (m(31), 31, m(33)), 3: (m(25), 25, m(25)),
                        4: (None, None, None)}

    downgrade(revision="0042_anticoagulant_last_dose")
    assert stamps() == {1: (m(34, 10), 34, m(34, 10)), 2: (m(33), 33, m(33)), 3: (m(25), 25, m(25)),
                        4: (None, None, None)}
