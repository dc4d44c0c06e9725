"""Admin routes editing the catalog: a product's stock, price and active flag.

`PATCH /admin/products/{id}` goes through `db.catalog_edits.edit_product`: one audit row per
changed field (who, when, old → new), `updated_at` moved so the catalog search re-syncs
(an inactive product leaves the results), and a low-stock alert to the staff phones through
`notify` when the stock falls to or under the shop's threshold. Sending a field with its
current value changes nothing (a retried request writes no second audit row or alert).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Request
from pydantic import BaseModel, ConfigDict, Field, model_validator
from sqlalchemy import select

from db.catalog_edits import edit_product, is_low
from db.models import Product, ProductChange, Shop
from orchestrator.admin.deps import DB_INT_MAX, RowId, SessionDep, ShopDep
from orchestrator.admin.fulfilment import Actor, actor_of
from orchestrator.admin.schemas import (
    ErrorDetail,
    InventoryItem,
    NotificationResult,
    ProductChangeOut,
    ProductEditResult,
    not_found,
)
from orchestrator.notifications import wake

router = APIRouter()
Amount = Annotated[int, Field(ge=0, le=DB_INT_MAX)]


class ProductPatch(BaseModel):
    """The fields to change (at least one); money in whole pesos."""

    model_config = ConfigDict(extra="forbid")

    stock: Amount | None = None
    price: Amount | None = None
    active: bool | None = None
    actor: Actor | None = None

    @model_validator(mode="after")
    def _something(self) -> ProductPatch:
        if self.stock is None and self.price is None and self.active is None:
            raise ValueError("send at least one of stock, price, active")
        return self


@router.patch(
    "/products/{product_id}",
    response_model=ProductEditResult,
    responses={
        **not_found("product"),
        400: {"model": ErrorDetail, "description": "the body is not valid JSON"},
    },
)
def patch_product(
    product_id: RowId, body: ProductPatch, shop: ShopDep, session: SessionDep, request: Request
) -> ProductEditResult:
    """Change stock, price and/or the active flag; audit rows and low-stock alerts."""
    product = session.scalars(
        select(Product)
        .where(Product.id == product_id, Product.shop_id == shop.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one_or_none()
    if product is None:
        session.rollback()
        raise HTTPException(404, detail="Product not found")
    shop_row = session.get(Shop, shop.id)
    assert shop_row is not None
    edit = edit_product(
        session,
        shop_row,
        product,
        actor=actor_of(body.actor),
        stock=body.stock,
        price=body.price,
        active=body.active,
    )
    item = InventoryItem.model_validate(product)
    item.low_stock = is_low(shop_row, product.active, product.stock)
    out = ProductEditResult(
        product=item,
        changes=[ProductChangeOut.model_validate(c) for c in edit.changes],
        alerts=[NotificationResult.of(a) for a in edit.alerts],
    )
    session.commit()
    if edit.alerts:
        wake(request.app.state)
    return out


@router.get(
    "/products/{product_id}/changes",
    response_model=list[ProductChangeOut],
    responses=not_found("product"),
)
def product_changes(
    product_id: RowId, shop: ShopDep, session: SessionDep
) -> list[ProductChangeOut]:
    """The product's edits, newest first."""
    found = session.scalar(
        select(Product.id).where(Product.id == product_id, Product.shop_id == shop.id)
    )
    if found is None:
        raise HTTPException(404, detail="Product not found")
    rows = session.scalars(
        select(ProductChange)
        .where(ProductChange.product_id == product_id)
        .order_by(ProductChange.id.desc())
    )
    return [ProductChangeOut.model_validate(c) for c in rows]
