"""Dependencies of the admin API: a database session, the shop behind the bearer token,
pagination and date-range query parameters.

The session factory comes from `request.app.state.session_factory` (tests set it on a small
app of their own) or the orchestrator's `request.app.state.services.session_factory`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import Annotated

from fastapi import Depends, HTTPException, Query, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session, sessionmaker

from db.auth import shop_for_token

DEFAULT_LOW_STOCK_THRESHOLD = 5
_bearer = HTTPBearer(auto_error=False, description="The shop's admin token")


def session_factory(request: Request) -> sessionmaker[Session]:
    """The app's session factory: `app.state.session_factory`, else the orchestrator's
    `app.state.services.session_factory` (both set by a lifespan)."""
    state = request.app.state
    factory: sessionmaker[Session] | None = getattr(state, "session_factory", None)
    if factory is None:
        factory = getattr(getattr(state, "services", None), "session_factory", None)
    if factory is None:
        raise RuntimeError("no session factory on app.state (session_factory or services)")
    return factory


def get_session(request: Request) -> Iterator[Session]:
    """A session for one request, closed afterwards (admin routes only read)."""
    with session_factory(request)() as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]
FactoryDep = Annotated[sessionmaker[Session], Depends(session_factory)]


def _unauthorized(detail: str) -> HTTPException:
    return HTTPException(
        status.HTTP_401_UNAUTHORIZED, detail=detail, headers={"WWW-Authenticate": "Bearer"}
    )


@dataclass(frozen=True)
class AdminShop:
    """The authenticated shop: a plain copy, usable after the session is gone."""

    id: int
    slug: str
    name: str


def current_shop(
    session: SessionDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> AdminShop:
    """The shop whose admin token is in `Authorization: Bearer <token>`; 401 otherwise."""
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise _unauthorized("Missing bearer token")
    shop = shop_for_token(session, credentials.credentials)
    if shop is None:
        session.rollback()
        raise _unauthorized("Invalid token")
    found = AdminShop(shop.id, shop.slug, shop.name)
    # End the read transaction now: on SQLite every transaction holds the write lock
    # (BEGIN IMMEDIATE), and a streamed export reads through a session of its own.
    session.rollback()
    return found


ShopDep = Annotated[AdminShop, Depends(current_shop)]


@dataclass(frozen=True)
class PageParams:
    """Which page of a listing to return (1-based)."""

    page: int
    page_size: int

    @property
    def offset(self) -> int:
        """Rows to skip."""
        return (self.page - 1) * self.page_size


def page_params(
    page: Annotated[int, Query(ge=1)] = 1,
    page_size: Annotated[int, Query(ge=1, le=200)] = 50,
) -> PageParams:
    """Pagination query parameters."""
    return PageParams(page, page_size)


PageDep = Annotated[PageParams, Depends(page_params)]


@dataclass(frozen=True)
class DateRange:
    """Inclusive UTC day range; either end may be open."""

    date_from: date | None
    date_to: date | None


def date_range(date_from: date | None = None, date_to: date | None = None) -> DateRange:
    """`date_from` / `date_to` query parameters (YYYY-MM-DD, inclusive); 422 when reversed."""
    if date_from and date_to and date_from > date_to:
        raise HTTPException(422, detail="date_from must not be after date_to")
    return DateRange(date_from, date_to)


RangeDep = Annotated[DateRange, Depends(date_range)]


def low_stock_threshold(request: Request) -> int:
    """`settings.low_stock_threshold` when the app's settings define it, else 5."""
    settings = getattr(request.app.state, "settings", None)
    return int(getattr(settings, "low_stock_threshold", DEFAULT_LOW_STOCK_THRESHOLD))
