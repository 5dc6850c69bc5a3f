"""0048_former_mrns keeps each corrected record's former numbers, so search and the worklist still
find the record by the number on letters and labels printed before the correction: the upgrade fills
them from the record history's MRN corrections, leaving out a number the record has again now and
keeping one row for a number corrected away twice; the downgrade drops them.

Runs against the database of this test run: SQLite by default, PostgreSQL in CI's second pass.
"""
from datetime import date, timedelta

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import MetaData, insert, inspect, select

from tracker.extensions import db

from tests.migrations.rows import T

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def _patient(id_, mrn, mrn_key):
    return {"id": id_, "mrn": mrn, "mrn_key": mrn_key, "family_name": f"Doe{id_}", "given_name": "Pat",
            "date_of_birth": date(1960, 1, 1), "sex": "female", "preferred_contact": "email",
            "language": "English", "created_at": T}


def _mrn_edit(id_, patient_id, old, new, days):
    return {"id": id_, "patient_id": patient_id, "at": T + timedelta(days=days), "action": "edit", "field": "mrn",
            "old_value": old, "new_value": new, "reason": "misread"}


def test_each_corrected_mrn_is_kept_as_a_former_number_from_the_history(migration_app):
    upgrade(revision="0047_ever_physician")
    tables = MetaData()
    tables.reflect(db.engine)
    with db.engine.begin() as conn:
        conn.execute(insert(tables.tables["patients"]), [
            _patient(1, "QA-7009", "QA7009"),   # corrected once: QA-7002 → QA-7009
            _patient(2, "QB-1", "QB1"),         # QB-1 → QB-2 → QB-1: has its number back
            _patient(3, "QC-3", "QC3"),         # QC-1 → QC-2, QC-2 → QC-1 → QC-3 (QC-1 twice)
            _patient(4, "QD-1", "QD1")])        # never corrected (a phone change only)
        conn.execute(insert(tables.tables["patient_history"]), [
            _mrn_edit(1, 1, "QA-7002", "QA-7009", 1),
            _mrn_edit(2, 2, "QB-1", "QB-2", 1), _mrn_edit(3, 2, "QB-2", "QB-1", 2),
            _mrn_edit(4, 3, "QC-1", "QC-2", 1), _mrn_edit(5, 3, "QC-2", "QC-1", 2), _mrn_edit(6, 3, "QC-1", "QC-3", 3),
            {**_mrn_edit(7, 4, "+12015550100", "+12015550111", 1), "field": "phone"}])

    upgrade(revision="0048_former_mrns")

    tables = MetaData()
    tables.reflect(db.engine)
    former = tables.tables["former_mrns"]
    with db.engine.connect() as conn:
        rows = conn.execute(select(former.c.patient_id, former.c.mrn, former.c.mrn_key, former.c.replaced_at)
                            .order_by(former.c.patient_id, former.c.mrn_key)).all()
    assert [(row.patient_id, row.mrn, row.mrn_key) for row in rows] == [
        (1, "QA-7002", "QA7002"), (2, "QB-2", "QB2"), (3, "QC-1", "QC1"), (3, "QC-2", "QC2")]
    # A number corrected away twice keeps the later correction's time.
    assert rows[2].replaced_at.replace(tzinfo=None) == (T + timedelta(days=3)).replace(tzinfo=None)
    assert "ix_former_mrns_mrn_key" in {index["name"] for index in inspect(db.engine).get_indexes("former_mrns")}

    downgrade(revision="0047_ever_physician")
    assert "former_mrns" not in inspect(db.engine).get_table_names()
