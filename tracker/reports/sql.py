"""The few SQL expressions the report aggregates need that PostgreSQL and SQLite spell differently.

Times are stored as naive UTC; a report counts clinic days, so a timestamp is turned into the
clinic's calendar date in the database (PostgreSQL's time-zone functions; on SQLite a function
registered on every connection, using the same zone database as the rest of the app).
Percentiles: PostgreSQL computes them with percentile_cont; SQLite has no such aggregate, so it
returns each distinct value with how many times it occurs (a few dozen rows of whole days or
minutes) and `stats.percentile_of_counts` interpolates exactly as percentile_cont does (the tests
check both databases give the same answers).
"""
from datetime import datetime, timezone
from functools import lru_cache
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import JSON, Date, Float, Integer, cast, event, func, select
from sqlalchemy.engine import Engine

from tracker.extensions import db
from tracker.reports.stats import percentile_of_counts


@lru_cache(maxsize=8)
def _zone(name):
    return ZoneInfo(name)


def _sqlite_clinic_date(value, zone):
    """SQLite: the clinic's calendar date ("YYYY-MM-DD") of a stored UTC timestamp."""
    if value is None:
        return None
    moment = datetime.fromisoformat(value).replace(tzinfo=timezone.utc)
    return moment.astimezone(_zone(zone)).date().isoformat()


@event.listens_for(Engine, "connect")
def _register_sqlite_functions(dbapi_connection, connection_record):
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        dbapi_connection.create_function("clinic_date", 2, _sqlite_clinic_date, deterministic=True)


def dialect():
    return db.session.get_bind().dialect.name


def _postgres():
    return dialect() == "postgresql"


def clinic_date(column):
    """The clinic's calendar date of a UTC timestamp column."""
    zone = current_app.config["CLINIC_TIMEZONE"]
    if _postgres():
        return cast(func.timezone(zone, func.timezone("UTC", column)), Date)
    return func.clinic_date(column, zone)


def days_between(later, earlier):
    """Whole days from one date expression to another (dates, not timestamps)."""
    if _postgres():
        return cast(cast(later, Date) - cast(earlier, Date), Integer)
    return cast(func.julianday(later) - func.julianday(earlier), Integer)


def minutes_between(later, earlier):
    if _postgres():
        return func.extract("epoch", later - earlier) / 60
    return (func.julianday(later) - func.julianday(earlier)) * 1440.0


def month_of(date_column):
    """"YYYY-MM" of a date."""
    if _postgres():
        return func.to_char(date_column, "YYYY-MM")
    return func.strftime("%Y-%m", date_column)


def week_of(date_expression):
    """The Monday of a date's week, as "YYYY-MM-DD" text on both databases."""
    if _postgres():
        return func.to_char(func.date_trunc("week", date_expression), "YYYY-MM-DD")
    return func.date(date_expression, "-6 days", "weekday 1")


def json_text(column, key):
    """A top-level JSON member as text ('true', 'false', a string...)."""
    if _postgres():
        return column.op("->>")(key)
    return func.json_extract(column, f"$.{key}")


def json_true(column, key):
    """A JSON member that is true."""
    if _postgres():
        return column.op("->>")(key) == "true"
    return func.json_extract(column, f"$.{key}") == 1


def json_list_elements(text_column):
    """A table of the strings of a JSON list kept in a text column, one row each (column `value`)."""
    if _postgres():
        return func.json_array_elements_text(cast(text_column, JSON)).table_valued("value").alias("listed")
    return func.json_each(text_column).table_valued("value").alias("listed")


def spread(values_subquery):
    """(count, median, 90th percentile) of the one column of a subquery (medians as floats;
    None, None for no rows). PostgreSQL aggregates; SQLite sends each value with its count."""
    column = list(values_subquery.c)[0]
    if _postgres():
        n, median, p90 = db.session.execute(select(
            func.count(column),
            func.percentile_cont(0.5).within_group(cast(column, Float)),
            func.percentile_cont(0.9).within_group(cast(column, Float)),
        )).one()
        return n, median, p90
    counted = [tuple(row) for row in db.session.execute(
        select(column, func.count()).where(column.is_not(None)).group_by(column).order_by(column)).all()]
    n = sum(count for _, count in counted)
    return n, percentile_of_counts(counted, 0.5), percentile_of_counts(counted, 0.9)
