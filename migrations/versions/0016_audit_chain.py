"""audit trail: the fields an edit changed (old and new values), the hash chain's seals, check results

Revision ID: 0016_audit_chain
Revises: 0015_case_identifiers
Create Date: 2026-12-05 08:20:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0016_audit_chain'
down_revision = '0015_case_identifiers'
branch_labels = None
depends_on = None

# Copied, not imported, so this revision stays as it was when the app changes. PostgreSQL reuses
# the function 0001 created for the audit rows' own trigger.
SEAL_TRIGGERS = {
    "sqlite": [
        "CREATE TRIGGER audit_seals_no_update BEFORE UPDATE ON audit_seals "
        "BEGIN SELECT RAISE(ABORT, 'audit seals are append-only'); END",
        "CREATE TRIGGER audit_seals_no_delete BEFORE DELETE ON audit_seals "
        "BEGIN SELECT RAISE(ABORT, 'audit seals are append-only'); END",
    ],
    "postgresql": [
        "CREATE TRIGGER audit_seals_no_update BEFORE UPDATE OR DELETE ON audit_seals "
        "FOR EACH ROW EXECUTE FUNCTION audit_events_refuse_change()",
    ],
}
SEAL_TRIGGER_DROPS = {
    "sqlite": ["DROP TRIGGER IF EXISTS audit_seals_no_update", "DROP TRIGGER IF EXISTS audit_seals_no_delete"],
    "postgresql": ["DROP TRIGGER IF EXISTS audit_seals_no_update ON audit_seals"],
}


def upgrade():
    # A plain ADD COLUMN on both databases: a batch rebuild of audit_events on SQLite would drop
    # the triggers that keep it append-only.
    op.add_column('audit_events', sa.Column('changes', sa.JSON(), nullable=True))
    op.create_table('audit_seals',
    sa.Column('position', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('chain_hash', sa.String(length=64), nullable=False),
    sa.Column('sealed_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['event_id'], ['audit_events.id'], name=op.f('fk_audit_seals_event_id_audit_events')),
    sa.PrimaryKeyConstraint('position', name=op.f('pk_audit_seals')),
    sa.UniqueConstraint('event_id', name=op.f('uq_audit_seals_event_id'))
    )
    op.create_table('audit_checks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('checked_at', sa.DateTime(), nullable=False),
    sa.Column('ok', sa.Boolean(), nullable=False),
    sa.Column('sealed_rows', sa.Integer(), nullable=False),
    sa.Column('sealed_through_id', sa.Integer(), nullable=True),
    sa.Column('sealed_through_at', sa.DateTime(), nullable=True),
    sa.Column('problem', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_checks'))
    )
    for statement in SEAL_TRIGGERS[op.get_bind().dialect.name]:
        op.execute(statement)


def downgrade():
    for statement in SEAL_TRIGGER_DROPS[op.get_bind().dialect.name]:
        op.execute(statement)
    op.drop_table('audit_checks')
    op.drop_table('audit_seals')
    # SQLite 3.35+ and PostgreSQL both drop a column in place (no rebuild, the triggers stay).
    op.execute("ALTER TABLE audit_events DROP COLUMN changes")
