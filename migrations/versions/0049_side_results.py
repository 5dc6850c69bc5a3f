"""a bilateral block's outcome records a diagnostic result per joint (`outcomes.side_results`,
{"left": ..., "right": ...}), and a correction keeps the per-joint results it replaced
(`outcome_revisions.side_results`)

The upgrade adds the two columns, empty: an outcome recorded before kept one result for the case,
which stood for both joints, and the application reads it so (Outcome.result_for falls back to
diagnostic_result). The downgrade keeps what only the new columns hold: a bilateral block whose
joints were recorded apart (its diagnostic_result is NULL) gets the per-joint results written into
its notes ("Diagnostic result per joint: left negative, right positive."), and a revision's as well,
then drops the columns.

Revision ID: 0049_side_results
Revises: 0048_former_mrns
Create Date: 2026-12-06 08:05:00

"""
import json

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0049_side_results'
down_revision = '0048_former_mrns'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('outcomes') as batch_op:
        batch_op.add_column(sa.Column('side_results', sa.JSON(), nullable=True))
    with op.batch_alter_table('outcome_revisions') as batch_op:
        batch_op.add_column(sa.Column('side_results', sa.JSON(), nullable=True))


def _words(side_results):
    if isinstance(side_results, str):
        side_results = json.loads(side_results)
    if not side_results:
        return ""
    return "Diagnostic result per joint: " + ", ".join(
        f"{side} {side_results[side]}" for side in ("left", "right") if side_results.get(side)) + "."


def _keep_in_notes(table):
    bind = op.get_bind()
    rows = bind.execute(sa.text(f"SELECT id, side_results, notes FROM {table} "
                                "WHERE side_results IS NOT NULL AND diagnostic_result IS NULL")).all()
    for row_id, side_results, notes in rows:
        words = _words(side_results)
        if words:
            bind.execute(sa.text(f"UPDATE {table} SET notes = :notes WHERE id = :id"),
                         {"id": row_id, "notes": (notes + "\n" if notes else "") + words})


def downgrade():
    _keep_in_notes('outcomes')
    _keep_in_notes('outcome_revisions')
    with op.batch_alter_table('outcome_revisions') as batch_op:
        batch_op.drop_column('side_results')
    with op.batch_alter_table('outcomes') as batch_op:
        batch_op.drop_column('side_results')
