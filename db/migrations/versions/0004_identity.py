"""Identity and ownership: shop country/time zone, client owner, delivery data on orders.

- `shops.country` (ISO 3166, default CO) is the region national phone numbers are read in;
  `shops.timezone` (IANA, default America/Bogota) is the shop's local time.
- `clients.owner_id`: the conversation identity a client record was saved from. Existing
  rows get their stored phone when it is already in E.164 (demo and WhatsApp checkouts
  saved the sender's number there), so returning clients keep their saved data.
- `orders.delivery`: the buyer data typed for that order.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("shops") as batch:
        batch.add_column(sa.Column("country", sa.String(2), nullable=False, server_default="CO"))
        batch.add_column(
            sa.Column("timezone", sa.String(64), nullable=False, server_default="America/Bogota")
        )
    with op.batch_alter_table("clients") as batch:
        batch.add_column(sa.Column("owner_id", sa.String(64), nullable=True))
        batch.create_index("ix_clients_shop_owner", ["shop_id", "owner_id"])
    op.execute("UPDATE clients SET owner_id = phone WHERE phone LIKE '+%'")
    with op.batch_alter_table("orders") as batch:
        batch.add_column(sa.Column("delivery", sa.JSON(), nullable=True))


def downgrade() -> None:
    # Plain DROP COLUMN (SQLite >= 3.35): a batch table rebuild would break the views.
    op.drop_column("orders", "delivery")
    op.drop_index("ix_clients_shop_owner", table_name="clients")
    op.drop_column("clients", "owner_id")
    op.drop_column("shops", "timezone")
    op.drop_column("shops", "country")
