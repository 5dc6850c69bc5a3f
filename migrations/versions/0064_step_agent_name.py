"""procedure_steps.agent_name: the skin prep's or contrast check's agent as the formulary named it
when the step was saved

A signed procedure note named the skin-prep and contrast agents through the formulary as it stands
now, so an admin who renamed one ("Iohexol 300" to "Omnipaque 300") changed what every signed note
and its FHIR Procedure say. A step now keeps the name it was saved with, as an injectate row keeps
its drug's (0062). The upgrade fills it from the formulary for the skin-prep and contrast steps
saved before (the names they were signed with are not known; today's are the best evidence; a step
with no agent, contrast omitted, or an agent the formulary no longer holds keeps NULL: the pages
then show the code, as before). The downgrade drops the column.

Revision ID: 0064_step_agent_name
Revises: 0063_live_mrn_unique
Create Date: 2026-12-07 10:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0064_step_agent_name'
down_revision = '0063_live_mrn_unique'
branch_labels = None
depends_on = None

# The steps that name an agent, and the answer holding its formulary code (schema.AGENT_FIELDS).
AGENT_FIELDS = {'skin_prep': 'prep_agent', 'contrast': 'agent'}

steps = sa.table('procedure_steps', sa.column('id', sa.Integer), sa.column('step', sa.String),
                 sa.column('answers', sa.JSON), sa.column('agent_name', sa.String))
drugs = sa.table('formulary_drugs', sa.column('code', sa.String), sa.column('name', sa.String))


def _backfill():
    conn = op.get_bind()
    names = dict(conn.execute(sa.select(drugs.c.code, drugs.c.name)).all())
    for row in conn.execute(sa.select(steps.c.id, steps.c.step, steps.c.answers)
                            .where(steps.c.step.in_(tuple(AGENT_FIELDS)))).all():
        name = names.get((row.answers or {}).get(AGENT_FIELDS[row.step]))
        if name is not None:
            conn.execute(steps.update().where(steps.c.id == row.id).values(agent_name=name))


def upgrade():
    with op.batch_alter_table('procedure_steps') as batch_op:
        batch_op.add_column(sa.Column('agent_name', sa.String(length=120), nullable=True))
    _backfill()


def downgrade():
    with op.batch_alter_table('procedure_steps') as batch_op:
        batch_op.drop_column('agent_name')
