"""0028_risk_screen_answers reads old risk screens by what they recorded: a named drug is "taking";
"n/a", "none" and the like typed as a drug are the answer "none" (no longer kept as a drug name); an
empty drug field is "not asked" (the old form could not tell "none" from a skipped question); a
ticked allergy is "documented", nothing ticked "not asked". The downgrade drops the answers.

Runs against the database of this test run: SQLite by default, PostgreSQL in CI's second pass.
"""
import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import MetaData, insert, inspect, select
from sqlalchemy.exc import IntegrityError

from tracker.extensions import db

from tests.migrations.rows import T, patient_with_cases

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

ALLERGIES = ("allergy_contrast", "allergy_iodine", "allergy_latex", "allergy_local_anaesthetic", "allergy_steroid")


def screens():
    tables = MetaData()
    tables.reflect(db.engine)
    return tables.tables["risk_screens"]


def test_old_risk_screens_read_as_the_answers_they_recorded(migration_app):
    upgrade(revision="0027_diary_chase")
    tables = MetaData()
    tables.reflect(db.engine)
    with db.engine.begin() as conn:
        patient_with_cases(conn, tables, ("left",) * 5)
        conn.execute(insert(tables.tables["risk_screens"]), [
            {"id": case_id, "case_id": case_id, "anticoagulants": drug, "anticoagulant_hold_plan": "",
             "contrast_premedication_plan": "", "pregnancy": "no", "infection_or_fever": False,
             "diabetes": False, "insulin": False, "sedation_planned": False, "red_flags_screened": True,
             "red_flags_present": False, "red_flags_notes": "", "updated_at": T, "version_id": 1,
             **{name: name == ticked for name in ALLERGIES}}
            for case_id, drug, ticked in ((1, "apixaban 5 mg", "allergy_latex"), (2, "n/a", None), (3, " None. ", None),
                                          (4, "", "allergy_contrast"), (5, "-", None))])

    upgrade(revision="0028_risk_screen_answers")

    table = screens()
    with db.engine.connect() as conn:
        rows = conn.execute(select(table.c.id, table.c.anticoagulant_answer, table.c.anticoagulants,
                                   table.c.allergy_answer).order_by(table.c.id)).all()
    assert [tuple(row) for row in rows] == [
        (1, "taking", "apixaban 5 mg", "documented"), (2, "none", "", "not_asked"), (3, "none", "", "not_asked"),
        (4, "not_asked", "", "documented"), (5, "none", "", "not_asked")]
    # The database keeps them apart from now on: "none" with a drug named is refused.
    with pytest.raises(IntegrityError), db.engine.begin() as conn:
        conn.execute(table.update().where(table.c.id == 2).values(anticoagulants="warfarin"))

    downgrade(revision="0027_diary_chase")
    columns = {column["name"] for column in inspect(db.engine).get_columns("risk_screens")}
    assert not columns & {"anticoagulant_answer", "allergy_answer"}
