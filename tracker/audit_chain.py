"""The audit trail's hash chain: `seal` extends it, `verify` walks it.

Sealing is a step of its own (`flask audit seal`, from cron) rather than part of every request, so
no request waits on one lock to find the previous hash. It takes the committed rows after the last
sealed one in id order and stops at the first row younger than SEAL_AFTER: a row's id is given when
its transaction writes it, and waiting a few minutes lets every transaction that took an earlier
id commit first, so the chain never skips a row that appears later. Two seal runs at once are safe:
both ask for the same next chain positions, and the unique position lets only one commit; the other
stops and reports it.

Each seal's hash is sha256 of the previous seal's hash and the row's content (every column, as
canonical JSON). `verify` recomputes the chain and names the first row that is missing (deleted),
altered, or not sealed although a later row is (inserted out of order). Someone able to rewrite
the audit rows AND every seal after them could forge a consistent chain: the head hash printed by
both commands, kept somewhere else (the cron mail), proves the chain up to it was not rewritten.
"""
import hashlib
import json
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.exc import IntegrityError

from tracker.extensions import db
from tracker.models import AuditCheck, AuditEvent, AuditSeal
from tracker.timeutil import utcnow
from tracker.transactions import undo_refused_write

GENESIS = "0" * 64
# How old a row must be before it is sealed (see above).
SEAL_AFTER = timedelta(minutes=5)
BATCH = 2000


def content(event):
    """The row as canonical JSON: every column, in a fixed order and form."""
    return json.dumps([
        event.id, event.at.isoformat(timespec="microseconds"), event.user_id, event.actor,
        event.role.value if event.role else None, event.action.value, event.object_type,
        event.object_id, event.ip, event.summary, event.changes,
    ], sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def chain_hash(previous, event):
    return hashlib.sha256(f"{previous}\n{content(event)}".encode()).hexdigest()


@dataclass
class Sealed:
    rows: int
    head: str
    # False when another run sealed the same rows at the same moment (this one stopped).
    alone: bool = True


def seal(now=None):
    """Seal every committed row older than SEAL_AFTER after the last sealed one."""
    cutoff = (now or utcnow()) - SEAL_AFTER
    last = db.session.execute(db.select(AuditSeal).order_by(AuditSeal.position.desc()).limit(1)).scalar()
    position, head, after_id = (last.position, last.chain_hash, last.event_id) if last else (0, GENESIS, 0)
    sealed = 0
    while True:
        events = db.session.execute(db.select(AuditEvent).filter(AuditEvent.id > after_id)
                                    .order_by(AuditEvent.id).limit(BATCH)).scalars().all()
        young = next((i for i, event in enumerate(events) if event.at > cutoff), None)
        ready = events if young is None else events[:young]
        sealed_at = utcnow()
        for event in ready:
            position += 1
            head = chain_hash(head, event)
            db.session.add(AuditSeal(position=position, event_id=event.id, chain_hash=head, sealed_at=sealed_at))
        try:
            db.session.commit()
        except IntegrityError:
            undo_refused_write()
            return Sealed(sealed, head, alone=False)
        sealed += len(ready)
        if young is not None or len(events) < BATCH:
            return Sealed(sealed, head)
        after_id = events[-1].id


@dataclass
class Verdict:
    ok: bool
    sealed_rows: int
    head: str
    sealed_through: AuditEvent | None
    unsealed_rows: int
    problem: str | None = None


def verify():
    """Walk the seals and the rows together, in order; the first break ends the walk."""
    head, position, through = GENESIS, 0, None
    events = _in_id_order()
    event = next(events, None)
    for seal in _seals_in_order():
        position += 1
        where = f"after row {through.id}" if through else "at the start of the chain"
        if seal.position != position:
            return _broken(position - 1, head, through, f"A sealed row was deleted {where} "
                                                        f"(seal {position} is missing).")
        if event is not None and event.id < seal.event_id:
            return _broken(position - 1, head, through, f"Row {event.id} was inserted out of order: it is "
                                                        f"not sealed, yet row {seal.event_id} after it is.")
        if event is None or event.id > seal.event_id:
            return _broken(position - 1, head, through, f"Row {seal.event_id} was deleted (its seal remains).")
        if chain_hash(head, event) != seal.chain_hash:
            return _broken(position - 1, head, through, f"Row {event.id} was altered: it no longer "
                                                        f"matches its seal.")
        head, through = seal.chain_hash, event
        event = next(events, None)
    unsealed = 0 if event is None else 1 + sum(1 for _ in events)
    return Verdict(True, position, head, through, unsealed)


def _broken(sealed_rows, head, through, problem):
    return Verdict(False, sealed_rows, head, through, 0, problem)


def record_check(verdict):
    """Keep the result for the admin's audit page."""
    through = verdict.sealed_through
    db.session.add(AuditCheck(ok=verdict.ok, sealed_rows=verdict.sealed_rows, problem=verdict.problem,
                              sealed_through_id=through.id if through else None,
                              sealed_through_at=through.at if through else None))
    db.session.commit()


def latest_check():
    return db.session.execute(db.select(AuditCheck).order_by(AuditCheck.id.desc()).limit(1)).scalar()


def sealed_through():
    """(the last sealed row's id, when it was written), or None before the first seal."""
    return db.session.execute(
        db.select(AuditEvent.id, AuditEvent.at).join(AuditSeal, AuditSeal.event_id == AuditEvent.id)
        .order_by(AuditSeal.position.desc()).limit(1)).first()


def _in_id_order():
    return _batches(lambda after: db.select(AuditEvent).filter(AuditEvent.id > after).order_by(AuditEvent.id),
                    lambda event: event.id)


def _seals_in_order():
    return _batches(lambda after: db.select(AuditSeal).filter(AuditSeal.position > after)
                    .order_by(AuditSeal.position), lambda seal: seal.position)


def _batches(query_after, key):
    """Every row of the query, read BATCH at a time (the tables grow without end)."""
    after = 0
    while True:
        rows = db.session.execute(query_after(after).limit(BATCH)).scalars().all()
        yield from rows
        if len(rows) < BATCH:
            return
        after = key(rows[-1])
