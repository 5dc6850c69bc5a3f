"""0069_relief_none_seen_day_0 works every kept relief span out again so that a side whose follow-up
scores never reached 50 % relief leaves the curve on day 0 (an event), not censored where its diary
stopped before day 7 as if it were still in relief; a side with relief seen, or whose relief ended,
stays as it was; the downgrade leaves the spans as they are.

Runs against the database of this test run: SQLite by default, PostgreSQL in CI's second pass.
"""
import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import MetaData, insert

from tracker.extensions import db

from tests.migrations.rows import DAY, T, kept_spans, patient_with_cases, scored_left_diaries, signed_left_records

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

AFTER = {(1, "left"): (0, True), (2, "left"): (2, False), (3, "left"): (7, True)}


def test_the_upgrade_moves_a_side_without_relief_to_day_0_and_keeps_the_others(migration_app):
    upgrade(revision="0068_patient_no_longer_reachable")
    tables = MetaData()
    tables.reflect(db.engine)
    # {case: {code: (score, felt this long before the point's time)}}
    scores = {1: {"t0": (8, 0 * DAY), "d1": (8, 0 * DAY), "d2": (8, 0 * DAY)},  # no relief, the diary stops
              2: {"t0": (8, 0 * DAY), "d1": (3, 0 * DAY), "d2": (6, 0 * DAY)},  # relief seen on day 1
              3: {"t0": (8, 0 * DAY), "d1": (2, 0 * DAY), "d7": (3, 0 * DAY), "w2": (7, 0 * DAY)}}  # ended day 7
    with db.engine.begin() as conn:
        patient_with_cases(conn, tables, ("left", "left", "left"))
        signed_left_records(conn, tables, scores)
        scored_left_diaries(conn, tables, scores)
        spans = tables.tables["relief_spans"]
        # As the reading before kept them: case 1 censored on day 2, where its diary stopped.
        conn.execute(spans.delete())
        conn.execute(insert(spans), [{"case_id": 1, "side": "left", "injected_at": T, "lasted_days": 2, "ended": False},
                                     {"case_id": 2, "side": "left", "injected_at": T, "lasted_days": 2, "ended": False},
                                     {"case_id": 3, "side": "left", "injected_at": T, "lasted_days": 7, "ended": True}])

    upgrade(revision="0069_relief_none_seen_day_0")
    assert kept_spans(db.engine) == AFTER

    downgrade(revision="0068_patient_no_longer_reachable")
    assert kept_spans(db.engine) == AFTER
