"""Cases per state, kept rather than counted.

Every page that shows how many cases wait in each state (the worklist's counts, its page total)
reads the `case_state_counts` table instead of counting the cases table, whose size grows with
the clinic's years. The table is adjusted in the same flush as the change itself, so a count and
the cases it counts commit together or not at all. It listens to the ORM rather than to
`transition()` alone, because a case is also created (by a referral, a follow-on case) and the
test builders write cases directly: whatever path writes a case through the ORM keeps the count.
Bulk SQL that bypasses the ORM (the benchmark's fill) calls `rebuild_state_counts_sql()` after.
"""
from collections import Counter

from sqlalchemy import event, inspect, text
from sqlalchemy.orm import Session

from tracker.models import Case, CaseStateCount
from tracker.workflow import State

__all__ = ["state_counts", "rebuild_state_counts_sql"]


def state_counts(session):
    """{State: number of cases in it}, every state present (one primary-key read)."""
    kept = dict(session.execute(text("SELECT state, cases FROM case_state_counts")).all())
    return {state: kept.get(state.value, 0) for state in State}


def rebuild_state_counts_sql():
    return ("DELETE FROM case_state_counts; "
            "INSERT INTO case_state_counts (state, cases) SELECT state, count(*) FROM cases GROUP BY state")


def _value(state):
    return state.value if isinstance(state, State) else state


@event.listens_for(Case.state, "set", active_history=True)
def _load_the_old_state(target, value, oldvalue, initiator):
    """A case read earlier in the request may have expired: loading its state before it is
    replaced lets the flush know which count to take one from."""


@event.listens_for(Session, "after_flush")
def _keep_counts(session, _context):
    changes = Counter()
    for obj in session.new:
        if isinstance(obj, Case):
            changes[_value(obj.state)] += 1
    for obj in session.deleted:
        if isinstance(obj, Case):
            changes[_value(obj.state)] -= 1
    for obj in session.dirty:
        if isinstance(obj, Case):
            history = inspect(obj).attrs.state.history
            if history.has_changes():
                for old in history.deleted:
                    changes[_value(old)] -= 1
                for new in history.added:
                    changes[_value(new)] += 1
    changes = {state: delta for state, delta in changes.items() if delta}
    if not changes:
        return
    connection = session.connection()
    table = CaseStateCount.__table__
    # Rows are touched in a fixed order so that two transactions moving cases in opposite
    # directions never wait on each other's count rows (no deadlock).
    for state in sorted(changes):
        upsert = _insert(connection)(table).values(state=state, cases=changes[state])
        connection.execute(upsert.on_conflict_do_update(
            index_elements=[table.c.state], set_={"cases": table.c.cases + upsert.excluded.cases}))


def _insert(connection):
    if connection.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert
