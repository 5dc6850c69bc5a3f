"""0027_diary_chase keeps on every diary point until when a missed one is chased: the next point's
opening, the last point's open while its case is in follow-up and ended when the case left; only
post-injection points outside the anaesthetic window of a case in follow-up are chased, and those
whose chase has already ended leave the overdue list's index at once. Down again, the columns go."""
from datetime import datetime, timedelta

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import MetaData, insert, inspect, select, update

from tracker.extensions import db

from tests.migrations.rows import patient_with_cases

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

NOW = datetime.utcnow().replace(microsecond=0)


def test_the_upgrade_keeps_each_points_chase_and_the_downgrade_drops_it(migration_app):
    upgrade(revision="0026_patient_search_indexes")
    tables = MetaData()
    tables.reflect(db.engine)
    points, cases = tables.tables["diary_points"], tables.tables["cases"]
    injected, left = NOW - timedelta(days=20), NOW - timedelta(days=1)
    with db.engine.begin() as conn:
        patient_with_cases(conn, tables, ("left", "right"))
        conn.execute(update(cases).where(cases.c.id == 2).values(state="closed", state_changed_at=left))
        rows = []
        for case_id in (1, 2):
            for code, opens in (("t0", -2), ("m15", 0.01), ("d7", 6), ("w2", 11), ("w6", 35)):
                rows.append({"id": len(rows) + 1, "case_id": case_id, "point_code": code,
                             "opens_at": injected + timedelta(days=opens),
                             "closes_at": injected + timedelta(days=opens + 0.005 if code == "m15" else opens + 2)})
        conn.execute(insert(points), rows)

    upgrade(revision="0027_diary_chase")

    tables = MetaData()
    tables.reflect(db.engine)
    points = tables.tables["diary_points"]
    with db.engine.connect() as conn:
        kept = {(case_id, code): (until, bool(chased)) for case_id, code, until, chased in conn.execute(
            select(points.c.case_id, points.c.point_code, points.c.chase_until, points.c.chased))}
    at = lambda days: injected + timedelta(days=days)  # noqa: E731
    assert kept == {
        # In follow-up: d7's chase ended when w2 opened (left the index now); w2 is chased until w6
        # opens; w6, the last, until the case leaves follow-up. Baseline and 15 minutes: never.
        (1, "t0"): (at(0.01), False), (1, "m15"): (at(6), False), (1, "d7"): (at(11), False),
        (1, "w2"): (at(35), True), (1, "w6"): (None, True),
        # Closed: nothing chased; the last point was chased until the case left follow-up.
        (2, "t0"): (at(0.01), False), (2, "m15"): (at(6), False), (2, "d7"): (at(11), False),
        (2, "w2"): (at(35), False), (2, "w6"): (left, False),
    }
    assert "ix_diary_points_chased_closes_at" in {i["name"] for i in inspect(db.engine).get_indexes("diary_points")}

    downgrade(revision="0026_patient_search_indexes")
    columns = {c["name"] for c in inspect(db.engine).get_columns("diary_points")}
    assert not {"chase_until", "chased"} & columns
    with db.engine.connect() as conn:
        assert conn.execute(select(db.func.count()).select_from(tables.tables["cases"])).scalar() == 2
