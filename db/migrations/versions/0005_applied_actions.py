"""Exactly-once effects: `applied_actions` records each action's result per idempotency key.

A state-changing action writes its dispatched messages and returned events here in the same
transaction as its effects, keyed by (idempotency key of the inbound message, action name);
a retried turn reads them back instead of applying the effects a second time.

Revision ID: 0005_applied_actions
Revises: 0004
Create Date: 2026-12-10
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005_applied_actions"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "applied_actions",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("idempotency_key", sa.String(128), nullable=False),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("sender_id", sa.String(160), nullable=False),
        sa.Column("messages", sa.JSON(), nullable=False),
        sa.Column("events", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_applied_actions"),
        sa.UniqueConstraint("idempotency_key", "action", name="uq_applied_actions_key_action"),
    )


def downgrade() -> None:
    op.drop_table("applied_actions")
