"""The inbox of the human handoff: conversations (open handoffs first) with their
transcripts, staff replies sent through the shop's WhatsApp number, "take" and
"Devolver al bot", and the `handoff_stats` view.

Writes go through `orchestrator.handoff.HandoffDesk` (the app's, from
`app.state.services.handoff`, or `app.state.handoff` in tests), which owns the modes.
"""

from __future__ import annotations

from typing import Annotated, Any, cast

from fastapi import APIRouter, Depends, HTTPException, Request
from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from db import analytics
from db.models import (
    TURN_MODES,
    Conversation,
    ConversationLog,
    Handoff,
    OutboundStatus,
    Shop,
    TurnMode,
)
from orchestrator.admin.deps import PageDep, RangeDep, RowId, SessionDep, ShopDep
from orchestrator.admin.inbox_schemas import (
    HandoffDay,
    HandoffOut,
    InboxConversation,
    InboxItem,
    InboxMessage,
    ModeOut,
    ReplyIn,
    ReplyOut,
)
from orchestrator.admin.schemas import ErrorDetail, Page, not_found
from orchestrator.handoff import HandoffDesk

# Not sent on purpose (`db.notifications.decide`): outside the 24-hour window, or opted out.
HELD = (OutboundStatus.NEEDS_TEMPLATE, OutboundStatus.OPTED_OUT)
router = APIRouter()
TRANSCRIPT_TURNS = 500
_404 = not_found("conversation")
_BODY = {**_404, 400: {"model": ErrorDetail, "description": "the body is not valid JSON"}}


def handoff_desk(request: Request) -> HandoffDesk:
    """The app's handoff desk: `app.state.handoff`, else `app.state.services.handoff`."""
    state = request.app.state
    desk: HandoffDesk | None = getattr(state, "handoff", None)
    if desk is None:
        desk = getattr(getattr(state, "services", None), "handoff", None)
    if desk is None:
        raise RuntimeError("no handoff desk on app.state (handoff or services)")
    return desk


DeskDep = Annotated[HandoffDesk, Depends(handoff_desk)]


def _last_messages(session: Session, shop_id: int, users: list[str]) -> dict[str, str]:
    if not users:
        return {}
    newest = (
        select(ConversationLog.user_id, func.max(ConversationLog.id).label("id"))
        .where(
            ConversationLog.shop_id == shop_id,
            ConversationLog.user_id.in_(users),
            ConversationLog.message != "",
        )
        .group_by(ConversationLog.user_id)
        .subquery()
    )
    rows = session.execute(
        select(ConversationLog.user_id, ConversationLog.message).join(
            newest, ConversationLog.id == newest.c.id
        )
    ).all()
    return {r.user_id: r.message for r in rows}


def _item(conv: Conversation, handoff: Handoff | None, last: str | None) -> dict[str, Any]:
    return {
        "id": conv.id,
        "user_id": conv.user_id,
        "profile_name": conv.profile_name,
        "channel": conv.channel,
        "mode": conv.mode,
        "last_message_at": conv.last_message_at,
        "last_message": last,
        "handoff": HandoffOut.model_validate(handoff) if handoff is not None else None,
    }


@router.get("/inbox", response_model=Page[InboxItem])
def list_inbox(shop: ShopDep, session: SessionDep, paging: PageDep) -> Page[InboxItem]:
    """The shop's conversations: open handoffs first (oldest waiting first), then the
    others, most recent first."""
    open_first = case((Conversation.mode == "human", 0), else_=1)
    rows = session.execute(
        select(Conversation, Handoff)
        .outerjoin(
            Handoff, (Handoff.conversation_id == Conversation.id) & Handoff.ended_at.is_(None)
        )
        .where(Conversation.shop_id == shop.id)
        .order_by(
            open_first,
            Handoff.started_at,
            Conversation.last_message_at.desc(),
            Conversation.id.desc(),
        )
        .offset(paging.offset)
        .limit(paging.page_size)
    ).all()
    total = session.scalar(
        select(func.count()).select_from(Conversation).where(Conversation.shop_id == shop.id)
    )
    last = _last_messages(session, shop.id, [c.user_id for c, _ in rows])
    items = [InboxItem(**_item(c, h, last.get(c.user_id))) for c, h in rows]
    return Page(items=items, page=paging.page, page_size=paging.page_size, total=total or 0)


def _conversation(session: Session, shop_id: int, conversation_id: int) -> Conversation:
    conv = session.get(Conversation, conversation_id)
    if conv is None or conv.shop_id != shop_id:
        raise HTTPException(404, detail="Conversation not found")
    return conv


def _messages(logs: list[ConversationLog]) -> list[InboxMessage]:
    out: list[InboxMessage] = []
    for row in logs:
        mode = cast(TurnMode, row.mode if row.mode in TURN_MODES else "bot")
        if row.message and mode != "staff":
            out.append(
                InboxMessage(at=row.created_at, sender="shopper", text=row.message, mode=mode)
            )
        if row.final_reply:
            staff = mode == "staff" and row.author is not None
            out.append(
                InboxMessage(
                    at=row.created_at,
                    sender="staff" if staff else "bot",
                    text=row.final_reply,
                    mode=mode,
                    author=row.author,
                    success=row.success,
                )
            )
    return out


@router.get("/inbox/{conversation_id}", response_model=InboxConversation, responses=_404)
def get_inbox_conversation(
    conversation_id: RowId, shop: ShopDep, session: SessionDep
) -> InboxConversation:
    """One conversation: the transcript (shopper, bot and staff messages) and handoffs."""
    conv = _conversation(session, shop.id, conversation_id)
    logs = list(
        session.scalars(
            select(ConversationLog)
            .where(ConversationLog.shop_id == shop.id, ConversationLog.user_id == conv.user_id)
            .order_by(ConversationLog.id.desc())
            .limit(TRANSCRIPT_TURNS)
        )
    )[::-1]
    handoffs = list(
        session.scalars(
            select(Handoff).where(Handoff.conversation_id == conv.id).order_by(Handoff.id)
        )
    )
    current = next((h for h in handoffs if h.ended_at is None), None)
    last = next((lg.message for lg in reversed(logs) if lg.message), None)
    return InboxConversation(
        **_item(conv, current, last),
        messages=_messages(logs),
        handoffs=[HandoffOut.model_validate(h) for h in handoffs],
    )


def _shop_and_ref(session: Session, desk: HandoffDesk, shop_id: int, conversation_id: int) -> Any:
    ref = desk.get(shop_id, conversation_id)
    row = session.get(Shop, shop_id)
    if ref is None or row is None:
        raise HTTPException(404, detail="Conversation not found")
    session.expunge(row)  # a plain copy for the desk, which uses its own sessions
    session.rollback()
    return row, ref


@router.post("/inbox/{conversation_id}/reply", response_model=ReplyOut, responses=_BODY)
def reply(
    conversation_id: RowId, body: ReplyIn, shop: ShopDep, session: SessionDep, desk: DeskDep
) -> ReplyOut:
    """Send `text` to the shopper from the shop's WhatsApp number, logged as a staff turn
    by `panel:<author>`; a conversation the bot had becomes `human` (staff took it)."""
    row, ref = _shop_and_ref(session, desk, shop.id, conversation_id)
    author = f"panel:{body.author}" if body.author else "panel"
    result = desk.reply(row, ref, body.text, author)
    failed = result.status == OutboundStatus.FAILED
    held = result.status in HELD  # db.notifications.decide
    error = f"{result.error_code}: {result.error_message}" if failed else result.error_message
    return ReplyOut(
        status=result.status,
        sent=not (failed or held),
        mode="human",
        error=error if failed or held else None,
    )


@router.post("/inbox/{conversation_id}/take", response_model=ModeOut, responses=_404)
def take(conversation_id: RowId, shop: ShopDep, session: SessionDep, desk: DeskDep) -> ModeOut:
    """Staff take the conversation: the bot stops answering it (no message is sent)."""
    row, ref = _shop_and_ref(session, desk, shop.id, conversation_id)
    changed = ref.mode != "human" and desk.start(row, ref, "staff", by="panel")
    return ModeOut(mode="human", changed=changed)


@router.post("/inbox/{conversation_id}/release", response_model=ModeOut, responses=_404)
def release(conversation_id: RowId, shop: ShopDep, session: SessionDep, desk: DeskDep) -> ModeOut:
    """ "Devolver al bot": the bot answers again and tells the shopper so."""
    row, ref = _shop_and_ref(session, desk, shop.id, conversation_id)
    changed = desk.hand_back(row, ref, "panel")
    return ModeOut(mode="bot", changed=changed)


@router.get("/stats/handoffs", response_model=list[HandoffDay])
def stats_handoffs(shop: ShopDep, session: SessionDep, dates: RangeDep) -> list[HandoffDay]:
    """The `handoff_stats` view: handoffs and staff first-response times per UTC day."""
    rows = analytics.conversation_days(
        session, shop.id, dates.date_from, dates.date_to, view=analytics.handoff_stats
    )
    return [HandoffDay(**r) for r in rows]
