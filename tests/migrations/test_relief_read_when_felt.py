"""0054_relief_read_when_felt works every kept relief span out again with each score read at the
moment it was felt: a span kept as 90 days because a 3-month score at 50 % was given on day 76 (its
window's first day) now reads 76 days; one censored on day 1 (day 1 at 50 %, day 2 below, the diary
stopping there) is censored where its diary stops, day 2; a span the reading does not change stays;
the downgrade leaves the spans as they are.

Runs against the database of this test run: SQLite by default, PostgreSQL in CI's second pass.
"""
import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import MetaData, insert

from tracker.extensions import db

from tests.migrations.rows import DAY, T, kept_spans, patient_with_cases, scored_left_diaries, signed_left_records

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def test_the_upgrade_reads_every_score_at_the_moment_it_was_felt(migration_app):
    upgrade(revision="0053_side_days")
    tables = MetaData()
    tables.reflect(db.engine)
    spans = tables.tables["relief_spans"]
    # {case: {code: (score, felt this long before the point's time)}}
    scores = {1: {"t0": (8, 0 * DAY), "d7": (2, 0 * DAY), "w2": (2, 0 * DAY), "mo3": (4, 14 * DAY),
                  "mo6": (8, 0 * DAY)},                                      # 3 months given on day 76
              2: {"t0": (8, 0 * DAY), "d1": (4, 0 * DAY), "d2": (6, 0 * DAY)},  # censored where it stops
              3: {"t0": (8, 0 * DAY), "d1": (2, 0 * DAY), "d7": (3, 0 * DAY), "w2": (7, 0 * DAY)}}  # unchanged
    with db.engine.begin() as conn:
        patient_with_cases(conn, tables, ("left", "left", "left"))
        signed_left_records(conn, tables, scores)
        scored_left_diaries(conn, tables, scores)
        # As the reading before kept them (each in-window score at its point's time).
        conn.execute(spans.delete())
        conn.execute(insert(spans), [{"case_id": 1, "side": "left", "injected_at": T, "lasted_days": 90, "ended": True},
                                     {"case_id": 2, "side": "left", "injected_at": T, "lasted_days": 1, "ended": False},
                                     {"case_id": 3, "side": "left", "injected_at": T, "lasted_days": 7, "ended": True}])

    upgrade(revision="0054_relief_read_when_felt")
    assert kept_spans(db.engine) == {(1, "left"): (76, True), (2, "left"): (2, False), (3, "left"): (7, True)}

    downgrade(revision="0053_side_days")
    assert kept_spans(db.engine) == {(1, "left"): (76, True), (2, "left"): (2, False), (3, "left"): (7, True)}
