"""The extra test shops under `shops/` (Peruvian hardware store, Colombian pet shop,
Mexican pharmacy and mini-market), seeded."""

from __future__ import annotations

import pytest

from db.seed import load_shop_dir
from db.session import make_engine, make_session_factory, session_scope
from tests.conversations.runner import HERE


@pytest.fixture(scope="session")
def conversation_shops(e2e_db_url: str) -> list[str]:
    """Seed every shop under `shops/` (the demo shop is already there)."""
    engine = make_engine(e2e_db_url)
    slugs = []
    with session_scope(make_session_factory(engine)) as s:
        for folder in sorted((HERE / "shops").iterdir()):
            slugs.append(load_shop_dir(s, folder).shop.slug)
    engine.dispose()
    return slugs
