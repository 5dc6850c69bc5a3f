"""Services own their transactions: the `service` decorator makes a refusal leave nothing behind.

A service function commits once when it succeeds. When it refuses (any `Refusal`), or the ORM
finds the row changed under it (`StaleDataError` at flush or commit, which becomes the domain's
`StaleEdit`), the session is rolled back before the refusal reaches the view, so the page that
answers it starts from what is really stored. A service called by another rolls back the same
session: no service catches another's refusal to carry on.

`undo_refused_write` is the one other rollback a service may ask for: the database refused a
write (a unique constraint: another request wrote the same a moment ago), and the service reads
what is stored now to answer with it or to refuse in the user's words. `savepoint` keeps such a
refusal to the writes inside it.

`lock` makes a check and the write it allows one step for two requests sent at the same moment
(a booking's overlap check, a referral's open-case check): the second waits for the first's
commit, then checks what it wrote.
"""
import re
from contextlib import contextmanager
from functools import wraps

from sqlalchemy import event, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from tracker.extensions import db
from tracker.models import ScheduleLock
from tracker.refusals import Refusal, StaleEdit


def service(function):
    @wraps(function)
    def run(*args, **kwargs):
        try:
            return function(*args, **kwargs)
        except StaleDataError as error:
            _roll_back()
            raise StaleEdit from error
        except Refusal:
            _roll_back()
            raise

    return run


def _roll_back():
    # Inside a savepoint (one no-show of many), the savepoint undoes its own part as the refusal
    # leaves it; rolling back the session here would undo the others too.
    if not db.session().in_nested_transaction():
        db.session.rollback()


@contextmanager
def savepoint():
    """The writes inside as one savepoint: kept (released) when the block ends, undone when it
    raises, the rest of the transaction left as it was. A service called inside may undo the
    savepoint itself (`undo_refused_write`); it is then not undone twice.

    On SQLite a savepoint opened before anything was written commits when it is released: use
    one only where the service commits straight after it."""
    nested = db.session.begin_nested()
    try:
        yield nested
        db.session.flush()
    except BaseException:
        if _open(nested):
            nested.rollback()
        raise
    nested.commit()


def undo_refused_write():
    """Undo what the database refused (IntegrityError), so the session can read again: inside a
    savepoint (a service writing inside another's, as FHIR intake does) only the savepoint's part,
    else the whole transaction (nothing of it was committed)."""
    nested = db.session().get_nested_transaction()
    if nested is not None:
        nested.rollback()
    else:
        db.session.rollback()


def undo_all_but(rows):
    """Roll back the whole transaction but for `rows` (new rows, made before the call and not yet
    in the session), which are then written and committed on their own: a refusal that must still
    leave its mark (a number the SMS provider refused as such, tracker.sms). A row the database
    refuses (someone wrote the same meanwhile) is theirs: it stands either way."""
    db.session.rollback()
    if rows:
        db.session.add_all(rows)
        try:
            db.session.commit()
        except IntegrityError:
            undo_refused_write()


def lock(*resources):
    """Take the locks of these resources ("room:3", "physician:7", "patient:12"; see ScheduleLock)
    until this transaction ends. Take them before reading what the check decides on."""
    for resource in resources:
        updated = db.session.execute(
            update(ScheduleLock).where(ScheduleLock.resource == resource)
            .values(bookings=ScheduleLock.bookings + 1)
        ).rowcount
        if not updated:
            try:
                with db.session.begin_nested():
                    db.session.add(ScheduleLock(resource=resource, bookings=1))
            except IntegrityError:
                # Created by a concurrent request a moment ago: lock the row it made.
                db.session.execute(update(ScheduleLock).where(ScheduleLock.resource == resource)
                                   .values(bookings=ScheduleLock.bookings + 1))


def _open(nested):
    """Whether the savepoint is still open (not undone already by a service inside it)."""
    transaction = db.session().get_nested_transaction()
    while transaction is not None and transaction is not nested:
        transaction = transaction.parent
    return transaction is nested


# ---------------------------------------------------------------- the end of a request that wrote nothing
#
# psycopg prepares a statement the fifth time a connection runs it, and PostgreSQL then reuses its
# plan instead of planning it again (0.2 to 2 ms for a page's larger joins). A ROLLBACK makes
# psycopg forget every prepared statement, and a request ends with one when its session is closed:
# nothing would ever stay prepared. So a request whose transaction wrote nothing ends it with
# COMMIT (the same to the data: there is nothing to keep or undo), and its connection keeps its
# statements for the next request. Any statement but a plain SELECT counts as a write: a request
# that wrote, or failed, still ends with the rollback.
_READS = re.compile(r"\s*SELECT\b", re.IGNORECASE)


@event.listens_for(Engine, "before_cursor_execute")
def _note_writes(conn, cursor, statement, parameters, context, executemany):
    if not _READS.match(statement):
        conn.info["wrote"] = True


@event.listens_for(Engine, "commit")
@event.listens_for(Engine, "rollback")
def _forget_writes(conn):
    conn.info.pop("wrote", None)


def end_read_only_transaction(error=None):
    """Registered to run at the end of every request, before the session is closed."""
    if error is not None or not db.session.registry.has():
        return
    session = db.session()
    if not session.in_transaction() or session.new or session.dirty or session.deleted:
        return
    if not session.connection().info.get("wrote"):
        session.commit()
