"""Admin routes for the inventory (with low-stock alerts) and the CSV exports."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from fastapi.responses import StreamingResponse
from sqlalchemy import func, or_, select

from db.exports import iter_csv
from db.models import Product
from orchestrator.admin.deps import (
    DB_INT_MAX,
    FactoryDep,
    PageDep,
    RangeDep,
    SearchText,
    SessionDep,
    ShopDep,
)
from orchestrator.admin.schemas import InventoryItem, InventoryPage

router = APIRouter()
ExportKind = Literal["inventario", "clientes", "ventas", "conversaciones"]


@router.get("/inventory", response_model=InventoryPage)
def inventory(
    shop: ShopDep,
    session: SessionDep,
    paging: PageDep,
    low_stock: Annotated[
        bool, Query(description="Only active products at or under the threshold")
    ] = False,
    threshold: Annotated[
        int | None, Query(ge=0, le=DB_INT_MAX, description="Overrides the shop's threshold")
    ] = None,
    category: SearchText = None,
    q: Annotated[SearchText, Query(description="Name or SKU contains")] = None,
) -> InventoryPage:
    """The shop's products by stock (lowest first), each flagged when stock ≤ threshold."""
    limit = shop.low_stock_threshold if threshold is None else threshold
    is_low = Product.active.is_(True) & (Product.stock <= limit)
    where: list[Any] = [Product.shop_id == shop.id]
    if low_stock:
        where.append(is_low)
    if category:
        where.append(Product.category == category)
    if q:
        like = f"%{q.strip()}%"
        where.append(or_(Product.name.ilike(like), Product.sku.ilike(like)))
    total = session.scalar(select(func.count(Product.id)).where(*where)) or 0
    low_count = session.scalar(
        select(func.count(Product.id)).where(Product.shop_id == shop.id, is_low)
    )
    products = session.scalars(
        select(Product)
        .where(*where)
        .order_by(Product.stock, Product.name, Product.id)
        .offset(paging.offset)
        .limit(paging.page_size)
    ).all()
    items = []
    for p in products:
        item = InventoryItem.model_validate(p)
        item.low_stock = p.active and p.stock <= limit
        items.append(item)
    return InventoryPage(
        items=items,
        page=paging.page,
        page_size=paging.page_size,
        total=total,
        low_stock_threshold=limit,
        low_stock_count=low_count or 0,
    )


@router.get(
    "/exports/{kind}",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/csv": {}}, "description": "UTF-8 CSV with a BOM"}},
)
def export_csv(
    kind: ExportKind, shop: ShopDep, factory: FactoryDep, dates: RangeDep
) -> StreamingResponse:
    """Stream export `kind` (inventario, clientes, ventas, conversaciones) as CSV.

    The same generator (`db.exports.iter_csv`) writes the chat export's signed-link files.
    Dates filter orders and conversation turns by their creation day (inclusive).
    """
    shop_id = shop.id

    def chunks() -> Iterator[bytes]:
        # Its own session: the request's session is closed before the body streams.
        with factory() as session:
            for chunk in iter_csv(session, shop_id, kind, dates.date_from, dates.date_to):
                yield chunk.encode("utf-8")

    stamp = datetime.now(UTC).strftime("%Y%m%d")
    filename = f"{kind}-{shop.slug}-{stamp}.csv"
    return StreamingResponse(
        chunks(),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "no-store",
            "X-Content-Type-Options": "nosniff",
        },
    )
