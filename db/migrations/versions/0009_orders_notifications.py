"""Orders after the sale, shop-initiated notifications, opt-outs and catalog edits.

- `orders.state` also takes the fulfilment states `pagada`, `enviada`, `entregada`,
  `devuelta` (`db.order_states`); `order_events` records each change (who, when).
- `outbound_messages` carries shop-initiated messages: `kind`, the template sent outside
  WhatsApp's 24-hour window (`content_sid`, `content_variables`), a unique `dedupe_key`,
  and the statuses `needs_template` and `opted_out` for messages not sent.
- `opt_outs`: BAJA / ALTA per (shop, phone).
- `product_changes`: stock, price and active edits (who, when, old → new).
- `shops.notification_templates` (kind → Content SID) and `shops.low_stock_threshold`.
- `user_conversation_stats` counts every sold order (closed and later fulfilment states but
  `devuelta`), not only `cerrada`.

Self-contained: it touches no table another 0008 would (the lead re-points down_revision).

Revision ID: 0009_orders_notifications
Revises: 0008_human_handoff
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009_orders_notifications"
down_revision: str | None = "0008_human_handoff"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_OLD_STATES = ("iniciada", "pendiente", "recolectando_datos", "cerrada", "cancelada")
_NEW_STATES = (
    "iniciada",
    "pendiente",
    "recolectando_datos",
    "cerrada",
    "pagada",
    "enviada",
    "entregada",
    "devuelta",
    "cancelada",
)
_OLD_OUT = ("queued", "sending", "sent", "delivered", "read", "undelivered", "failed", "recorded")
_NEW_OUT = (*_OLD_OUT, "needs_template", "opted_out")
_SOLD = ("cerrada", "pagada", "enviada", "entregada")


def _in(column: str, values: Sequence[str]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def _user_stats(sold: Sequence[str]) -> str:
    return f"""
CREATE VIEW user_conversation_stats AS
WITH turns AS (
    SELECT shop_id, user_id, COUNT(*) AS turns,
           MIN(created_at) AS first_seen, MAX(created_at) AS last_seen
    FROM conversation_logs
    GROUP BY shop_id, user_id
),
closed AS (
    SELECT shop_id, user_id, COUNT(*) AS orders, SUM(total) AS spend
    FROM orders
    WHERE {_in("state", sold)}
    GROUP BY shop_id, user_id
)
SELECT t.shop_id AS shop_id, t.user_id AS user_id, t.turns AS turns,
       t.first_seen AS first_seen, t.last_seen AS last_seen,
       COALESCE(c.orders, 0) AS orders, COALESCE(c.spend, 0) AS spend
FROM turns t
LEFT JOIN closed c ON c.shop_id = t.shop_id AND c.user_id = t.user_id"""


def _replace_view(sold: Sequence[str]) -> None:
    if op.get_bind().dialect.name == "postgresql":
        # Same columns: replaced in place, so get_user_conversation_stats keeps working.
        op.execute(_user_stats(sold).replace("CREATE VIEW", "CREATE OR REPLACE VIEW", 1))
    else:
        op.execute("DROP VIEW IF EXISTS user_conversation_stats")
        op.execute(_user_stats(sold))


def _check(table: str, name: str, column: str, values: Sequence[str]) -> None:
    with op.batch_alter_table(table) as batch:
        batch.drop_constraint(op.f(f"ck_{table}_{name}"), type_="check")
        batch.create_check_constraint(op.f(f"ck_{table}_{name}"), _in(column, values))


def upgrade() -> None:
    # SQLite rebuilds a table in batch mode: the view reading `orders` goes first.
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP VIEW IF EXISTS user_conversation_stats")
    _check("orders", "state_valid", "state", _NEW_STATES)
    _check("outbound_messages", "status_valid", "status", _NEW_OUT)
    with op.batch_alter_table("outbound_messages") as batch:
        batch.add_column(sa.Column("kind", sa.String(32), nullable=True))
        batch.add_column(sa.Column("content_sid", sa.String(64), nullable=True))
        batch.add_column(sa.Column("content_variables", sa.Text(), nullable=True))
        batch.add_column(sa.Column("dedupe_key", sa.String(128), nullable=True))
        batch.create_unique_constraint("uq_outbound_dedupe_key", ["dedupe_key"])
        batch.create_index("ix_outbound_kind_status", ["kind", "status"])
    with op.batch_alter_table("shops") as batch:
        batch.add_column(
            sa.Column(
                "notification_templates", sa.JSON(), nullable=False, server_default=sa.text("'{}'")
            )
        )
        batch.add_column(
            sa.Column("low_stock_threshold", sa.Integer(), nullable=False, server_default="5")
        )
    op.create_table(
        "order_events",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "shop_id",
            sa.Integer(),
            sa.ForeignKey("shops.id", ondelete="CASCADE", name="fk_order_events_shop_id_shops"),
            nullable=False,
        ),
        sa.Column(
            "order_id",
            sa.Integer(),
            sa.ForeignKey("orders.id", ondelete="CASCADE", name="fk_order_events_order_id_orders"),
            nullable=False,
        ),
        sa.Column("from_state", sa.String(32), nullable=False),
        sa.Column("to_state", sa.String(32), nullable=False),
        sa.Column("actor", sa.String(120), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_order_events_order", "order_events", ["order_id", "id"])
    op.create_table(
        "opt_outs",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "shop_id",
            sa.Integer(),
            sa.ForeignKey("shops.id", ondelete="CASCADE", name="fk_opt_outs_shop_id_shops"),
            nullable=False,
        ),
        sa.Column("phone", sa.String(64), nullable=False),
        sa.Column("opted_out", sa.Boolean(), nullable=False),
        sa.Column("keyword", sa.String(200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("shop_id", "phone", name="uq_opt_outs_shop_phone"),
    )
    op.create_table(
        "product_changes",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "shop_id",
            sa.Integer(),
            sa.ForeignKey("shops.id", ondelete="CASCADE", name="fk_product_changes_shop_id_shops"),
            nullable=False,
        ),
        sa.Column(
            "product_id",
            sa.Integer(),
            sa.ForeignKey(
                "products.id", ondelete="CASCADE", name="fk_product_changes_product_id_products"
            ),
            nullable=False,
        ),
        sa.Column("field", sa.String(16), nullable=False),
        sa.Column("old_value", sa.String(64), nullable=False),
        sa.Column("new_value", sa.String(64), nullable=False),
        sa.Column("actor", sa.String(120), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_product_changes_product", "product_changes", ["product_id", "id"])
    _replace_view(_SOLD)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP VIEW IF EXISTS user_conversation_stats")
    op.drop_index("ix_product_changes_product", table_name="product_changes")
    op.drop_table("product_changes")
    op.drop_table("opt_outs")
    op.drop_index("ix_order_events_order", table_name="order_events")
    op.drop_table("order_events")
    with op.batch_alter_table("shops") as batch:
        batch.drop_column("low_stock_threshold")
        batch.drop_column("notification_templates")
    op.execute(
        f"DELETE FROM outbound_messages WHERE {_in('status', ('needs_template', 'opted_out'))}"
    )
    with op.batch_alter_table("outbound_messages") as batch:
        batch.drop_index("ix_outbound_kind_status")
        batch.drop_constraint("uq_outbound_dedupe_key", type_="unique")
        batch.drop_column("dedupe_key")
        batch.drop_column("content_variables")
        batch.drop_column("content_sid")
        batch.drop_column("kind")
    _check("outbound_messages", "status_valid", "status", _OLD_OUT)
    # Fulfilment history collapses back to the sale it came from.
    op.execute(f"UPDATE orders SET state = 'cerrada' WHERE {_in('state', _NEW_STATES[4:8])}")
    _check("orders", "state_valid", "state", _OLD_STATES)
    _replace_view(("cerrada",))
