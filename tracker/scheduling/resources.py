"""Rooms, physicians' working hours and the days closed (holidays, leave), managed by an admin."""
from datetime import timedelta

from sqlalchemy import func, update
from sqlalchemy.exc import IntegrityError

from tracker import audit
from tracker.extensions import db
from tracker.models import Appointment, Closure, Room, User, WorkingHours
from tracker.refusals import FieldError, Refusal, StaleEdit, check_version, each_checked
from tracker.scheduling.services import clinic_day_start
from tracker.timeutil import clinic_today, utcnow
from tracker.transactions import lock, service
from tracker.vocab import NOT_STARTED, WEEKDAYS, AppointmentStatus


def rooms():
    return db.session.execute(db.select(Room).order_by(Room.active.desc(), Room.name)).scalars().all()


ROOM_NAME_TAKEN = "Another room already has this name."


def _check_name_free(name, room_id=None):
    existing = db.session.execute(
        db.select(Room).filter(func.lower(Room.name) == name.strip().lower())).scalar_one_or_none()
    if existing is not None and existing.id != room_id:
        raise FieldError("name", ROOM_NAME_TAKEN)


def _flush_name(room):
    """Write the room. Another admin may have saved the same name after the check above: the
    database refuses the second, and the admin sees the check's own message."""
    try:
        db.session.flush()
    except IntegrityError as error:
        raise FieldError("name", ROOM_NAME_TAKEN) from error


def _one_space(values):
    """The name with single spaces: "Fluoro  Suite 1" reads "Fluoro Suite 1" on every page, so it is
    that name (taken or not), not a second room that looks the same."""
    return {**values, "name": " ".join(values["name"].split())}


@service
def create_room(values, actor):
    values = _one_space(values)
    _check_name_free(values["name"])
    room = Room(**values)
    db.session.add(room)
    _flush_name(room)
    audit.record(audit.Action.CREATE, "room", room.id, summary=f"room {room.name} added", user=actor)
    db.session.commit()
    return room


@service
def update_room(room, values, version_id, actor):
    check_version(room, version_id)
    values = _one_space(values)
    _check_name_free(values["name"], room.id)
    before = {name: getattr(room, name) for name in values}
    for name, value in values.items():
        setattr(room, name, value)
    _flush_name(room)
    audit.record(audit.Action.UPDATE, "room", room.id,
                 summary=audit.changed_fields(before, values, tuple(values)), user=actor,
                 before=before, after=values)
    db.session.commit()


def count_ahead(physician=None, room=None):
    """(how many appointments are still to come (booked or checked in) with `physician`, or in
    `room`, when the first starts or None): what taking the physician off the schedule, or the room
    out of use, leaves to be moved; in one query that names no patient (index: physician or room,
    start time)."""
    owner = Appointment.physician_id == physician.id if physician is not None else Appointment.room_id == room.id
    return tuple(db.session.execute(
        db.select(db.func.count(Appointment.id), db.func.min(Appointment.starts_at))
        .filter(owner, *_still_to_come())).one())


def _still_to_come():
    """Booked from now on, or checked in today (a patient waiting for a late physician; one checked
    in on an earlier day was sent home)."""
    return (Appointment.starts_at >= clinic_day_start(clinic_today()),  # the index's range: from today on
            db.or_(Appointment.status == AppointmentStatus.CHECKED_IN,
                   db.and_(Appointment.status == AppointmentStatus.BOOKED, Appointment.starts_at >= utcnow())))


def _as_version(version_id):
    """The version a form sent, as a number (-1, matching none, for a missing or edited one)."""
    return int(version_id) if str(version_id or "").isdigit() else -1


def hours_by_physician():
    """{physician_id: {weekday: WorkingHours}} for every physician, in one query."""
    table = {}
    for row in db.session.execute(db.select(WorkingHours)).scalars():
        table.setdefault(row.physician_id, {})[row.weekday] = row
    return table


def _hours_as_audited(spans):
    """Each weekday's hours as the audit row lists their old and new values ("Monday: 08:00–16:00
    → 08:00–12:00", "not working" for a day off)."""
    return {WEEKDAYS[day].lower(): (f"{span[0]:%H:%M}–{span[1]:%H:%M}" if span else "not working")
            for day in range(7) for span in [spans.get(day)]}


@service
def set_hours(physician, spans, actor, version_id):
    """`spans` maps weekday (0 = Monday) to (starts, ends) or None for a day off. `version_id`: the
    physician's hours_version the form was opened on (StaleEdit when another admin saved the hours
    since)."""
    # Bumped first and only from the version the form saw: of two saves from forms opened on the
    # same hours, the second waits for the first's row lock, then matches no row and is refused.
    bumped = db.session.execute(
        update(User).where(User.id == physician.id, User.hours_version == _as_version(version_id))
        .values(hours_version=User.hours_version + 1).execution_options(synchronize_session=False))
    if bumped.rowcount != 1:
        raise StaleEdit
    current = {h.weekday: h for h in db.session.execute(
        db.select(WorkingHours).filter_by(physician_id=physician.id)).scalars()}
    before = _hours_as_audited({day: (row.starts, row.ends) for day, row in current.items()})
    after = _hours_as_audited({**{day: (row.starts, row.ends) for day, row in current.items()},
                               **{day: span for day, span in spans.items()}})
    for weekday, span in spans.items():
        row = current.get(weekday)
        if span is None:
            if row is not None:
                db.session.delete(row)
        elif row is None:
            db.session.add(WorkingHours(physician_id=physician.id, weekday=weekday,
                                        starts=span[0], ends=span[1]))
        else:
            row.starts, row.ends = span
    changed = [day.capitalize() for day in after if before[day] != after[day]]
    audit.record(audit.Action.UPDATE, "user", physician.id,
                 summary="working hours set" + (f": {', '.join(changed)} changed" if changed else " unchanged"),
                 user=actor, before=before, after=after)
    db.session.commit()


# ------------------------------------------------------------------ closures

# Longer is a year typed wrong (2027 for 2026): a closure covers a holiday or a leave.
MAX_CLOSURE_DAYS = 366


def closures(today=None):
    """Every closure, those not over yet first (the nearest first), then past ones (the latest first)."""
    today = today or clinic_today()
    rows = db.session.execute(db.select(Closure).order_by(Closure.first_day, Closure.id)).scalars().all()
    ahead = [c for c in rows if c.last_day >= today]
    return ahead + sorted((c for c in rows if c.last_day < today), key=lambda c: c.first_day, reverse=True)


def closure_words(closure):
    """"25 December 2026 (Christmas Day), whole clinic" as the audit row and the answers say it."""
    span = (f"{closure.first_day.isoformat()}" if closure.first_day == closure.last_day
            else f"{closure.first_day.isoformat()} to {closure.last_day.isoformat()}")
    who = closure.physician.name if closure.physician is not None else "whole clinic"
    return f"{span} ({closure.reason}), {who}"


def _closure_fields(closure):
    return {"first_day": closure.first_day.isoformat(), "last_day": closure.last_day.isoformat(),
            "reason": closure.reason, "physician": closure.physician.name if closure.physician else "whole clinic"}


def _closure_reason(values):
    reason = (values["reason"] or "").strip()
    if not reason:
        raise FieldError("reason", 'Give the reason, e.g. "Christmas Day" or "Dr Raman on leave".')
    return reason


def _closure_days(values):
    first, last = values["first_day"], values["last_day"]
    if last < first:
        raise FieldError("last_day", f"The last day ({last.isoformat()}) is before the first day "
                                     f"({first.isoformat()}); check the two dates.")
    days = (last - first).days + 1
    if days > MAX_CLOSURE_DAYS:
        raise FieldError("last_day", f"From {first.isoformat()} to {last.isoformat()} is {days} days; a closure "
                                     f"lasts at most {MAX_CLOSURE_DAYS} days. Check the year of each date.")
    return first, last


def _closure_physician(values):
    if values["physician_id"] is None:
        return None
    physician = db.session.get(User, values["physician_id"])
    if physician is None or not physician.bookable:
        raise FieldError("physician_id", "Choose the whole clinic or an active physician.")
    return physician


@service
def create_closure(values, actor):
    """`values`: first_day, last_day, reason, physician_id (None: the whole clinic). Every field
    refused is named at once."""
    reason, (first, last), physician = each_checked(
        lambda: _closure_reason(values), lambda: _closure_days(values), lambda: _closure_physician(values))
    # The same form sent twice (a double click, a retry) adds the closure once, under one lock.
    lock("closures")
    if db.session.execute(db.select(Closure.id).filter_by(first_day=first, last_day=last, reason=reason,
                                                          physician_id=physician.id if physician else None)).first():
        raise Refusal("This closure is already listed: it was not added again.")
    closure = Closure(first_day=first, last_day=last, reason=reason,
                      physician=physician, created_by_id=actor.id)
    db.session.add(closure)
    db.session.flush()
    audit.record(audit.Action.CREATE, "closure", closure.id, summary=f"closure added: {closure_words(closure)}",
                 user=actor, before=dict.fromkeys(_closure_fields(closure)), after=_closure_fields(closure))
    db.session.commit()
    return closure


@service
def remove_closure(closure, actor):
    words, kept = closure_words(closure), _closure_fields(closure)
    audit.record(audit.Action.UPDATE, "closure", closure.id, summary=f"closure removed: {words}", user=actor,
                 before=kept, after=dict.fromkeys(kept))
    db.session.delete(closure)
    db.session.commit()
    return words


def booked_in(closure):
    """The appointments not started yet (booked or checked in) that fall in the closure (the
    physician's own for a leave), earliest first: to be moved. Times, physician and room only."""
    query = (db.select(Appointment).filter(
        Appointment.starts_at >= clinic_day_start(closure.first_day),
        Appointment.starts_at < clinic_day_start(closure.last_day + timedelta(days=1)),
        Appointment.status.in_(NOT_STARTED)).order_by(Appointment.starts_at, Appointment.id))
    if closure.physician_id is not None:
        query = query.filter(Appointment.physician_id == closure.physician_id)
    return db.session.execute(query).scalars().all()
