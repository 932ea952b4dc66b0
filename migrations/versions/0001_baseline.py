"""Baseline: the whole schema as of the first release (0001-0007 of development, squashed).

Revision ID: 0001_baseline
Revises:
Create Date: 2026-12-05

Released: this file and its two SQL files are history and never edited
(tests/test_migration_history.py holds their hashes). Change `sql/`, then `halo db revision`.
"""

from alembic import op

from migrations.schema import apply_frozen

revision = "0001_baseline"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    apply_frozen(op.get_bind(), "0001_baseline.up.sql")


def downgrade() -> None:
    apply_frozen(op.get_bind(), "0001_baseline.down.sql")
