"""0031_mrn_key_ignores_punctuation recomputes every patient's MRN key without punctuation and
spaces, leaves the stored MRNs (the clinic's spelling) and the key's indexes as they were, and the
downgrade puts back the key with the punctuation.

Runs against the database of this test run: SQLite by default, PostgreSQL in CI's second pass.
"""
from datetime import date, datetime

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import MetaData, inspect, insert, select

from tracker.extensions import db


pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

T = datetime(2026, 11, 2, 9, 0)
MRNS = {1: "QA-1002", 2: "QA1002", 3: "ab.12/34", 4: "Ｘ－７７\u200b８８", 5: "900100"}


def _rows():
    tables = MetaData()
    tables.reflect(db.engine)
    patients = tables.tables["patients"]
    with db.engine.connect() as conn:
        return {row.id: (row.mrn, row.mrn_key) for row in conn.execute(select(patients.c.id, patients.c.mrn,
                                                                              patients.c.mrn_key))}


def _indexes():
    return {index["name"] for index in inspect(db.engine).get_indexes("patients")}


def test_the_upgrade_recomputes_mrn_keys_without_punctuation_and_the_downgrade_puts_it_back(migration_app):
    upgrade(revision="0030_open_cases_waiting")
    tables = MetaData()
    tables.reflect(db.engine)
    base = {"family_name": "Doe", "family_name_key": "doe", "given_name": "Pat", "given_name_key": "pat",
            "date_of_birth": date(1961, 4, 2), "sex": "female", "preferred_contact": "email",
            "language": "English", "created_at": T}
    old_keys = {1: "QA-1002", 2: "QA1002", 3: "AB.12/34", 4: "X-7788", 5: "900100"}
    with db.engine.begin() as conn:
        conn.execute(insert(tables.tables["patients"]),
                     [{**base, "id": i, "mrn": mrn, "mrn_key": old_keys[i]} for i, mrn in MRNS.items()])
    indexes = _indexes()
    assert {"ix_patients_mrn_key", "ix_patients_mrn_key_exact"} <= indexes

    upgrade(revision="0031_mrn_key_ignores_punctuation")

    assert _rows() == {1: ("QA-1002", "QA1002"), 2: ("QA1002", "QA1002"), 3: ("ab.12/34", "AB1234"),
                       4: (MRNS[4], "X7788"), 5: ("900100", "900100")}
    assert _indexes() == indexes

    downgrade(revision="0030_open_cases_waiting")

    assert _rows() == {i: (mrn, old_keys[i]) for i, mrn in MRNS.items()}
    assert _indexes() == indexes
