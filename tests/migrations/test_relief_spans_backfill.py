"""0032_relief_spans keeps each signed case's relief span per side, read from its diary by the same
functions as the physician's diary reading (tracker/diary/kept.py): the baseline is the side's t0
score, else the examination's; relief ends at the first follow-up score from day 7 on below half,
else the side is censored at its last score (the rule of tracker.diary.relief, as it stands now). A case not signed, or a side with nothing to judge by, has no row. The
downgrade drops the table.

Runs against the database of this test run: SQLite by default, PostgreSQL in CI's second pass.
"""
from datetime import timedelta

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import MetaData, inspect, insert, select

from tracker.extensions import db

from tests.migrations.rows import T, patient_with_cases

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

HOUR, DAY = timedelta(hours=1), timedelta(days=1)
# The default schedule's follow-up points used here, with their nominal offsets.
POINTS = {"t0": None, "d1": DAY, "d7": 7 * DAY, "w2": 14 * DAY}


def test_the_upgrade_keeps_each_injected_sides_relief_span_and_the_downgrade_drops_them(migration_app):
    upgrade(revision="0031_mrn_key_ignores_punctuation")
    tables = MetaData()
    tables.reflect(db.engine)
    records, points, entries, exams = (tables.tables[name] for name in (
        "procedure_records", "diary_points", "diary_entries", "examinations"))
    with db.engine.begin() as conn:
        # 1 left, t0 8: 3, 4, then 6 at two weeks (below half): ended at day 7.
        # 2 bilateral, no t0, the examination's 6: left 2 then nothing (censored at day 1); right 5 at
        #   day 1 (below half before day 7: neither ends nor denies the relief), then a score of 1 at
        #   10 days 20 hours read late, felt outside any window, read at that moment (day 10, not
        #   Day 7's label): censored at day 10.
        # 3 left, procedure not signed: no row. 4 left, signed, no follow-up score: no row.
        patient_with_cases(conn, tables, ("left", "bilateral", "left", "left"))
        conn.execute(insert(records), [
            {"id": case_id, "case_id": case_id, "side": side, "started_at": T, "started_by_id": 1,
             "last_change_at": T, "version_id": 1,
             **({"status": "signed", "signed_by_id": 1, "signed_at": T + 20 * timedelta(minutes=1),
                 "ended_at": T + 20 * timedelta(minutes=1), "duration_minutes": 20} if case_id != 3 else
                {"status": "in_progress", "signed_by_id": None, "signed_at": None, "ended_at": None,
                 "duration_minutes": None})}
            for case_id, side in ((1, "left"), (2, "bilateral"), (3, "left"), (4, "left"))])
        exam_columns = {column.name: "not_done" for column in exams.columns
                        if column.name.endswith(("_left", "_right")) and not column.nullable}
        conn.execute(insert(exams), [{"id": 1, "case_id": 2, "baseline_nrs": 6, "updated_at": T, "version_id": 1,
                                      **exam_columns}])
        point_rows, point_id = [], 0
        for case_id in (1, 2, 3, 4):
            for code, offset in POINTS.items():
                point_id += 1
                due = None if offset is None else T + offset
                point_rows.append({"id": point_id, "case_id": case_id, "point_code": code, "due_at": due or T,
                                   "opens_at": (due or T) - 6 * HOUR if due else T - 2 * DAY,
                                   "closes_at": (due + 12 * HOUR) if due else T})
        conn.execute(insert(points), point_rows)
        pid = {(row["case_id"], row["point_code"]): row["id"] for row in point_rows}

        def entry(case_id, code, side, score, felt=None):
            moment = felt or next(r["due_at"] for r in point_rows if r["id"] == pid[(case_id, code)])
            return {"point_id": pid[(case_id, code)], "case_id": case_id, "side": side, "score": score,
                    "entered_at": moment, "felt_at": moment, "source": "link", "late": felt is not None,
                    "version_id": 1}

        conn.execute(insert(entries), [
            entry(1, "t0", "left", 8), entry(1, "d1", "left", 3), entry(1, "d7", "left", 4), entry(1, "w2", "left", 6),
            entry(2, "d1", "left", 2), entry(2, "d1", "right", 5),
            entry(2, "d7", "right", 1, felt=T + 10 * DAY + 20 * HOUR),
            entry(3, "t0", "left", 8), entry(3, "d1", "left", 2),
            entry(4, "t0", "left", 8)])

    upgrade(revision="0032_relief_spans")

    tables = MetaData()
    tables.reflect(db.engine)
    spans = tables.tables["relief_spans"]
    with db.engine.connect() as conn:
        kept = {(case_id, side): (days, bool(ended), injected) for case_id, side, days, ended, injected in conn.execute(
            select(spans.c.case_id, spans.c.side, spans.c.lasted_days, spans.c.ended, spans.c.injected_at))}
    assert {key: value[:2] for key, value in kept.items()} == {
        (1, "left"): (7, True), (2, "left"): (1, False), (2, "right"): (10, False)}
    assert {value[2].replace(tzinfo=None) for value in kept.values()} == {T}

    downgrade(revision="0031_mrn_key_ignores_punctuation")
    assert "relief_spans" not in inspect(db.engine).get_table_names()
