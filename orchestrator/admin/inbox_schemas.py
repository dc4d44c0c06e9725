"""Request and response models of the admin inbox (human handoff). Timestamps are UTC."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints


def _printable(value: str) -> str:
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ValueError("must be valid Unicode (no lone surrogates)") from exc
    return value


class HandoffOut(BaseModel):
    """One stretch of a conversation in human mode."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    reason: Literal["requested", "fallbacks", "staff"]
    started_at: datetime
    started_by: str | None
    first_response_at: datetime | None
    last_staff_at: datetime | None
    staff_messages: int
    ended_at: datetime | None
    end_reason: str | None
    ended_by: str | None


class InboxItem(BaseModel):
    """A conversation in the inbox: its short id (`#12` on WhatsApp) and who answers it."""

    id: int
    user_id: str
    profile_name: str | None
    channel: str
    mode: Literal["bot", "human"]
    last_message_at: datetime
    last_message: str | None
    handoff: HandoffOut | None = Field(description="the open handoff (human mode), if any")


class InboxMessage(BaseModel):
    """One message of the transcript: from the shopper, the bot or a staff member."""

    at: datetime
    sender: Literal["shopper", "bot", "staff"]
    text: str
    mode: Literal["bot", "human", "staff"]
    author: str | None = None
    success: bool = True


class InboxConversation(InboxItem):
    """A conversation with its transcript (oldest first, the last 500 turns) and handoffs."""

    messages: list[InboxMessage]
    handoffs: list[HandoffOut]


ReplyText = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=1600),
    AfterValidator(_printable),
]
AuthorName = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=60),
    AfterValidator(_printable),
]


class ReplyIn(BaseModel):
    """A staff reply from the dashboard, sent through the shop's WhatsApp number."""

    model_config = ConfigDict(extra="forbid")

    text: ReplyText
    author: AuthorName | None = Field(default=None, description="who writes (shown in the log)")


class ReplyOut(BaseModel):
    """What happened to a reply: the outbound status, and the conversation's mode now."""

    status: str
    sent: bool
    mode: Literal["bot", "human"]
    error: str | None = None


class ModeOut(BaseModel):
    """The conversation's mode after take / release, and whether this call changed it."""

    mode: Literal["bot", "human"]
    changed: bool


class HandoffDay(BaseModel):
    """A row of the `handoff_stats` view."""

    day: date
    handoffs: int
    requested: int
    after_fallbacks: int
    taken_by_staff: int
    answered: int
    avg_first_response_s: float | None
    max_first_response_s: float | None
    idle_returns: int
    still_open: int
