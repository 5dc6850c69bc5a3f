"""0034_family_name_parts gives every patient record already on file the keys of its family name's
later parts, so a patient registered before it is found by "O'Connor" as a new one is; the
downgrade drops them and leaves the records as they were.

Runs against the database of this test run: SQLite by default, PostgreSQL in CI's second pass.
"""
from datetime import date

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import MetaData, inspect, insert, select

from tracker.extensions import db
from tracker.patients import lookup

from tests.migrations.rows import T

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

FAMILY_NAMES = {1: "Ní Dhúill-O'Connor", 2: "García", 3: "Smith-Jones", 4: "de la Cruz", 5: "O'Brien"}


def _patients():
    tables = MetaData()
    tables.reflect(db.engine)
    with db.engine.connect() as conn:
        return conn.execute(select(tables.tables["patients"].c.id, tables.tables["patients"].c.family_name)
                            .order_by("id")).all()


def test_the_upgrade_gives_records_on_file_their_family_name_parts_and_the_downgrade_drops_them(migration_app):
    upgrade(revision="0033_state_waiting_order")
    tables = MetaData()
    tables.reflect(db.engine)
    base = {"given_name": "Siobhán", "given_name_key": "siobhan", "date_of_birth": date(1984, 6, 9),
            "sex": "female", "preferred_contact": "email", "language": "English", "created_at": T}
    with db.engine.begin() as conn:
        conn.execute(insert(tables.tables["patients"]), [
            {**base, "id": i, "mrn": f"IE-{i}", "mrn_key": f"IE{i}", "family_name": family,
             "family_name_key": family.lower(), "merged_into_id": 1 if i == 4 else None}
            for i, family in FAMILY_NAMES.items()])
    before = _patients()

    upgrade(revision="0034_family_name_parts")

    tables = MetaData()
    tables.reflect(db.engine)
    parts = tables.tables["family_name_parts"]
    with db.engine.connect() as conn:
        kept = sorted(conn.execute(select(parts.c.patient_id, parts.c.key, parts.c.family_name_key,
                                          parts.c.given_name_key)).all())
    # A merged record (4) keeps its parts as it keeps its name: search leads through it to the record kept.
    assert [(i, key) for i, key, *_ in kept] == [(1, "dhuilloconnor"), (1, "oconnor"), (3, "jones"), (4, "cruz"),
                                                 (4, "lacruz")]
    # Each with its record's name keys, as they were on file.
    assert {(i, family, given) for i, _, family, given in kept} == {
        (i, FAMILY_NAMES[i].lower(), "siobhan") for i in (1, 3, 4)}
    assert "ix_family_name_parts_key" in {index["name"] for index in inspect(db.engine).get_indexes("family_name_parts")}
    assert _patients() == before
    # The search of the app finds the record registered before the upgrade by a later part (the
    # app's search reads the columns of the latest revision: the given names' parts from 0066, the
    # mark of a patient no longer reached from 0068).
    upgrade(revision="head")
    for typed in ("O'Connor", "dhuill", "Siobhan O'Connor"):
        found = lookup.search_page(lookup.parse_search(typed))
        assert [patient.id for patient in found] == [1], typed
    db.session.remove()

    downgrade(revision="0033_state_waiting_order")

    assert "family_name_parts" not in inspect(db.engine).get_table_names()
    assert _patients() == before
