"""`action_buscar_producto`: real products, prices and stock from the database at answer time."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.orm import Session

from actions.cart import ActionAgregarProducto
from actions.catalog import ActionBuscarProducto
from actions.runtime import Runtime
from actions.search import CatalogSearch, SearchSettings
from db.models import Product
from tests.integration.actions.conftest import SalesShop, make_tracker, run_action

ACTION = ActionBuscarProducto()


def test_search_lists_real_products_with_price_and_stock(sales_shop: SalesShop) -> None:
    reply = run_action(ACTION, make_tracker("¿tienen termos?", entities={"producto": "termos"}))
    p = sales_shop.products
    ids = [f["id"] for f in reply.facts["products"]]
    assert set(ids) == {p["termo_acero"].id, p["termo_dep"].id}
    assert reply.slots["productos_mostrados"] == ids
    assert "Termo acero inoxidable 750 ml — $35.900 (12 disponibles)" in reply.text
    assert "Termo deportivo 1 litro azul — $29.900 (3 disponibles)" in reply.text
    assert "otra tienda" not in reply.text
    for fact in reply.facts["products"]:
        assert set(fact) == {"id", "sku", "name", "price", "stock"}


def test_prices_are_read_at_answer_time(sales_shop: SalesShop, session: Session) -> None:
    product = session.get(Product, sales_shop.products["licuadora"].id)
    assert product is not None
    product.price = 175000
    product.stock = 0
    session.commit()
    reply = run_action(ACTION, make_tracker("licuadora", entities={"producto": "licuadora"}))
    assert "$175.000" in reply.text and "agotado" in reply.text
    assert reply.facts["products"][0]["price"] == 175000
    assert reply.facts["products"][0]["stock"] == 0


def test_no_match_suggests_existing_categories(sales_shop: SalesShop) -> None:
    reply = run_action(ACTION, make_tracker("motosierra", entities={"producto": "motosierra"}))
    assert reply.text.startswith("No encontré «motosierra»")
    assert reply.facts["products"] == []
    categories = reply.facts["categories"]
    assert len(categories) == 3
    assert set(categories) <= {"Cocina", "Deportes", "Electrodomésticos", "Ropa"}
    assert all(c in reply.text for c in categories)
    assert reply.slots["productos_mostrados"] is None


def test_category_lists_its_products(sales_shop: SalesShop) -> None:
    reply = run_action(ACTION, make_tracker("qué tienen de ropa", entities={"categoria": "ropa"}))
    names = {f["name"] for f in reply.facts["products"]}
    assert names == {"Camiseta básica roja talla M", "Camiseta básica azul talla M"}


def test_references_resolve_against_the_products_shown(sales_shop: SalesShop) -> None:
    p = sales_shop.products
    shown = [p["termo_acero"].id, p["termo_dep"].id, p["licuadora"].id]
    slots = {"productos_mostrados": shown}
    for text, expected in (
        ("¿cuánto vale el más barato?", "termo_dep"),
        ("y el más caro?", "licuadora"),
        ("el segundo tiene stock?", "termo_dep"),
        ("el último", "licuadora"),
        ("cuánto cuesta el azul", "termo_dep"),
    ):
        reply = run_action(ACTION, make_tracker(text, slots=slots))
        assert [f["id"] for f in reply.facts["products"]] == [p[expected].id], text
        assert "productos_mostrados" not in reply.slots  # the list stays for the next reference
    one = run_action(
        ACTION,
        make_tracker("¿y ese cuánto vale?", slots={"productos_mostrados": [p["licuadora"].id]}),
    )
    assert "Licuadora Oster 3 velocidades cuesta $189.900" in one.text


def test_a_kind_named_with_a_distinguishing_word_picks_from_the_list(
    sales_shop: SalesShop,
) -> None:
    """The entity is the kind ("camiseta"); the rest of the message picks one shown."""
    p = sales_shop.products
    shown = {"productos_mostrados": [p["camiseta_roja"].id, p["camiseta_azul"].id]}
    for text, expected in (
        ("la camiseta azul", "camiseta_azul"),
        ("la camiseta roja", "camiseta_roja"),
    ):
        tracker = make_tracker(text, entities={"producto": "camiseta"}, slots=shown)
        reply = run_action(ACTION, tracker)
        assert [f["id"] for f in reply.facts["products"]] == [p[expected].id], text


def test_a_regional_name_finds_the_shops_product(sales_shop: SalesShop) -> None:
    """An Argentine "remeras" finds the shop's "Camiseta" products (synonyms.txt)."""
    reply = run_action(ACTION, make_tracker("tienen remeras?", entities={"producto": "remeras"}))
    ids = {f["id"] for f in reply.facts["products"]}
    assert ids == {sales_shop.products["camiseta_roja"].id, sales_shop.products["camiseta_azul"].id}
    assert reply.facts.get("available", True)


def test_semantic_search_service_is_used_when_available(
    sales_shop: SalesShop, sales_runtime: Runtime, tmp_path: Path
) -> None:
    sales_runtime._search = CatalogSearch(
        sales_runtime.session_factory, SearchSettings(backend="chargram", index_dir=tmp_path)
    )
    reply = run_action(ACTION, make_tracker("licuadra", entities={"producto": "licuadra"}))
    assert reply.facts["products"][0]["id"] == sales_shop.products["licuadora"].id
    nothing = run_action(ACTION, make_tracker("asdfgh", entities={"producto": "asdfgh"}))
    assert nothing.facts["products"] == [] and "No encontré" in nothing.text


def test_unknown_shop_is_answered_politely(sales_shop: SalesShop) -> None:
    reply = run_action(ACTION, make_tracker("termo", shop="no-existe"))
    assert "no está disponible" in reply.text and reply.facts["error"] == "unknown_shop"


class BrokenSearch:
    """A search service whose index fails (e.g. a corrupt file): answers must not."""

    def search(self, shop_id: int, query: str, k: int = 5) -> list[object]:
        raise RuntimeError("index unavailable")


def test_sql_fallback_when_the_search_service_fails(
    sales_shop: SalesShop, sales_runtime: Runtime
) -> None:
    sales_runtime._search = BrokenSearch()
    reply = run_action(ACTION, make_tracker("cámaras", entities={"producto": "termos"}))
    p = sales_shop.products
    assert {f["id"] for f in reply.facts["products"]} == {p["termo_acero"].id, p["termo_dep"].id}
    nothing = run_action(ACTION, make_tracker("motosierra", entities={"producto": "motosierra"}))
    assert nothing.facts["products"] == []


def test_asking_for_a_quantity_answers_against_the_real_stock(sales_shop: SalesShop) -> None:
    enough = run_action(
        ACTION,
        make_tracker("¿tienen 2 licuadoras?", entities={"producto": "licuadora", "cantidad": "2"}),
    )
    assert "Sí, tenemos 4 de Licuadora" in enough.text and enough.facts["quantities"] == [2]
    short = run_action(
        ACTION,
        make_tracker("¿hay 10 licuadoras?", entities={"producto": "licuadora", "cantidad": "10"}),
    )
    assert "solo tenemos 4" in short.text and short.facts["products"][0]["stock"] == 4


def test_yes_to_a_quantity_question_adds_that_quantity(sales_shop: SalesShop) -> None:
    asked = run_action(
        ACTION,
        make_tracker("¿tienen 2 licuadoras?", entities={"producto": "licuadora", "cantidad": "2"}),
    )
    assert asked.slots["cantidad"] == "2"
    slots = {"productos_mostrados": asked.slots["productos_mostrados"], "cantidad": "2"}
    added = run_action(ActionAgregarProducto(), make_tracker("sí", intent="afirmar", slots=slots))
    assert added.facts["order"]["items"][0]["quantity"] == 2 and added.slots["cantidad"] is None
    plain = run_action(ACTION, make_tracker("¿y termos?", entities={"producto": "termos"}))
    assert plain.slots["cantidad"] is None  # an old quantity does not carry over
