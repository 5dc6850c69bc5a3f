"""patients record that the clinic no longer reaches them: died (with the date) or moved away / left
the clinic's care (with a note), who recorded it and when

Nothing is sent to such a patient any more; a death also deactivates their patient account, which
contact_ended_closed_account remembers so that undoing a mark made on the wrong record reactivates
it. Every record before reads as reachable (NULL). The downgrade drops the columns; the patient's
history and the audit trail still say what was recorded.

Revision ID: 0068_patient_no_longer_reachable
Revises: 0067_checked_in_at_start
Create Date: 2026-12-07 19:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0068_patient_no_longer_reachable'
down_revision = '0067_checked_in_at_start'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('patients', schema=None) as batch_op:
        batch_op.add_column(sa.Column('contact_ended', sa.String(length=9), nullable=True))
        batch_op.add_column(sa.Column('contact_ended_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('contact_ended_note', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('contact_ended_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('contact_ended_by', sa.String(length=120), nullable=True))
        batch_op.add_column(sa.Column('contact_ended_closed_account', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
        batch_op.create_check_constraint('contact_ended', "contact_ended IN ('died', 'left_care')")
        batch_op.create_check_constraint(
            'contact_ended_recorded',
            "contact_ended IS NULL OR (contact_ended_at IS NOT NULL AND contact_ended_by IS NOT NULL)")
        batch_op.create_check_constraint(
            'contact_ended_died_on', "contact_ended IS NULL OR contact_ended <> 'died' OR contact_ended_on IS NOT NULL")
        batch_op.create_check_constraint(
            'contact_ended_left_note',
            "contact_ended IS NULL OR contact_ended <> 'left_care' OR contact_ended_note <> ''")


def downgrade():
    with op.batch_alter_table('patients', schema=None) as batch_op:
        batch_op.drop_constraint('contact_ended_left_note', type_='check')
        batch_op.drop_constraint('contact_ended_died_on', type_='check')
        batch_op.drop_constraint('contact_ended_recorded', type_='check')
        batch_op.drop_constraint('contact_ended', type_='check')
        batch_op.drop_column('contact_ended_closed_account')
        batch_op.drop_column('contact_ended_by')
        batch_op.drop_column('contact_ended_at')
        batch_op.drop_column('contact_ended_note')
        batch_op.drop_column('contact_ended_on')
        batch_op.drop_column('contact_ended')
