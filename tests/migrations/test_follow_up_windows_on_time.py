"""0059_follow_up_windows_on_time opens the windows of Day 7 to 12 months at their point: a
point not open yet and without a score gets the new window (and the point before it the new
`chase_until`, the next point's opening); one already open, or holding a score, stays as it was.
Down again, the points still without a score whose old window has not opened get it back.

Runs against the database of this test run: SQLite by default, PostgreSQL in CI's second pass.
"""
from datetime import datetime, timedelta

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import MetaData, insert, select

from tracker.extensions import db

from tests.migrations.rows import patient_with_cases

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

DAY = timedelta(days=1)
NOW = datetime.utcnow().replace(microsecond=0)
# Injected 20 days ago: 2 weeks is past, 6 weeks (old window from day 35) and 3 months are to come.
INJECTED = NOW - 20 * DAY
# Old windows: (days before, days after) the point.
OLD = {"d2": (1 / 3, 0.5), "w2": (3, 3), "w6": (7, 7), "mo3": (14, 14)}
POINT = {"d2": 2, "w2": 14, "w6": 42, "mo3": 90}


def window(code, injected=INJECTED):
    before, after = OLD[code]
    due = injected + POINT[code] * DAY
    return due, due - before * DAY, due + after * DAY


def test_a_window_not_open_yet_and_without_a_score_opens_at_its_point(migration_app):
    upgrade(revision="0058_baseline_on_injection_day")
    tables = MetaData()
    tables.reflect(db.engine)
    points, entries = tables.tables["diary_points"], tables.tables["diary_entries"]
    # Case 3: injected 80 days ago, its 3-month window open since day 76 (no score): left as it is.
    open_since = NOW - 80 * DAY
    rows, next_id = [], 1
    with db.engine.begin() as conn:
        patient_with_cases(conn, tables, ("left", "left", "left"))
        for case_id, injected in ((1, INJECTED), (2, INJECTED), (3, open_since)):
            for code in ("d2", "w2", "w6", "mo3"):
                due, opens, closes = window(code, injected)
                rows.append({"id": next_id, "case_id": case_id, "point_code": code, "due_at": due,
                             "opens_at": opens, "closes_at": closes, "chased": False})
                next_id += 1
        conn.execute(insert(points), rows)
        # Case 2's 6-week point, not open yet, holds a score (one filed there before scores were
        # refused outside their window): it stays as it was; the point after it moves.
        conn.execute(insert(entries), [{"id": 1, "point_id": 7, "case_id": 2, "side": "left", "score": 3,
                                        "entered_at": NOW - DAY, "felt_at": NOW - DAY, "source": "staff_phone",
                                        "entered_by_id": 1, "late": False, "version_id": 1}])
    # The chase as the app kept it: each point until the next one's opening, the last in follow-up open.
    with db.engine.begin() as conn:
        for row in rows:
            later = [r["opens_at"] for r in rows if r["case_id"] == row["case_id"] and r["opens_at"] > row["opens_at"]]
            until = min(later) if later else None
            conn.execute(points.update().where(points.c.id == row["id"])
                         .values(chase_until=until, chased=until is None or until > NOW))

    upgrade(revision="0059_follow_up_windows_on_time")

    def kept():
        with db.engine.connect() as conn:
            return {(case_id, code): (opens, closes, until, bool(chased))
                    for case_id, code, opens, closes, until, chased in conn.execute(
                        select(points.c.case_id, points.c.point_code, points.c.opens_at, points.c.closes_at,
                               points.c.chase_until, points.c.chased))}

    at = lambda days, injected=INJECTED: injected + days * DAY  # noqa: E731
    moved = kept()
    assert moved[(1, "w6")] == (at(42), at(56), at(90), True)  # opens on day 42, open 14 days after
    assert moved[(1, "mo3")] == (at(90), at(118), None, True)  # the last: chased until the case leaves
    # 2 weeks had opened (day 11): its window stays, chased now until 6 weeks opens on day 42.
    assert moved[(1, "w2")] == (at(11), at(17), at(42), True)
    assert moved[(1, "d2")][:3] == (at(2 - 1 / 3), at(2.5), at(11))
    # Case 2: the 6-week point holds a score, so it stays; its 3-month point moves.
    assert moved[(2, "w6")] == (at(35), at(49), at(90), True)
    assert moved[(2, "mo3")][:2] == (at(90), at(118))
    assert moved[(2, "w2")][2] == at(35)
    # Case 3: every window had opened (3 months on day 76): nothing moves.
    assert [moved[(3, code)][:2] for code in ("w2", "w6", "mo3")] == [
        window(code, open_since)[1:] for code in ("w2", "w6", "mo3")]
    assert moved[(3, "w6")][2] == at(76, open_since)

    downgrade(revision="0058_baseline_on_injection_day")
    back = kept()
    assert back[(1, "w6")] == (at(35), at(49), at(76), True)
    assert back[(1, "mo3")] == (at(76), at(104), None, True)
    assert back[(1, "w2")][2] == at(35)
    assert back[(2, "w6")][:2] == (at(35), at(49)) and back[(2, "mo3")][:2] == (at(76), at(104))
    assert {key: value[:2] for key, value in back.items() if key[0] == 3} == {
        key: value[:2] for key, value in moved.items() if key[0] == 3}
