"""Dependencies of the admin API: a database session, the shop behind the bearer token,
pagination and date-range query parameters, and the bounds of every other parameter.

Every number and date a client sends is bounded here, before it reaches SQL: an id past the
database's 32-bit integer, an offset past 64 bits or the day after 9999-12-31 would
otherwise fail inside the driver (a 500, or a CSV stream cut off after its 200). Text
parameters refuse NUL, which PostgreSQL cannot store or compare.

The session factory comes from `request.app.state.session_factory` (tests set it on a small
app of their own) or the orchestrator's `request.app.state.services.session_factory`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Path, Query, Request, status
from fastapi.exceptions import RequestValidationError
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import AfterValidator
from sqlalchemy.orm import Session, sessionmaker

from db.auth import shop_for_token

# Ids, stock and thresholds are `Integer` columns: 32-bit on PostgreSQL.
DB_INT_MAX = 2**31 - 1
MAX_PAGE = 1_000_000  # x page_size 200 stays far inside a 64-bit OFFSET
MAX_PAGE_SIZE = 200
# Days a filter may name; the day after MAX_DAY is still a valid `date` (half-open ranges).
MIN_DAY = date(2000, 1, 1)
MAX_DAY = date(2999, 12, 31)
NO_NUL = r"^[^\x00]*$"

# A row id in a path (`/orders/{order_id}`).
RowId = Annotated[int, Path(ge=1, le=DB_INT_MAX)]
# A free search or filter text.
SearchText = Annotated[str | None, Query(max_length=200, pattern=NO_NUL)]
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
    low_stock_threshold: int = 5


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
    found = AdminShop(shop.id, shop.slug, shop.name, shop.low_stock_threshold)
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
    page: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 1,
    page_size: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = 50,
) -> PageParams:
    """Pagination query parameters."""
    return PageParams(page, page_size)


PageDep = Annotated[PageParams, Depends(page_params)]


@dataclass(frozen=True)
class DateRange:
    """Inclusive UTC day range; either end may be open."""

    date_from: date | None
    date_to: date | None


def _in_calendar(day: date | None) -> date | None:
    if day is not None and not MIN_DAY <= day <= MAX_DAY:
        raise ValueError(f"must be between {MIN_DAY} and {MAX_DAY}")
    return day


Day = Annotated[
    date | None,
    Query(description=f"YYYY-MM-DD, UTC, inclusive ({MIN_DAY} to {MAX_DAY})"),
    AfterValidator(_in_calendar),
]


def validation_error(loc: tuple[str, ...], msg: str, value: Any) -> RequestValidationError:
    """A 422 with FastAPI's documented body (`detail: [{loc, msg, type}]`), for checks that
    span several parameters."""
    return RequestValidationError([{"type": "value_error", "loc": loc, "msg": msg, "input": value}])


def date_range(date_from: Day = None, date_to: Day = None) -> DateRange:
    """`date_from` / `date_to` query parameters (YYYY-MM-DD, inclusive); 422 when reversed
    or outside MIN_DAY..MAX_DAY, checked before any query runs or any byte is streamed."""
    if date_from and date_to and date_from > date_to:
        raise validation_error(
            ("query", "date_from"), "date_from must not be after date_to", str(date_from)
        )
    return DateRange(date_from, date_to)


RangeDep = Annotated[DateRange, Depends(date_range)]
