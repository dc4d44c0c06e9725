"""Admin route listing the shop-initiated messages: sent, queued, or not sent and why.

A message outside WhatsApp's 24-hour window without an approved template is stored as
``needs_template`` and one to an opted-out number as ``opted_out``: never silently dropped,
they are listed here (and on the dashboard) for the shop to act on.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from sqlalchemy import func, select

from db.models import OutboundMessage, OutboundStatus
from orchestrator.admin.deps import PageDep, SearchText, SessionDep, ShopDep
from orchestrator.admin.schemas import NotificationOut, Page

router = APIRouter()


@router.get("/notifications", response_model=Page[NotificationOut])
def list_notifications(
    shop: ShopDep,
    session: SessionDep,
    paging: PageDep,
    status: Annotated[
        list[OutboundStatus] | None, Query(description="One or more statuses")
    ] = None,
    kind: SearchText = None,
) -> Page[NotificationOut]:
    """The shop's notifications, newest first (`status=needs_template` for the to-do)."""
    o = OutboundMessage
    where: list[Any] = [o.shop_id == shop.id, o.kind.is_not(None)]  # turn answers have none
    if status:
        where.append(o.status.in_(status))
    if kind:
        where.append(o.kind == kind)
    total = session.scalar(select(func.count(o.id)).where(*where)) or 0
    rows = session.scalars(
        select(o).where(*where).order_by(o.id.desc()).offset(paging.offset).limit(paging.page_size)
    ).all()
    items = []
    for row in rows:
        item = NotificationOut.model_validate(row)
        item.reason = row.error_message
        items.append(item)
    return Page(items=items, page=paging.page, page_size=paging.page_size, total=total)
