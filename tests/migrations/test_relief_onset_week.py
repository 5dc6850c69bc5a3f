"""0036_relief_onset_week works every kept relief span out again with the steroid's first week:
a span kept as "ended on day 0" because day 1 read below half, with half relief or more from day 2
to 2 weeks, now reads 14 days (censored: the diary stops there); a span the rule does not change
stays; the downgrade leaves the spans as they are.

Runs against the database of this test run: SQLite by default, PostgreSQL in CI's second pass.
"""
from datetime import timedelta

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import MetaData, insert

from tracker.extensions import db

from tests.migrations.rows import T, kept_spans, patient_with_cases, signed_left_records

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

HOUR, DAY = timedelta(hours=1), timedelta(days=1)
POINTS = {"t0": None, "d1": DAY, "d2": 2 * DAY, "d7": 7 * DAY, "w2": 14 * DAY}


def test_the_upgrade_works_the_spans_out_again_with_the_steroids_first_week(migration_app):
    upgrade(revision="0035_preparation_step_changes")
    tables = MetaData()
    tables.reflect(db.engine)
    points, entries, spans = (tables.tables[name] for name in ("diary_points", "diary_entries", "relief_spans"))
    scores = {1: {"t0": 8, "d1": 5, "d2": 3, "d7": 2, "w2": 4},   # 37.5 % on day 1, then half or more
              2: {"t0": 8, "d1": 2, "d7": 3, "w2": 7}}            # ended at 2 weeks: unchanged
    with db.engine.begin() as conn:
        patient_with_cases(conn, tables, ("left", "left"))
        signed_left_records(conn, tables, (1, 2))
        point_id, rows = 0, []
        for case_id, by_code in scores.items():
            for code, score in by_code.items():
                point_id += 1
                due = T if POINTS[code] is None else T + POINTS[code]
                conn.execute(insert(points), [{"id": point_id, "case_id": case_id, "point_code": code, "due_at": due,
                                               "opens_at": due - (2 * DAY if code == "t0" else 6 * HOUR),
                                               "closes_at": due + (0 * HOUR if code == "t0" else 12 * HOUR)}])
                rows.append({"point_id": point_id, "case_id": case_id, "side": "left", "score": score,
                             "entered_at": due, "felt_at": due, "source": "link", "late": False, "version_id": 1})
        conn.execute(insert(entries), rows)
        # As the rule before kept them.
        conn.execute(spans.delete())
        conn.execute(insert(spans), [{"case_id": 1, "side": "left", "injected_at": T, "lasted_days": 0, "ended": True},
                                     {"case_id": 2, "side": "left", "injected_at": T, "lasted_days": 7, "ended": True}])

    upgrade(revision="0036_relief_onset_week")
    assert kept_spans(db.engine) == {(1, "left"): (14, False), (2, "left"): (7, True)}

    downgrade(revision="0035_preparation_step_changes")
    assert kept_spans(db.engine) == {(1, "left"): (14, False), (2, "left"): (7, True)}
