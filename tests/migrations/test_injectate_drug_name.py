"""0062_injectate_drug_name keeps each injectate row's drug name: rows saved before get the
formulary's name of today (a drug the formulary no longer holds keeps none, and the note shows its
code); the downgrade drops the column. After the upgrade, renaming a drug leaves a signed note as it
was signed (tests/functional/test_procedure_day_safety.py).

Runs against the database of this test run: SQLite by default, PostgreSQL in CI's second pass.
"""
from decimal import Decimal

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import MetaData, inspect, select

from tests.migrations.rows import drug_row, signed_case_at, step_row
from tracker.extensions import db

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

BEFORE, REVISION = "0061_room_location_es", "0062_injectate_drug_name"


def test_rows_saved_before_take_the_formularys_name_and_the_downgrade_drops_it(migration_app):
    signed_case_at(db.engine, BEFORE, (
        "formulary_drugs", [drug_row(1, "triamcinolone", "Triamcinolone acetonide", "steroid", strengths=["40"],
                                     strength_unit="mg/mL", usual_max_dose_mg=Decimal("40"))]),
        ("procedure_steps", [step_row(1, "injectate", {})]),
        ("injectate_rows", [
            {"id": 1, "step_id": 1, "position": 0, "drug_code": "triamcinolone", "concentration_mg_per_ml": 40,
             "dose_mg": 40, "volume_ml": 1, "lot_number": "TA-1"},
            {"id": 2, "step_id": 1, "position": 1, "drug_code": "retired_drug", "concentration_mg_per_ml": 5,
             "dose_mg": 5, "volume_ml": 1, "lot_number": "R-1"}]))

    upgrade(revision=REVISION)
    rows = MetaData()
    rows.reflect(db.engine)
    injectate = rows.tables["injectate_rows"]
    with db.engine.connect() as conn:
        named = dict(conn.execute(select(injectate.c.drug_code, injectate.c.drug_name)).all())
    assert named == {"triamcinolone": "Triamcinolone acetonide", "retired_drug": None}

    downgrade(revision=BEFORE)
    assert "drug_name" not in {c["name"] for c in inspect(db.engine).get_columns("injectate_rows")}
    with db.engine.connect() as conn:
        assert conn.execute(select(injectate.c.id).order_by(injectate.c.id)).scalars().all() == [1, 2]
