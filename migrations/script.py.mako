"""${message}

Revision ID: ${up_revision}
Revises: ${down_revision | comma,n}
Create Date: ${create_date}
"""

from alembic import op

from migrations.schema import apply_frozen

revision = ${repr(up_revision)}
down_revision = ${repr(down_revision)}
branch_labels = None
depends_on = None


def upgrade() -> None:
    apply_frozen(op.get_bind(), "${up_revision}.up.sql")


def downgrade() -> None:
    apply_frozen(op.get_bind(), "${up_revision}.down.sql")
