"""0021_patient_records folds the keys of the patients already registered and cleans their names,
leaving stored MRNs as they were (two that differ only by an invisible character get one key).

Runs against the database of this test run: SQLite by default, PostgreSQL in CI's second pass.
"""
from datetime import date, datetime

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import MetaData, insert, select

from tracker.extensions import db


pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

T = datetime(2026, 11, 2, 9, 0)


def _patients():
    tables = MetaData()
    tables.reflect(db.engine)
    return tables.tables["patients"]


def test_the_upgrade_folds_keys_and_cleans_names(migration_app):
    upgrade(revision="0020_diary_points_case_opens")
    patients = _patients()
    base = {"date_of_birth": date(1961, 4, 2), "sex": "female", "preferred_contact": "email",
            "language": "English", "created_at": T}
    with db.engine.begin() as conn:
        conn.execute(insert(patients), [
            {**base, "id": 1, "mrn": "A-100200", "family_name": "García", "family_name_key": "garcía",
             "given_name": "Lucía", "phone": "+1 (555) 010-0177"},
            {**base, "id": 2, "mrn": "A-100\u200b200", "family_name": "\u202eGarcia\u202c",
             "family_name_key": "garcia", "given_name": "Lucia", "phone": None},
        ])

    upgrade(revision="0021_patient_records")

    patients = _patients()
    with db.engine.connect() as conn:
        rows = {r.id: r for r in conn.execute(select(patients).order_by(patients.c.id))}
    assert rows[1].family_name == "García" and rows[1].family_name_key == "garcia"
    assert rows[1].given_name_key == "lucia" and rows[1].phone_key == "15550100177"
    assert rows[2].family_name == "Garcia" and rows[2].family_name_key == "garcia"
    assert rows[1].mrn_key == rows[2].mrn_key == "A-100200"
    assert rows[2].mrn == "A-100\u200b200"
    assert rows[1].version_id == 1

    downgrade(revision="0020_diary_points_case_opens")
    with db.engine.connect() as conn:
        keys = conn.execute(select(_patients().c.family_name_key).order_by("id")).scalars().all()
    assert keys == ["garcía", "garcia"]
