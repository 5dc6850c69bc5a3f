"""0056_local_anaesthetic_maximums gives the default local anaesthetics a usual maximum per SI joint
where a formulary copied before had none (lidocaine 100 mg, bupivacaine 25 mg, ropivacaine 25 mg), and
their new note where the note is still the old default's; a maximum or a note the admin set is left as
it is. Each change has an audit row naming the upgrade; the drug's version moves (a form opened before
is stale); the checklist then stops the walkthrough's 500 mg of bupivacaine. The downgrade leaves the
maximums.

Runs against the database of this test run: SQLite by default, PostgreSQL in CI's second pass.
"""
from decimal import Decimal

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import MetaData, insert, select

from tracker.extensions import db
from tracker.procedures.formulary import formulary_by_code

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

BEFORE, REVISION = "0055_working_hours_version", "0056_local_anaesthetic_maximums"
OLD = "the toxic dose is weight-based and far above what an SI joint holds, so no per-joint maximum is checked."
DEFAULTS = formulary_by_code()


def _tables():
    tables = MetaData()
    tables.reflect(db.engine)
    return tables.tables


def _drug(id_, code, kind, strengths, maximum=None, source="", version=1):
    return {"id": id_, "code": code, "name": code.title(), "kind": kind, "strengths": strengths,
            "strength_unit": "mg/mL", "usual_max_dose_mg": maximum, "source": source, "active": True,
            "version_id": version}


def _drugs(tables):
    drugs = tables["formulary_drugs"]
    with db.engine.connect() as conn:
        return {row.code: row for row in conn.execute(select(drugs)).all()}


def test_the_default_local_anaesthetics_get_their_maximum_and_note_and_the_admin_s_own_values_stay(migration_app):
    upgrade(revision=BEFORE)
    tables = _tables()
    with db.engine.begin() as conn:
        conn.execute(insert(tables["formulary_drugs"]), [
            _drug(1, "lidocaine", "local_anaesthetic", ["10", "20"],
                  source=f"1% and 2% solutions (10 and 20 mg/mL); {OLD}"),
            _drug(2, "bupivacaine", "local_anaesthetic", ["2.5", "5"],
                  source=f"0.25% and 0.5% solutions (2.5 and 5 mg/mL); {OLD}", version=3),
            # The admin wrote her own note: the maximum is given, the note stays.
            _drug(3, "ropivacaine", "local_anaesthetic", ["2", "5"], source="Naropin, from the pharmacy."),
            # An admin's maximum stays as it is.
            _drug(4, "mepivacaine", "local_anaesthetic", ["10"], source="Carbocaine."),
            _drug(5, "triamcinolone", "steroid", ["40"], maximum=Decimal("40"), source="Kenalog."),
        ])

    upgrade(revision=REVISION)

    after = _drugs(tables)
    assert after["lidocaine"].usual_max_dose_mg == 100 and after["lidocaine"].source == DEFAULTS["lidocaine"].source
    assert after["bupivacaine"].usual_max_dose_mg == 25 and after["bupivacaine"].source == DEFAULTS["bupivacaine"].source
    assert after["bupivacaine"].version_id == 4, "a form opened before the upgrade is stale"
    assert after["ropivacaine"].usual_max_dose_mg == 25 and after["ropivacaine"].source == "Naropin, from the pharmacy."
    assert after["mepivacaine"].usual_max_dose_mg is None, "not a default drug: the admin decides"
    assert (after["triamcinolone"].usual_max_dose_mg, after["triamcinolone"].version_id) == (40, 1)
    events = tables["audit_events"]
    with db.engine.connect() as conn:
        trail = conn.execute(select(events.c.object_type, events.c.object_id, events.c.actor, events.c.summary,
                                    events.c.changes).order_by(events.c.id)).all()
    actor = f"database upgrade ({REVISION})"
    assert [row[:4] for row in trail] == [
        ("formulary_drug", "1", actor, "formulary: lidocaine changed usual_maximum: none → 100 mg, source"),
        ("formulary_drug", "2", actor, "formulary: bupivacaine changed usual_maximum: none → 25 mg, source"),
        ("formulary_drug", "3", actor, "formulary: ropivacaine changed usual_maximum: none → 25 mg")]
    assert trail[2].changes == [{"field": "usual_maximum", "old": "none", "new": "25 mg"}]

    downgrade(revision=BEFORE)
    assert _drugs(tables)["bupivacaine"].usual_max_dose_mg == 25


def test_after_the_upgrade_the_checklist_stops_500_mg_of_bupivacaine(migration_app):
    """The app reads the upgraded row: the walkthrough's overdose needs a confirmation."""
    from tracker.models import FormularyDrug
    from tracker.procedures.rules.checks import validate_step
    from tracker.procedures.rules.schema import ChecklistContext

    upgrade(revision=BEFORE)
    tables = _tables()
    with db.engine.begin() as conn:
        conn.execute(insert(tables["formulary_drugs"]), [
            _drug(1, "bupivacaine", "local_anaesthetic", ["2.5", "5"],
                  source=f"0.25% and 0.5% solutions (2.5 and 5 mg/mL); {OLD}")])

    upgrade()

    formulary = formulary_by_code(db.session.execute(select(FormularyDrug)).scalars())
    row = {"drug": "bupivacaine", "concentration_mg_per_ml": "5", "dose_mg": "20", "volume_ml": "4",
           "lot_number": "B1"}
    errors, _ = validate_step("injectate", {"rows": [row]}, ChecklistContext(side="left", formulary=formulary))
    assert errors == {}
    errors, _ = validate_step("injectate", {"rows": [{**row, "dose_mg": "30", "volume_ml": "6"}]},
                              ChecklistContext(side="left", formulary=formulary))
    assert errors["rows-0-dose_mg"].startswith("Bupivacaine 30 mg is above the usual maximum of 25 mg per SI joint.")
