"""API tokens of accounts deactivated (or made admin or patient) before such a save revoked them are
revoked now

Saving an account deactivated, or with a role no token acts for, revokes its tokens for good
(tracker/api/tokens.py revoke_unusable). An account changed before that was done kept its tokens
unrevoked until an admin next saved it: reactivating it would have brought them back. Each such token
is revoked now, with an audit row worded as the admin's save words it ("API token sit_xxxxxxxx…
(read) for lena.hart@… revoked: account deactivated"), whose actor names this upgrade. The downgrade
leaves them revoked: un-revoking would reopen them, and the audit trail keeps its rows.

Revision ID: 0052_revoke_unusable_tokens
Revises: 0051_clinic_settings_version
Create Date: 2026-12-06 10:30:00

"""
from datetime import datetime, timezone

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0052_revoke_unusable_tokens'
down_revision = '0051_clinic_settings_version'
branch_labels = None
depends_on = None

ACTOR = f'database upgrade ({revision})'
# The roles a token acts for (tracker.roles.CLINICAL_STAFF), as stored.
CLINICAL_STAFF = ('coordinator', 'physician')

users = sa.table('users', sa.column('id', sa.Integer), sa.column('email', sa.String),
                 sa.column('role', sa.String), sa.column('active', sa.Boolean))
api_tokens = sa.table('api_tokens', sa.column('id', sa.Integer), sa.column('user_id', sa.Integer),
                      sa.column('scope', sa.String), sa.column('prefix', sa.String),
                      sa.column('revoked_at', sa.DateTime), sa.column('revoked_by_id', sa.Integer))
events = sa.table('audit_events', sa.column('at', sa.DateTime), sa.column('user_id', sa.Integer),
                  sa.column('actor', sa.String), sa.column('role', sa.String), sa.column('action', sa.String),
                  sa.column('object_type', sa.String), sa.column('object_id', sa.String),
                  sa.column('ip', sa.String), sa.column('summary', sa.Text))


def upgrade():
    conn = op.get_bind()
    unusable = conn.execute(
        sa.select(api_tokens.c.id, api_tokens.c.prefix, api_tokens.c.scope, users.c.email, users.c.role,
                  users.c.active)
        .select_from(api_tokens.join(users, users.c.id == api_tokens.c.user_id))
        .where(api_tokens.c.revoked_at.is_(None),
               sa.or_(users.c.active.is_(False), users.c.role.not_in(CLINICAL_STAFF)))
        .order_by(api_tokens.c.id)).all()
    if not unusable:
        return
    now = datetime.now(timezone.utc).replace(tzinfo=None)  # stored as naive UTC (tracker.models.types)
    conn.execute(api_tokens.update().where(api_tokens.c.id.in_([row.id for row in unusable]))
                 .values(revoked_at=now, revoked_by_id=None))
    conn.execute(sa.insert(events), [
        {'at': now, 'user_id': None, 'actor': ACTOR, 'role': None, 'action': 'update', 'object_type': 'api_token',
         'object_id': str(row.id), 'ip': None,
         'summary': f"API token {row.prefix}… ({row.scope}) for {row.email} revoked: "
                    + ('account deactivated' if not row.active else f'account made {row.role}')}
        for row in unusable])


def downgrade():
    pass
