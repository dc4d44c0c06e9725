"""Admin routes for conversations (listing and full transcripts) and the analytics views."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path
from sqlalchemy import func, select

from db import analytics
from db.models import ConversationLog
from orchestrator.admin.deps import NO_NUL, PageDep, RangeDep, SessionDep, ShopDep
from orchestrator.admin.schemas import (
    ConversationDay,
    ConversationSummary,
    ErrorStat,
    IntentStat,
    Page,
    Transcript,
    Turn,
    UserStat,
    not_found,
)

router = APIRouter()
Log = ConversationLog


@router.get("/conversations", response_model=Page[ConversationSummary])
def list_conversations(
    shop: ShopDep, session: SessionDep, dates: RangeDep, paging: PageDep
) -> Page[ConversationSummary]:
    """One row per user who talked to the shop in the range: turns, first and last time,
    last message; most recent conversation first."""
    where: list[Any] = [
        Log.shop_id == shop.id,
        *analytics.in_range(Log.created_at, dates.date_from, dates.date_to),
    ]
    ranked = (
        select(
            Log.user_id,
            Log.message,
            Log.created_at,
            func.row_number()
            .over(partition_by=Log.user_id, order_by=(Log.created_at.desc(), Log.id.desc()))
            .label("rn"),
            func.count(Log.id).over(partition_by=Log.user_id).label("turns"),
            func.min(Log.created_at).over(partition_by=Log.user_id).label("first_at"),
        )
        .where(*where)
        .subquery()
    )
    total = session.scalar(select(func.count(func.distinct(Log.user_id))).where(*where)) or 0
    rows = session.execute(
        select(ranked)
        .where(ranked.c.rn == 1)
        .order_by(ranked.c.created_at.desc(), ranked.c.user_id)
        .offset(paging.offset)
        .limit(paging.page_size)
    ).all()
    items = [
        ConversationSummary(
            user_id=r.user_id,
            turns=r.turns,
            first_at=r.first_at,
            last_at=r.created_at,
            last_message=r.message,
        )
        for r in rows
    ]
    return Page(items=items, page=paging.page, page_size=paging.page_size, total=total)


@router.get(
    "/conversations/{user_id}", response_model=Transcript, responses=not_found("conversation")
)
def get_transcript(
    user_id: Annotated[str, Path(max_length=200, pattern=NO_NUL)],
    shop: ShopDep,
    session: SessionDep,
    dates: RangeDep,
) -> Transcript:
    """Every turn of one user with the shop, oldest first; 404 when the shop has none."""
    turns = session.scalars(
        select(Log)
        .where(
            Log.shop_id == shop.id,
            Log.user_id == user_id,
            *analytics.in_range(Log.created_at, dates.date_from, dates.date_to),
        )
        .order_by(Log.created_at, Log.id)
    ).all()
    if not turns:
        raise HTTPException(404, detail="Conversation not found")
    return Transcript(user_id=user_id, turns=[Turn.model_validate(t) for t in turns])


@router.get("/stats/conversations", response_model=list[ConversationDay])
def stats_conversations(
    shop: ShopDep, session: SessionDep, dates: RangeDep
) -> list[ConversationDay]:
    """The `conversation_stats` view: one row per UTC day."""
    rows = analytics.conversation_days(session, shop.id, dates.date_from, dates.date_to)
    return [ConversationDay(**r) for r in rows]


@router.get("/stats/intents", response_model=list[IntentStat])
def stats_intents(shop: ShopDep, session: SessionDep) -> list[IntentStat]:
    """The `intent_stats` view, most frequent intent first."""
    return [IntentStat(**r) for r in analytics.stats_rows(session, analytics.intent_stats, shop.id)]


@router.get("/stats/errors", response_model=list[ErrorStat])
def stats_errors(shop: ShopDep, session: SessionDep) -> list[ErrorStat]:
    """The `error_stats` view, most frequent error first."""
    return [ErrorStat(**r) for r in analytics.stats_rows(session, analytics.error_stats, shop.id)]


@router.get("/stats/users", response_model=Page[UserStat])
def stats_users(shop: ShopDep, session: SessionDep, paging: PageDep) -> Page[UserStat]:
    """The `user_conversation_stats` view, most recently seen user first."""
    view = analytics.user_conversation_stats
    rows = analytics.stats_rows(
        session, view, shop.id, offset=paging.offset, limit=paging.page_size
    )
    return Page(
        items=[UserStat(**r) for r in rows],
        page=paging.page,
        page_size=paging.page_size,
        total=analytics.stats_count(session, view, shop.id),
    )
