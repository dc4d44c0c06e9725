"""Claim heartbeats: `inbound_messages.heartbeat_at`, renewed by the worker holding a claim.

A `processing` row whose heartbeat stopped (its worker died) goes back to the queue within
seconds instead of waiting for a fixed claim age.

Revision ID: 0006_inbound_heartbeat
Revises: 0005_applied_actions
Create Date: 2026-12-10
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006_inbound_heartbeat"
down_revision: str | None = "0005_applied_actions"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain ADD COLUMN on both backends: a SQLite batch rebuild would break the views.
    op.add_column(
        "inbound_messages", sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=True)
    )


def downgrade() -> None:
    op.drop_column("inbound_messages", "heartbeat_at")
