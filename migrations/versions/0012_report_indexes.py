"""indexes for the reports: each period's events found by their date

Every report counts the events of a period by one date column (referral date, first verdict,
override, booking, procedure start, diary window closing, late entry, reminder, outcome); these
indexes let a short period read only its rows.

Revision ID: 0012_report_indexes
Revises: 0011_appointment_messages
Create Date: 2026-12-05 08:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0012_report_indexes'
down_revision = '0011_appointment_messages'
branch_labels = None
depends_on = None

OVERRIDDEN = sa.text('override_at IS NOT NULL')
LATE = sa.text('late')

PLAIN = [
    ('cases', 'ix_cases_referral_date', 'referral_date'),
    ('eligibility_verdicts', 'ix_eligibility_verdicts_evaluated_at', 'evaluated_at'),
    ('appointments', 'ix_appointments_created_at', 'created_at'),
    ('procedure_records', 'ix_procedure_records_started_at', 'started_at'),
    ('diary_points', 'ix_diary_points_closes_at', 'closes_at'),
    ('diary_reminders', 'ix_diary_reminders_claimed_at', 'claimed_at'),
    ('outcomes', 'ix_outcomes_decided_at', 'decided_at'),
]


def upgrade():
    for table, name, column in PLAIN:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.create_index(name, [column], unique=False)
    with op.batch_alter_table('eligibility_verdicts', schema=None) as batch_op:
        batch_op.create_index('ix_eligibility_verdicts_override_at', ['override_at'], unique=False,
                              postgresql_where=OVERRIDDEN, sqlite_where=OVERRIDDEN)
    with op.batch_alter_table('diary_entries', schema=None) as batch_op:
        batch_op.create_index('ix_diary_entries_late_entered_at', ['entered_at'], unique=False,
                              postgresql_where=LATE, sqlite_where=LATE)


def downgrade():
    with op.batch_alter_table('diary_entries', schema=None) as batch_op:
        batch_op.drop_index('ix_diary_entries_late_entered_at', postgresql_where=LATE, sqlite_where=LATE)
    with op.batch_alter_table('eligibility_verdicts', schema=None) as batch_op:
        batch_op.drop_index('ix_eligibility_verdicts_override_at', postgresql_where=OVERRIDDEN,
                            sqlite_where=OVERRIDDEN)
    for table, name, column in reversed(PLAIN):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(name)
