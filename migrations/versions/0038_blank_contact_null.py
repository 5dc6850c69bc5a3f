"""an email address or phone number left empty is stored as NULL, never ""

The registration form stored an empty email box as "" and the correction form as NULL, so the
first correction of such a record recorded "email: — → —" in its history as a change (and said
"Details saved (phone, email)" when only the phone had changed). The model now stores an empty
box as NULL (tracker.models.Patient); this writes the records saved before it the same way. The
downgrade leaves them NULL: "" and NULL meant the same, no address.

Revision ID: 0038_blank_contact_null
Revises: 0037_start_acknowledgements
Create Date: 2026-12-05 23:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0038_blank_contact_null'
down_revision = '0037_start_acknowledgements'
branch_labels = None
depends_on = None


def upgrade():
    conn = op.get_bind()
    conn.execute(sa.text("UPDATE patients SET email = NULL WHERE trim(email) = ''"))
    conn.execute(sa.text("UPDATE patients SET phone = NULL WHERE trim(phone) = ''"))


def downgrade():
    pass
