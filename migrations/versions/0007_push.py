"""Push notifications: devices, followed districts, the outbox and the dispatch functions.

Revision ID: 0007_push
Revises: 0006_tiles
Create Date: 2026-11-30
"""

from alembic import op

from migrations.schema import apply_frozen

revision = "0007_push"
down_revision = "0006_tiles"
branch_labels = None
depends_on = None


def upgrade() -> None:
    apply_frozen(op.get_bind(), "0007_push.up.sql")


def downgrade() -> None:
    apply_frozen(op.get_bind(), "0007_push.down.sql")
