"""0064_step_agent_name keeps the skin prep's and each contrast check's agent name: steps saved before
get the formulary's name of today (a contrast omitted, or an agent the formulary no longer holds, keeps
none, and the note shows its code); other steps get none; the downgrade drops the column. After the
upgrade, renaming an agent leaves a signed note as it was signed
(tests/functional/test_procedure_day_safety.py).

Runs against the database of this test run: SQLite by default, PostgreSQL in CI's second pass.
"""
import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import MetaData, inspect, select

from tests.migrations.rows import drug_row, signed_case_at, step_row
from tracker.extensions import db

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

BEFORE, REVISION = "0063_live_mrn_unique", "0064_step_agent_name"


def test_skin_prep_and_contrast_steps_saved_before_take_the_formularys_name_and_the_downgrade_drops_it(
        migration_app):
    signed_case_at(db.engine, BEFORE, (
        "formulary_drugs", [
            drug_row(1, "chlorhexidine_alcohol", "Chlorhexidine 2% in 70% isopropyl alcohol", "skin_prep"),
            drug_row(2, "iohexol", "Iohexol (Omnipaque)", "contrast")]),
        ("procedure_steps", [
            step_row(1, "skin_prep", {"prep_agent": "chlorhexidine_alcohol", "sterile_drape": True}),
            step_row(2, "contrast", {"agent": "iohexol", "volume_ml": "0.5", "vascular_uptake": True}),
            step_row(3, "contrast", {"agent": "retired_contrast", "volume_ml": "0.5"}, attempt=2),
            step_row(4, "sign_in", {"consent_confirmed": True}),
            step_row(5, "fluoroscopy", {"modality": "fluoroscopy", "agent": "iohexol"})]))

    upgrade(revision=REVISION)
    rows = MetaData()
    rows.reflect(db.engine)
    steps = rows.tables["procedure_steps"]
    with db.engine.connect() as conn:
        named = dict(conn.execute(select(steps.c.id, steps.c.agent_name)).all())
    assert named == {1: "Chlorhexidine 2% in 70% isopropyl alcohol", 2: "Iohexol (Omnipaque)", 3: None,
                     4: None, 5: None}

    downgrade(revision=BEFORE)
    assert "agent_name" not in {c["name"] for c in inspect(db.engine).get_columns("procedure_steps")}
    with db.engine.connect() as conn:
        assert conn.execute(select(steps.c.id).order_by(steps.c.id)).scalars().all() == [1, 2, 3, 4, 5]
