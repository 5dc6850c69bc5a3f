"""Services own their transactions: the `service` decorator makes a refusal leave nothing behind.

A service function commits once when it succeeds. When it refuses (any `Refusal`), or the ORM
finds the row changed under it (`StaleDataError` at flush or commit, which becomes the domain's
`StaleEdit`), the session is rolled back before the refusal reaches the view, so the page that
answers it starts from what is really stored. A service called by another rolls back the same
session: no service catches another's refusal to carry on.
"""
from functools import wraps

from sqlalchemy.orm.exc import StaleDataError

from tracker.extensions import db
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
