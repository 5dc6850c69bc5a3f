"""diary points keep until when a missed one is chased, so the overdue list is an index range

`chase_until`: the case's next point's opening (a missed point is not chased once a later one has
opened); for the last point None while the case is in follow-up, else when the case left it.
`chased`: the point may still be chased (a post-injection point, not the anaesthetic window's, of
a case in follow-up). The partial index holds the pending points still chased, by closing time:
the overdue list reads the first page of it. Points whose chase has ended (a later point opened)
are cleared by the nightly `flask worklist refresh`; this upgrade clears those already ended.

Revision ID: 0027_diary_chase
Revises: 0026_patient_search_indexes
Create Date: 2026-12-05 11:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0027_diary_chase'
down_revision = '0026_patient_search_indexes'
branch_labels = None
depends_on = None

# The baseline and the anaesthetic window's points of every schedule (tracker/diary/schedule.py
# as of this revision): never chased.
NEVER_CHASED = ('t0', 'm15', 'm30', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6')


def upgrade():
    with op.batch_alter_table('diary_points', schema=None) as batch_op:
        batch_op.add_column(sa.Column('chase_until', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('chased', sa.Boolean(), nullable=False, server_default=sa.false()))
    backfill()
    with op.batch_alter_table('diary_points', schema=None) as batch_op:
        batch_op.create_index('ix_diary_points_chased_closes_at', ['closes_at', 'id'], unique=False,
                              postgresql_where=sa.text('completed_at IS NULL AND chased'),
                              sqlite_where=sa.text('completed_at IS NULL AND chased = 1'))


def backfill():
    points = sa.table('diary_points', sa.column('id', sa.Integer), sa.column('case_id', sa.Integer),
                      sa.column('point_code', sa.String), sa.column('opens_at', sa.DateTime),
                      sa.column('chase_until', sa.DateTime), sa.column('chased', sa.Boolean))
    cases = sa.table('cases', sa.column('id', sa.Integer), sa.column('state', sa.String),
                     sa.column('state_changed_at', sa.DateTime))
    later = points.alias('later')
    next_opening = (sa.select(sa.func.min(later.c.opens_at))
                    .where(later.c.case_id == points.c.case_id, later.c.opens_at > points.c.opens_at)
                    .scalar_subquery())
    left_at = (sa.select(cases.c.state_changed_at)
               .where(cases.c.id == points.c.case_id, cases.c.state != 'follow_up').scalar_subquery())
    in_follow_up = sa.exists().where(cases.c.id == points.c.case_id, cases.c.state == 'follow_up')
    op.execute(points.update().values(chase_until=sa.func.coalesce(next_opening, left_at)))
    op.execute(points.update().values(chased=sa.case(
        (sa.and_(in_follow_up, points.c.point_code.not_in(NEVER_CHASED)), sa.true()), else_=sa.false())))
    # Those whose chase has already ended (a later point has opened) leave the index now.
    # Stored as naive UTC: compared with the database's clock read as UTC.
    utc_now = (sa.text("(now() AT TIME ZONE 'utc')") if op.get_bind().dialect.name == 'postgresql'
               else sa.func.current_timestamp())
    op.execute(points.update().where(points.c.chased == sa.true(), points.c.chase_until.is_not(None),
                                     points.c.chase_until <= utc_now)
               .values(chased=sa.false()))


def downgrade():
    with op.batch_alter_table('diary_points', schema=None) as batch_op:
        batch_op.drop_index('ix_diary_points_chased_closes_at')
        batch_op.drop_column('chased')
        batch_op.drop_column('chase_until')
