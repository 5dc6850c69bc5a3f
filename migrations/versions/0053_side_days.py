"""a bilateral case's outcome records the therapeutic duration per joint (`outcomes.side_days`,
{"left": days, "right": days}), and a correction keeps the per-joint durations it replaced
(`outcome_revisions.side_days`)

The upgrade writes each bilateral outcome's one duration per joint as it was read before: a
duration that was the diary's reading (the shorter side's) stood for each joint's own diary reading
(kept in per_side), a duration recorded other than the diary's (with a reason) stood for both
joints, and a duration left unknown is unknown for both. A revision's replaced duration is read the
same way against its outcome's diary reading. therapeutic_days keeps its value (the shorter joint's).
The downgrade keeps what only the new columns hold: a bilateral outcome whose joints' durations
differ gets them written into its notes ("Therapeutic relief per joint: left 90 days, right 7
days."), and a revision's as well, then drops the columns.

Revision ID: 0053_side_days
Revises: 0052_revoke_unusable_tokens
Create Date: 2026-12-06 10:30:00

"""
import json

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0053_side_days'
down_revision = '0052_revoke_unusable_tokens'
branch_labels = None
depends_on = None

JOINTS = ("left", "right")


def _json(value):
    return json.loads(value) if isinstance(value, str) else (value or {})


def _per_joint(days, diary_days, per_side):
    """One duration as it was read for each joint before (tracker/eligibility/facts.py then)."""
    if days is None:
        return {joint: None for joint in JOINTS}
    return {joint: per_side[joint]["therapeutic_days"]
            if days == diary_days and "therapeutic_days" in (per_side.get(joint) or {}) else days
            for joint in JOINTS}


def _table(name):
    return sa.table(name, sa.column("id", sa.Integer), sa.column("side_days", sa.JSON),
                    sa.column("notes", sa.Text))


def upgrade():
    with op.batch_alter_table('outcomes') as batch_op:
        batch_op.add_column(sa.Column('side_days', sa.JSON(), nullable=True))
    with op.batch_alter_table('outcome_revisions') as batch_op:
        batch_op.add_column(sa.Column('side_days', sa.JSON(), nullable=True))
    bind = op.get_bind()
    outcomes = bind.execute(sa.text(
        "SELECT o.id, o.therapeutic_days, o.diary_therapeutic_days, o.per_side FROM outcomes o "
        "JOIN cases c ON c.id = o.case_id WHERE c.side = 'bilateral'")).all()
    read, table = {}, _table("outcomes")
    for outcome_id, days, diary_days, per_side in outcomes:
        read[outcome_id] = (diary_days, _json(per_side))
        bind.execute(sa.update(table).where(table.c.id == outcome_id)
                     .values(side_days=_per_joint(days, *read[outcome_id])))
    if not read:
        return
    table = _table("outcome_revisions")
    revisions = bind.execute(sa.text("SELECT id, outcome_id, therapeutic_days FROM outcome_revisions")).all()
    for revision_id, outcome_id, days in revisions:
        if outcome_id in read:
            bind.execute(sa.update(table).where(table.c.id == revision_id)
                         .values(side_days=_per_joint(days, *read[outcome_id])))


def _words(side_days):
    side_days = _json(side_days)
    if len({side_days.get(joint) for joint in JOINTS}) < 2:
        return ""
    return "Therapeutic relief per joint: " + ", ".join(
        f"{joint} " + ("not known" if side_days.get(joint) is None else
                       f"{side_days[joint]} day{'' if side_days[joint] == 1 else 's'}")
        for joint in JOINTS) + "."


def _keep_in_notes(table):
    bind = op.get_bind()
    rows = bind.execute(sa.text(f"SELECT id, side_days, notes FROM {table} WHERE side_days IS NOT NULL")).all()
    for row_id, side_days, notes in rows:
        words = _words(side_days)
        if words:
            bind.execute(sa.text(f"UPDATE {table} SET notes = :notes WHERE id = :id"),
                         {"id": row_id, "notes": (notes + "\n" if notes else "") + words})


def downgrade():
    _keep_in_notes('outcomes')
    _keep_in_notes('outcome_revisions')
    with op.batch_alter_table('outcome_revisions') as batch_op:
        batch_op.drop_column('side_days')
    with op.batch_alter_table('outcomes') as batch_op:
        batch_op.drop_column('side_days')
