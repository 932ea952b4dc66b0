"""report videos

Revision ID: 0004_report_videos
Revises: 0003_live_feed
Create Date: 2026-12-05
"""

from alembic import op

from migrations.schema import apply_frozen

revision = "0004_report_videos"
down_revision = "0003_live_feed"
branch_labels = None
depends_on = None


def upgrade() -> None:
    apply_frozen(op.get_bind(), "0004_report_videos.up.sql")


def downgrade() -> None:
    apply_frozen(op.get_bind(), "0004_report_videos.down.sql")
