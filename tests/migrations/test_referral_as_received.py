"""0046_referral_as_received keeps with each FHIR referral identifier the clinical facts a re-send is
compared with: for referrals received before, the case and its patient record as they are at the
upgrade (the best available: what was first sent was not kept); the downgrade drops them and keeps
the identifiers.

Runs against the database of this test run: SQLite by default, PostgreSQL in CI's second pass.
"""
from datetime import date

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import MetaData, insert, inspect, select, update

from tracker.extensions import db

from tests.migrations.rows import T, patient_with_cases

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def test_referrals_received_before_keep_the_case_as_it_is_now_as_what_was_received(migration_app):
    upgrade(revision="0045_hold_at_start")
    tables = MetaData()
    tables.reflect(db.engine)
    cases, identifiers = tables.tables["cases"], tables.tables["case_identifiers"]
    with db.engine.begin() as conn:
        patient_with_cases(conn, tables, ("left", "bilateral", "right"))
        conn.execute(update(cases).where(cases.c.id == 2).values(
            indication="therapeutic", diagnosis_codes=["S33.6XXA", "M46.1"], symptom_onset=date(2026, 5, 1)))
        conn.execute(insert(identifiers), [
            {"id": 1, "case_id": 1, "system": "urn:oid:1.2", "value": "REF-1", "received_at": T},
            {"id": 2, "case_id": 2, "system": "urn:oid:1.2", "value": "REF-2", "received_at": T}])

    upgrade(revision="0046_referral_as_received")

    tables = MetaData()
    tables.reflect(db.engine)
    identifiers = tables.tables["case_identifiers"]
    with db.engine.connect() as conn:
        kept = conn.execute(select(identifiers.c.id, identifiers.c.case_id, identifiers.c.value,
                                   identifiers.c.received).order_by(identifiers.c.id)).all()
    patient = {"mrn": "100", "family_name": "Doe", "given_name": "Pat", "date_of_birth": "1960-01-01"}
    assert [tuple(row) for row in kept] == [
        (1, 1, "REF-1", {**patient, "side": "left", "indication": "diagnostic", "diagnosis_codes": [],
                         "symptom_onset": None}),
        (2, 2, "REF-2", {**patient, "side": "bilateral", "indication": "therapeutic",
                         "diagnosis_codes": ["M46.1", "S33.6XXA"], "symptom_onset": "2026-05-01"})]
    assert not next(c for c in inspect(db.engine).get_columns("case_identifiers") if c["name"] == "received")["nullable"]

    downgrade(revision="0045_hold_at_start")
    assert "received" not in {c["name"] for c in inspect(db.engine).get_columns("case_identifiers")}
    with db.engine.connect() as conn:
        assert conn.execute(select(identifiers.c.id, identifiers.c.value).order_by(identifiers.c.id)).all() == [
            (1, "REF-1"), (2, "REF-2")]
    uniques = inspect(db.engine).get_unique_constraints("case_identifiers")
    assert [u["column_names"] for u in uniques] == [["system", "value"]]
