"""0068_patient_no_longer_reachable lets a patient record say the clinic no longer reaches them
(died, with the date; moved away or left its care, with a note; who recorded it and when). Every
record before reads as reachable; the database refuses a death without its date, leaving without
a note, or either without who recorded it. The downgrade drops the columns and keeps the records.

Runs against the database of this test run: SQLite by default, PostgreSQL in CI's second pass.
"""
import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import MetaData, inspect, select, update

from tracker.extensions import db

from tests.migrations.rows import T, patient_with_cases

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def test_records_before_are_reachable_and_a_mark_must_say_what_and_who(migration_app):
    upgrade(revision="0067_checked_in_at_start")
    tables = MetaData()
    tables.reflect(db.engine)
    with db.engine.begin() as conn:
        patient_with_cases(conn, tables, ("left",))

    upgrade(revision="0068_patient_no_longer_reachable")

    tables = MetaData()
    tables.reflect(db.engine)
    patients = tables.tables["patients"]
    with db.engine.connect() as conn:
        assert tuple(conn.execute(select(patients.c.contact_ended, patients.c.contact_ended_closed_account)).one()) \
            == (None, False)
    recorded = {"contact_ended_at": T, "contact_ended_by": "C"}
    for refused in ({"contact_ended": "died", **recorded},  # no date
                    {"contact_ended": "left_care", "contact_ended_note": "", **recorded},  # no note
                    {"contact_ended": "left_care", "contact_ended_note": "Moved"},  # nobody recorded it
                    {"contact_ended": "emigrated", "contact_ended_note": "Moved", **recorded}):
        with pytest.raises(Exception, match="(?i)check"):
            with db.engine.begin() as conn:
                conn.execute(update(patients).values(**refused))
    with db.engine.begin() as conn:
        conn.execute(update(patients).values(contact_ended="died", contact_ended_on=T.date(), **recorded))

    downgrade(revision="0067_checked_in_at_start")
    columns = {c["name"] for c in inspect(db.engine).get_columns("patients")}
    assert not {name for name in columns if name.startswith("contact_ended")}
    with db.engine.connect() as conn:
        assert conn.execute(select(patients.c.id)).scalar_one() == 1
