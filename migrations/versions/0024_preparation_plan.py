"""the preparation a patient is told in reminders: the anticoagulant hold in days with the
prescriber's agreement, whether contrast premedication is planned, and fasting

Existing screens keep their typed hold plan (shown as typed until the days are recorded); a screen with
a contrast allergy and a premedication plan that does not say "no contrast" is marked as planned.

Revision ID: 0024_preparation_plan
Revises: 0023_clinic_billing_setting
Create Date: 2026-12-05 11:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0024_preparation_plan'
down_revision = '0023_clinic_billing_setting'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('risk_screens', schema=None) as batch_op:
        batch_op.add_column(sa.Column('anticoagulant_hold_days', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('anticoagulant_prescriber_agreed', sa.Boolean(), nullable=True))
        batch_op.add_column(sa.Column('contrast_premedication_planned', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
        batch_op.add_column(sa.Column('fasting_hours', sa.Integer(), nullable=True))
        batch_op.create_check_constraint(
            batch_op.f('ck_risk_screens_anticoagulant_hold_days_range'),
            'anticoagulant_hold_days IS NULL OR (anticoagulant_hold_days BETWEEN 0 AND 30)')
        batch_op.create_check_constraint(batch_op.f('ck_risk_screens_fasting_hours_range'),
                                         'fasting_hours IS NULL OR (fasting_hours BETWEEN 1 AND 24)')
    screens = sa.table('risk_screens', sa.column('allergy_contrast', sa.Boolean),
                       sa.column('contrast_premedication_plan', sa.Text),
                       sa.column('contrast_premedication_planned', sa.Boolean))
    plan = sa.func.lower(sa.func.coalesce(screens.c.contrast_premedication_plan, ''))
    op.execute(screens.update().where(screens.c.allergy_contrast == sa.true(), plan != '',
                                      ~plan.like('%no contrast%'))
               .values(contrast_premedication_planned=True))


def downgrade():
    with op.batch_alter_table('risk_screens', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_risk_screens_fasting_hours_range'), type_='check')
        batch_op.drop_constraint(batch_op.f('ck_risk_screens_anticoagulant_hold_days_range'), type_='check')
        batch_op.drop_column('fasting_hours')
        batch_op.drop_column('contrast_premedication_planned')
        batch_op.drop_column('anticoagulant_prescriber_agreed')
        batch_op.drop_column('anticoagulant_hold_days')
