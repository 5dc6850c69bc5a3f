"""0024_preparation_plan adds the structured preparation to the risk screen: typed hold plans stay as
they were (the days are not guessed from text), and a contrast allergy with a premedication plan is
marked as premedication planned unless the plan says no contrast will be used."""
import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import MetaData, insert, select

from tracker.extensions import db

from tests.migrations.rows import T, patient_with_cases

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

SCREENS = {  # case id: (contrast allergy, premedication plan)
    1: (True, "Prednisone 50 mg 13, 7 and 1 h before"),
    2: (True, "No contrast: air and anatomy only"),
    3: (True, ""),
    4: (False, "Prednisone 50 mg"),
}


def screens(columns):
    tables = MetaData()
    tables.reflect(db.engine)
    table = tables.tables["risk_screens"]
    with db.engine.connect() as conn:
        return {row[0]: tuple(row[1:]) for row in conn.execute(
            select(table.c.case_id, *(table.c[name] for name in columns)).order_by(table.c.case_id))}


def test_the_upgrade_marks_planned_premedication_and_keeps_typed_hold_plans(migration_app):
    upgrade(revision="0023_clinic_billing_setting")
    tables = MetaData()
    tables.reflect(db.engine)
    with db.engine.begin() as conn:
        patient_with_cases(conn, tables, ["left", "right", "left", "right"])
        conn.execute(insert(tables.tables["risk_screens"]), [
            {"case_id": case_id, "anticoagulants": "apixaban", "anticoagulant_hold_plan": "hold 3 days",
             "allergy_contrast": allergy, "allergy_iodine": False, "allergy_latex": False,
             "allergy_local_anaesthetic": False, "allergy_steroid": False, "contrast_premedication_plan": plan,
             "pregnancy": "not_applicable", "infection_or_fever": False, "diabetes": False, "insulin": False,
             "sedation_planned": False, "red_flags_screened": True, "red_flags_present": False,
             "red_flags_notes": "", "updated_at": T, "version_id": 1}
            for case_id, (allergy, plan) in SCREENS.items()])

    upgrade(revision="0024_preparation_plan")

    assert screens(["contrast_premedication_planned", "anticoagulant_hold_days", "anticoagulant_hold_plan",
                    "fasting_hours"]) == {
        1: (True, None, "hold 3 days", None), 2: (False, None, "hold 3 days", None),
        3: (False, None, "hold 3 days", None), 4: (False, None, "hold 3 days", None)}
    downgrade(revision="0023_clinic_billing_setting")
    assert screens(["contrast_premedication_plan"])[1] == ("Prednisone 50 mg 13, 7 and 1 h before",)
