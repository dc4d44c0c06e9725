"""SQL text search: the fallback when a shop's vector index is unavailable.

Each content word of the query is matched with ILIKE against the product's name, category
and description, with accents folded on both sides (nested SQL `replace`, which SQLite and
PostgreSQL both have); products are ranked by how many query words they contain, name matches
counting double.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Integer, and_, case, func, literal, or_, select
from sqlalchemy.orm import Session

from actions.search.text import clean_query, content_words
from db.models import Product

_ACCENTED = "áéíóúüàèìòùÁÉÍÓÚÜÀÈÌÒÙÑ"
_PLAIN = "aeiouuaeiouaeiouuaeiouñ"


def _folded(column: Any) -> ColumnElement[str]:
    # SQLite's lower() only knows ASCII, so accented capitals are replaced explicitly.
    for accented, plain in zip(_ACCENTED, _PLAIN, strict=True):
        column = func.replace(column, accented, plain)
    return func.lower(column)


def _stem(word: str) -> str:
    # "licuadoras" → "licuador": a shared prefix survives plurals and gender endings.
    for suffix in ("es", "s", "a", "o"):
        if len(word) > 4 and word.endswith(suffix):
            return word[: -len(suffix)]
    return word


def sql_search(session: Session, shop_id: int, query: str, k: int = 5) -> list[tuple[int, float]]:
    """Top `k` active products of `shop_id` for `query` as (product id, score in [0, 1])."""
    terms = list(dict.fromkeys(_stem(w) for w in content_words(clean_query(query))))[:8]
    if not terms or k <= 0:
        return []
    name, rest = _folded(Product.name), _folded(Product.category + " " + Product.description)
    score: ColumnElement[int] = literal(0, Integer)
    matches = []
    for term in terms:
        pattern = f"%{term}%"
        score = (
            score + case((name.like(pattern), 2), else_=0) + case((rest.like(pattern), 1), else_=0)
        )
        matches.append(or_(name.like(pattern), rest.like(pattern)))
    stmt = (
        select(Product.id, score.label("score"))
        .where(and_(Product.shop_id == shop_id, Product.active.is_(True)), or_(*matches))
        .order_by(score.desc(), Product.id)
        .limit(k)
    )
    top = 3 * len(terms)
    return [(int(pid), float(s) / top) for pid, s in session.execute(stmt)]
