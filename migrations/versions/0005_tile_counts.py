"""Incident counts per H3 cell for the incidents tiles below zoom 16

Revision ID: 0005_tile_counts
Revises: 0004_report_videos
Create Date: 2026-12-05
"""

from alembic import op

from migrations.schema import apply_frozen

revision = "0005_tile_counts"
down_revision = "0004_report_videos"
branch_labels = None
depends_on = None


def upgrade() -> None:
    apply_frozen(op.get_bind(), "0005_tile_counts.up.sql")


def downgrade() -> None:
    apply_frozen(op.get_bind(), "0005_tile_counts.down.sql")
