"""0063_live_mrn_unique: an MRN is unique among the records in use, so the record kept
after a merge may take its merged duplicate's number; two live records still cannot share one. The
downgrade restores the constraint on every record, renaming a merged record's number a live record
has taken ("<number>~merged-<id>").

Runs against the database of this test run: SQLite by default, PostgreSQL in CI's second pass.
"""
from datetime import date

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import MetaData, insert, select, update
from sqlalchemy.exc import IntegrityError

from tests.migrations.rows import T, patient_with_cases
from tracker.extensions import db

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

BEFORE, REVISION = "0062_injectate_drug_name", "0063_live_mrn_unique"


def _patient(patient_id, mrn, merged_into=None):
    return {"id": patient_id, "mrn": mrn, "mrn_key": mrn.replace("-", ""), "family_name": "Doe", "given_name": "Pat",
            "date_of_birth": date(1960, 1, 1), "sex": "female", "preferred_contact": "email", "language": "English",
            "created_at": T, "merged_into_id": merged_into}


def test_a_merged_records_number_may_be_taken_by_the_record_kept_and_the_downgrade_gives_it_back(migration_app):
    upgrade(revision=BEFORE)
    tables = MetaData()
    tables.reflect(db.engine)
    patients = tables.tables["patients"]
    with db.engine.begin() as conn:
        patient_with_cases(conn, tables, ("left",))  # patient 1, MRN "100"
        conn.execute(insert(patients), [_patient(2, "A-200", merged_into=1)])
    with pytest.raises(IntegrityError), db.engine.begin() as conn:
        conn.execute(update(patients).where(patients.c.id == 1).values(mrn="A-200"))

    upgrade(revision=REVISION)
    with db.engine.begin() as conn:
        conn.execute(update(patients).where(patients.c.id == 1).values(mrn="A-200"))
    with pytest.raises(IntegrityError), db.engine.begin() as conn:
        conn.execute(insert(patients), [_patient(3, "A-200")])

    downgrade(revision=BEFORE)
    with db.engine.connect() as conn:
        assert dict(conn.execute(select(patients.c.id, patients.c.mrn).order_by(patients.c.id)).all()) == {
            1: "A-200", 2: "A-200~merged-2"}
    with pytest.raises(IntegrityError), db.engine.begin() as conn:
        conn.execute(insert(patients), [_patient(3, "A-200", merged_into=1)])
