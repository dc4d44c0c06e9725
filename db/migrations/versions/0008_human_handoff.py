"""Human handoff: `conversations` (short id, bot|human mode), `handoffs`, turn log `mode`
and `author`, and the `handoff_stats` view.

`handoff_stats` (per shop and UTC day the handoff started): handoffs, how they started
(requested by the shopper, after repeated fallbacks, taken by staff), how many staff
answered, the average and longest time to the first staff message (seconds, answered
handoffs only), and how many went back to the bot because nobody answered (idle).

Revision ID: 0008_human_handoff
Revises: 0007_intent_stats_grounded
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008_human_handoff"
down_revision: str | None = "0007_intent_stats_grounded"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_DAY = {
    "sqlite": "date(started_at)",
    "postgresql": "CAST(timezone('UTC', started_at) AS date)",
}
_SECONDS = {
    "sqlite": "(julianday(first_response_at) - julianday(started_at)) * 86400.0",
    "postgresql": "EXTRACT(EPOCH FROM (first_response_at - started_at))",
}


def _handoff_stats(dialect: str) -> str:
    seconds = _SECONDS[dialect]
    return f"""
CREATE VIEW handoff_stats AS
SELECT shop_id, {_DAY[dialect]} AS day,
       COUNT(*) AS handoffs,
       SUM(CASE WHEN reason = 'requested' THEN 1 ELSE 0 END) AS requested,
       SUM(CASE WHEN reason = 'fallbacks' THEN 1 ELSE 0 END) AS after_fallbacks,
       SUM(CASE WHEN reason = 'staff' THEN 1 ELSE 0 END) AS taken_by_staff,
       SUM(CASE WHEN first_response_at IS NOT NULL THEN 1 ELSE 0 END) AS answered,
       AVG(CASE WHEN first_response_at IS NOT NULL THEN {seconds} END) AS avg_first_response_s,
       MAX(CASE WHEN first_response_at IS NOT NULL THEN {seconds} END) AS max_first_response_s,
       SUM(CASE WHEN end_reason = 'idle' THEN 1 ELSE 0 END) AS idle_returns,
       SUM(CASE WHEN ended_at IS NULL THEN 1 ELSE 0 END) AS still_open
FROM handoffs
GROUP BY shop_id, {_DAY[dialect]}"""


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    when = sa.DateTime(timezone=True)
    op.create_table(
        "conversations",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "shop_id", sa.Integer, sa.ForeignKey("shops.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("user_id", sa.String(64), nullable=False),
        sa.Column("channel", sa.String(20), nullable=False),
        sa.Column("profile_name", sa.String(200), nullable=True),
        sa.Column("mode", sa.String(8), nullable=False, server_default="bot"),
        sa.Column("created_at", when, nullable=False),
        sa.Column("last_message_at", when, nullable=False),
        sa.UniqueConstraint("shop_id", "user_id", name="uq_conversations_shop_user"),
        sa.CheckConstraint("mode IN ('bot', 'human')", name="mode_valid"),
    )
    op.create_index("ix_conversations_shop_last", "conversations", ["shop_id", "last_message_at"])
    op.create_table(
        "handoffs",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "shop_id", sa.Integer, sa.ForeignKey("shops.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column(
            "conversation_id",
            sa.Integer,
            sa.ForeignKey("conversations.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("reason", sa.String(16), nullable=False),
        sa.Column(
            "inbound_id",
            sa.Integer,
            sa.ForeignKey("inbound_messages.id", ondelete="SET NULL"),
            nullable=True,
        ),
        sa.Column("started_by", sa.String(80), nullable=True),
        sa.Column("started_at", when, nullable=False),
        sa.Column("first_response_at", when, nullable=True),
        sa.Column("last_staff_at", when, nullable=True),
        sa.Column("staff_messages", sa.Integer, nullable=False, server_default="0"),
        sa.Column("ended_at", when, nullable=True),
        sa.Column("end_reason", sa.String(8), nullable=True),
        sa.Column("ended_by", sa.String(80), nullable=True),
        sa.CheckConstraint("reason IN ('requested', 'fallbacks', 'staff')", name="reason_valid"),
        sa.CheckConstraint(
            "end_reason IS NULL OR end_reason IN ('staff', 'idle')", name="end_valid"
        ),
    )
    op.create_index(
        "uq_handoffs_open",
        "handoffs",
        ["conversation_id"],
        unique=True,
        sqlite_where=sa.text("ended_at IS NULL"),
        postgresql_where=sa.text("ended_at IS NULL"),
    )
    op.create_index("ix_handoffs_shop_started", "handoffs", ["shop_id", "started_at"])
    # Plain ADD COLUMN on both backends: a SQLite batch rebuild would break the views.
    op.add_column(
        "conversation_logs",
        sa.Column("mode", sa.String(8), nullable=False, server_default="bot"),
    )
    op.add_column("conversation_logs", sa.Column("author", sa.String(80), nullable=True))
    op.execute(_handoff_stats(dialect))


def downgrade() -> None:
    op.execute("DROP VIEW IF EXISTS handoff_stats")
    op.drop_column("conversation_logs", "author")
    op.drop_column("conversation_logs", "mode")
    op.drop_index("ix_handoffs_shop_started", table_name="handoffs")
    op.drop_index("uq_handoffs_open", table_name="handoffs")
    op.drop_table("handoffs")
    op.drop_index("ix_conversations_shop_last", table_name="conversations")
    op.drop_table("conversations")
