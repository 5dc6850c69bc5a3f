"""accounts keep whether they have ever been a physician's (`users.ever_physician`), so the physician
filters of the worklist, the reports and the API offer a physician given another role without reading
the cases

The upgrade marks every physician's account and every account a case or an appointment names as its
physician (one given another role before the mark was kept); a CHECK keeps a physician's account
marked. The downgrade drops the column.

Revision ID: 0047_ever_physician
Revises: 0046_referral_as_received
Create Date: 2026-12-06 05:10:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0047_ever_physician'
down_revision = '0046_referral_as_received'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('ever_physician', sa.Boolean(), nullable=False, server_default=sa.false()))
    users = sa.table('users', sa.column('id', sa.Integer), sa.column('role', sa.String),
                     sa.column('ever_physician', sa.Boolean))
    cases = sa.table('cases', sa.column('physician_id', sa.Integer))
    appointments = sa.table('appointments', sa.column('physician_id', sa.Integer))
    op.get_bind().execute(users.update().where(sa.or_(
        users.c.role == 'physician',
        users.c.id.in_(sa.select(cases.c.physician_id).where(cases.c.physician_id.is_not(None))),
        users.c.id.in_(sa.select(appointments.c.physician_id)))).values(ever_physician=True))
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.create_check_constraint(batch_op.f('ck_users_physician_kept'), "role <> 'physician' OR ever_physician")


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_users_physician_kept'), type_='check')
        batch_op.drop_column('ever_physician')
