"""Foundation: roles, schemas, reference, incident, report and ops tables.

Revision ID: 0001_foundation
Revises:
Create Date: 2026-11-29
"""

from alembic import op

from migrations.schema import apply_frozen

revision = "0001_foundation"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    apply_frozen(op.get_bind(), "0001_foundation.up.sql")


def downgrade() -> None:
    apply_frozen(op.get_bind(), "0001_foundation.down.sql")
