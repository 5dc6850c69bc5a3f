"""Rows the data-migration tests start from, written with plain inserts (the models may be newer
than the revision under test): a coordinator, a patient and their cases."""
from datetime import date, datetime, timedelta

from sqlalchemy import MetaData, insert, select

T = datetime(2026, 11, 2, 9, 0)


def at(hour):
    return T.replace(hour=hour)


def patient_with_cases(conn, tables, sides):
    """User 1, patient 1 and one case per side in `sides` (ids 1, 2, ...), in follow-up."""
    users, patients, cases = (tables.tables[name] for name in ("users", "patients", "cases"))
    conn.execute(insert(users), [{"id": 1, "email": "c@clinic.example", "name": "C", "role": "coordinator",
                                  "password_hash": "x", "active": True, "session_token": "t", "created_at": T,
                                  "password_changed_at": T, "version_id": 1}])
    conn.execute(insert(patients), [{"id": 1, "mrn": "100", "family_name": "Doe", "given_name": "Pat",
                                     "date_of_birth": date(1960, 1, 1), "sex": "female",
                                     "preferred_contact": "email", "language": "English", "created_at": T}])
    conn.execute(insert(cases), [
        {"id": case_id, "patient_id": 1, "state": "follow_up", "state_changed_at": T, "side": side,
         "indication": "diagnostic", "referring_clinician": "Dr R", "referral_date": date(2026, 10, 1),
         "reason": "", "created_at": T, "created_by_id": 1, "version_id": 1}
        for case_id, side in enumerate(sides, start=1)])


def signed_left_records(conn, tables, case_ids):
    """A signed procedure record for each left case in `case_ids` (record id = case id), started at T."""
    signed = T + timedelta(minutes=20)
    conn.execute(insert(tables.tables["procedure_records"]), [
        {"id": case_id, "case_id": case_id, "side": "left", "started_at": T, "started_by_id": 1,
         "last_change_at": T, "version_id": 1, "status": "signed", "signed_by_id": 1,
         "signed_at": signed, "ended_at": signed, "duration_minutes": 20} for case_id in case_ids])


def signed_case_at(engine, revision, *rows):
    """Migrate to `revision`, then write user 1, patient 1 with left case 1 and its signed record 1,
    and each (table name, rows) of `rows`, in one transaction."""
    from flask_migrate import upgrade

    upgrade(revision=revision)
    tables = MetaData()
    tables.reflect(engine)
    with engine.begin() as conn:
        patient_with_cases(conn, tables, ("left",))
        signed_left_records(conn, tables, (1,))
        for name, values in rows:
            conn.execute(insert(tables.tables[name]), values)


def drug_row(drug_id, code, name, kind, **fields):
    """A formulary_drugs row (stocked), `fields` overriding its strengths, unit and maximum."""
    return {"id": drug_id, "code": code, "name": name, "kind": kind, "strengths": ["1"], "strength_unit": "%",
            "usual_max_dose_mg": None, "source": "", "active": True, "version_id": 1, **fields}


def step_row(step_id, step, answers, attempt=1):
    """A procedure_steps row of record 1's left side, saved once at T by user 1."""
    return {"id": step_id, "record_id": 1, "step": step, "side": "left", "attempt": attempt, "answers": answers,
            "warnings": "", "recorded_at": T, "recorded_by_id": 1, "first_recorded_at": T,
            "first_recorded_by_id": 1, "version_id": 1}


def values_by_id(engine, table, column):
    """{id: value} of one column of a table, as the database holds it now."""
    tables = MetaData()
    tables.reflect(engine)
    rows = tables.tables[table]
    with engine.connect() as conn:
        return dict(conn.execute(select(rows.c.id, rows.c[column])).all())


def kept_spans(engine):
    """The relief_spans rows: {(case id, side): (lasted days, ended)}."""
    tables = MetaData()
    tables.reflect(engine)
    spans = tables.tables["relief_spans"]
    with engine.connect() as conn:
        return {(case_id, side): (days, bool(ended)) for case_id, side, days, ended in conn.execute(
            select(spans.c.case_id, spans.c.side, spans.c.lasted_days, spans.c.ended))}


HOUR, DAY = timedelta(hours=1), timedelta(days=1)
# Each point's nominal offset and window (either side), as the default schedule has them.
DIARY_POINTS = {"t0": (None, None), "d1": (DAY, 6 * HOUR), "d2": (2 * DAY, 8 * HOUR), "d7": (7 * DAY, DAY),
                "w2": (14 * DAY, 3 * DAY), "mo3": (90 * DAY, 14 * DAY), "mo6": (180 * DAY, 14 * DAY)}


def scored_left_diaries(conn, tables, scores):
    """The diary points and left scores of each case (injected at T), from {case: {code: (score, felt this
    long before the point's time)}}; the t0 score is felt an hour before the injection."""
    points, entries = tables.tables["diary_points"], tables.tables["diary_entries"]
    point_id, rows = 0, []
    for case_id, by_code in scores.items():
        for code, (score, early) in by_code.items():
            point_id += 1
            offset, either_side = DIARY_POINTS[code]
            due = T if offset is None else T + offset
            conn.execute(insert(points), [{"id": point_id, "case_id": case_id, "point_code": code, "due_at": due,
                                           "opens_at": due - (either_side or 2 * DAY),
                                           "closes_at": due + (either_side or 0 * HOUR)}])
            felt = due - early if offset is not None else T - HOUR
            rows.append({"point_id": point_id, "case_id": case_id, "side": "left", "score": score,
                         "entered_at": felt, "felt_at": felt, "source": "link", "late": False, "version_id": 1})
    conn.execute(insert(entries), rows)
