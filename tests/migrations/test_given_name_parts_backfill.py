"""0066_given_name_parts gives every patient record already on file the keys of its given name's
later words, so a patient registered before it is found by "Hằng" (Nguyễn Thị Hằng) as a new one is;
the downgrade drops them and leaves the records as they were.

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

# id: (family name, its key, given name, its key)
NAMES = {1: ("Nguyễn", "nguyen", "Thị Hằng", "thihang"), 2: ("García", "garcia", "Lucía", "lucia"),
         3: ("Smith", "smith", "Mary-Anne Louise", "maryannelouise"), 4: ("Trần", "tran", "Thị Lan", "thilan")}


def _patients():
    tables = MetaData()
    tables.reflect(db.engine)
    patients = tables.tables["patients"]
    with db.engine.connect() as conn:
        return conn.execute(select(patients.c.id, patients.c.given_name, patients.c.given_name_key)
                            .order_by("id")).all()


def test_the_upgrade_gives_records_on_file_their_given_name_parts_and_the_downgrade_drops_them(migration_app):
    upgrade(revision="0065_case_row_current_until")
    tables = MetaData()
    tables.reflect(db.engine)
    with db.engine.begin() as conn:
        conn.execute(insert(tables.tables["patients"]), [
            {"id": i, "mrn": f"VN-{i}", "mrn_key": f"VN{i}", "family_name": family, "family_name_key": family_key,
             "given_name": given, "given_name_key": given_key, "date_of_birth": date(1968, 3, 9), "sex": "female",
             "preferred_contact": "email", "language": "English", "created_at": T,
             "merged_into_id": 1 if i == 4 else None}
            for i, (family, family_key, given, given_key) in NAMES.items()])
    before = _patients()

    upgrade(revision="0066_given_name_parts")

    tables = MetaData()
    tables.reflect(db.engine)
    parts = tables.tables["given_name_parts"]
    with db.engine.connect() as conn:
        kept = sorted(conn.execute(select(parts.c.patient_id, parts.c.key, parts.c.family_name_key,
                                          parts.c.given_name_key)).all())
    # A merged record (4) keeps its parts as it keeps its name: search leads through it to the record kept.
    assert [(i, key) for i, key, *_ in kept] == [(1, "hang"), (3, "annelouise"), (3, "louise"), (4, "lan")]
    # Each with its record's name keys, as they were on file.
    assert {(i, family, given) for i, _, family, given in kept} == {(i, NAMES[i][1], NAMES[i][3]) for i in (1, 3, 4)}
    assert "ix_given_name_parts_key" in {index["name"] for index in inspect(db.engine).get_indexes("given_name_parts")}
    assert _patients() == before
    # The search of the app finds the record registered before the upgrade by a later word (at the
    # latest revision, whose columns the app's search reads).
    upgrade(revision="head")
    for typed in ("Hằng", "hang", "Nguyen Hang"):
        found = lookup.search_page(lookup.parse_search(typed))
        assert [patient.id for patient in found] == [1], typed
    db.session.remove()

    downgrade(revision="0065_case_row_current_until")

    assert "given_name_parts" not in inspect(db.engine).get_table_names()
    assert _patients() == before
