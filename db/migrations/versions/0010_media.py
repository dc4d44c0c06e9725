"""WhatsApp media: inbound buttons, outbound media and quick replies, product images, and
what the media step of a turn did (docs/MEDIA.md).

- `inbound_messages.button_payload` / `button_text`: a quick-reply answer (`ButtonPayload`,
  `ButtonText` of Twilio's webhook), handled like the typed answer.
- `outbound_messages.media_url` (`content_sid`/`content_variables` come from 0009): a product image sent
  with a reply (Twilio `MediaUrl`) and the quick-reply template it was sent through
  (Content API); `body` stays the numbered-text fallback.
- `products.image_url`: the catalog's optional `imagen` column.
- `shops.quick_replies`: the shop's quick-reply content SIDs (`db/shop_config.py`).
- `conversation_logs.media_type`, `media_provider`, `media_text`, `media_ms`: the voice note
  or photo of the turn, the provider that read it, its transcript or query, and how long.

Revision ID: 0010_media
Revises: 0009_orders_notifications
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010_media"
down_revision: str | None = "0009_orders_notifications"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_COLUMNS: list[tuple[str, sa.Column[object]]] = [
    ("inbound_messages", sa.Column("button_payload", sa.String(256), nullable=True)),
    ("inbound_messages", sa.Column("button_text", sa.String(256), nullable=True)),
    ("outbound_messages", sa.Column("media_url", sa.String(1000), nullable=True)),
    ("products", sa.Column("image_url", sa.String(1000), nullable=True)),
    ("shops", sa.Column("quick_replies", sa.JSON(), nullable=True)),
    ("conversation_logs", sa.Column("media_type", sa.String(100), nullable=True)),
    ("conversation_logs", sa.Column("media_provider", sa.String(32), nullable=True)),
    ("conversation_logs", sa.Column("media_text", sa.Text(), nullable=True)),
    ("conversation_logs", sa.Column("media_ms", sa.Float(), nullable=True)),
]


def upgrade() -> None:
    # Plain ADD COLUMN on both backends: a SQLite batch rebuild would break the views.
    for table, column in _COLUMNS:
        op.add_column(table, column)


def downgrade() -> None:
    # SQLite drops a column only when no view names it; the views do not use these.
    for table, column in reversed(_COLUMNS):
        op.drop_column(table, column.name)
