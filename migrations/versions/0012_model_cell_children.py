"""model cell children

Revision ID: 0012_model_cell_children
Revises: 0011_cities
Create Date: 2026-12-06
"""

from alembic import op

from migrations.schema import apply_frozen

revision = "0012_model_cell_children"
down_revision = "0011_cities"
branch_labels = None
depends_on = None


def upgrade() -> None:
    apply_frozen(op.get_bind(), "0012_model_cell_children.up.sql")


def downgrade() -> None:
    apply_frozen(op.get_bind(), "0012_model_cell_children.down.sql")
