"""Admin API and dashboard under `/admin`, protected by each shop's bearer token.

`router` gathers the dashboard and sales routes, order fulfilment, catalog edits,
notifications, conversations and the analytics views, inventory and CSV exports, the
handoff inbox, and the `/admin/ui` page. The app must set `app.state.session_factory`.
"""

from __future__ import annotations

from fastapi import APIRouter

from orchestrator.admin import (
    catalog,
    conversations,
    fulfilment,
    inbox,
    inventory,
    notifications,
    sales,
    ui,
)
from orchestrator.admin.schemas import ErrorDetail

router = APIRouter(
    prefix="/admin",
    tags=["admin"],
    responses={401: {"model": ErrorDetail, "description": "missing or invalid bearer token"}},
)
router.include_router(sales.router)
router.include_router(fulfilment.router)
router.include_router(catalog.router)
router.include_router(notifications.router)
router.include_router(conversations.router)
router.include_router(inventory.router)
router.include_router(inbox.router)
router.include_router(ui.router)

__all__ = ["router"]
