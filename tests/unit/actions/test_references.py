"""Resolving "el más barato", "el segundo", "ese", "la roja" against the products shown."""

from __future__ import annotations

import pytest

from actions.services.catalog import PACKAGING, best_name_match, focus, resolve_reference, terms
from db.models import Product


def products() -> list[Product]:
    return [
        Product(id=1, name="Camiseta básica roja talla M", price=25000, stock=3),
        Product(id=2, name="Camiseta básica azul talla M", price=22000, stock=3),
        Product(id=3, name="Chaqueta impermeable negra", price=99000, stock=3),
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("el más barato", 2),
        ("la más económica", 2),
        ("y el más caro?", 3),
        ("el primero", 1),
        ("la segunda", 2),
        ("el tercero", 3),
        ("el último", 3),
        ("la roja", 1),
        ("la azul porfa", 2),
        ("la chaqueta", 3),
    ],
)
def test_references(text: str, expected: int) -> None:
    found = resolve_reference(text, products())
    assert found is not None and found.id == expected


def test_unresolvable_references() -> None:
    assert resolve_reference("ese", products()) is None  # several shown: ambiguous
    assert resolve_reference("la camiseta", products()) is None  # two camisetas
    assert resolve_reference("el quinto", products()) is None
    assert resolve_reference("el primero", []) is None
    one = products()[:1]
    assert resolve_reference("ese", one) is one[0]
    assert resolve_reference("¿cuánto vale?", one) is one[0]


def test_terms_drop_filler_and_plurals() -> None:
    assert terms("Hola, ¿tienen camisetas rojas?") == ["camiseta", "roja"]
    assert terms("quiero dos termos") == ["termo"]
    shown = products()
    assert best_name_match("camisetas azules", shown) is shown[1]
    assert best_name_match("camiseta", shown) is None


def test_plural_packaging_words_are_not_the_thing_asked_for() -> None:
    pens = Product(id=9, name="Lapicero negro x 10", category="Papelería", price=12900, stock=40)
    pens.description = "Caja de 10 lapiceros"
    result = focus("4 paquetes de lapiceros negros x 10", [pens], phrase=True)
    assert result.available and result.products == [pens]
    assert {"paquet", "galon", "caja"} <= PACKAGING  # "paquetes", "galones", "cajas"


def test_a_size_the_shown_product_lacks_is_not_a_reference_to_it() -> None:
    screw = [Product(id=5, name="Tornillo drywall 6 x 1 pulgada caja x 100", price=9, stock=9)]
    assert resolve_reference("y 3 cajas de los de 1 5/8", screw) is None
    for text in ("dame 2", "esa", "quiero 2 de esas", "la de 1 pulgada"):
        assert resolve_reference(text, screw) is screw[0], text


def _p(i: int, name: str, category: str = "", description: str = "") -> Product:
    return Product(
        id=i, name=name, category=category, description=description, price=10000, stock=5
    )


def test_an_adjective_in_the_other_gender_still_points_at_the_product() -> None:
    shown = [
        _p(1, "Gafas de sol aviador dorado"),
        _p(2, "Gafas de sol polarizadas negras unisex"),
        _p(3, "Gafas de natación antiempañantes"),
    ]
    found = resolve_reference("las doradas", shown)
    assert found is not None and found.id == 1
    found = resolve_reference("las negras", shown)
    assert found is not None and found.id == 2


def test_a_head_noun_match_drops_products_that_only_share_a_size_or_a_word() -> None:
    found = [
        _p(1, "Botas de caucho amarillas talla 40"),
        _p(2, "Peluche oso 40 cm café"),
        _p(3, "Tenis running hombre Velox talla 40"),
    ]
    result = focus("tenis talla 40", found, phrase=True)
    assert [p.id for p in result.products] == [3] and result.available


def test_a_kind_the_shop_lacks_is_not_available_and_its_nearest_are_labelled_similar() -> None:
    found = [
        _p(1, "Estufa eléctrica 2 puestos Imusa"),
        _p(2, "Bicicleta todoterreno rin 29 21 cambios"),
        _p(3, "Bicicleta infantil rin 16 con auxiliares"),
        _p(4, "Extensión eléctrica 3 m con 3 tomas"),
    ]
    result = focus("bicicletas eléctricas", found, phrase=True)
    assert not result.available and [p.id for p in result.products] == [2, 3]
    # A purpose or a generic adjective is no kind: the bicycles are the answer.
    for query in ("bicicleta normal para adulto", "bicicleta para mi hijo eléctrico"):
        result = focus(query, found, phrase=True)
        assert result.available and {p.id for p in result.products} == {2, 3}


def test_a_word_that_only_begins_a_longer_name_word_is_another_thing() -> None:
    found = [
        _p(1, "Colchoneta para yoga 6 mm morada"),
        _p(2, "Juego de sábanas doble 144 hilos gris"),
    ]
    assert not focus("colchones dobles", found, phrase=True).available
    assert terms("unas bandas elásticas") == ["banda", "elastica"]


def test_a_size_asked_picks_the_plain_product_of_that_size() -> None:
    found = [
        _p(1, "Coca-Cola 600 ml"),
        _p(2, "Coca-Cola Sin Azúcar 600 ml"),
        _p(3, "Coca-Cola 2.5 litros"),
    ]
    assert [p.id for p in focus("coca de 600", found, phrase=True).products] == [1]
    curitas = [_p(1, "Curitas caja 20 piezas"), _p(2, "Curitas caja 100 piezas")]
    chosen = focus("curitas", curitas, phrase=True, extra_sizes=["20"])
    assert [p.id for p in chosen.products] == [1]
    # No size asked: two variants stay a choice.
    deos = [_p(1, "Desodorante Rexona Men roll-on 50 ml"), _p(2, "Desodorante Rexona Men aerosol")]
    assert len(focus("desodorante rexona", deos, phrase=True).products) == 2


def test_the_big_one_and_the_small_one_of_the_sizes_shown() -> None:
    shown = [
        _p(1, "Shampoo Head & Shoulders limpieza renovadora 180 ml"),
        _p(2, "Shampoo Head & Shoulders limpieza renovadora 375 ml"),
    ]
    assert (resolve_reference("dame el grande", shown) or _p(0, "")).id == 2
    assert (resolve_reference("el más chico porfa", shown) or _p(0, "")).id == 1
    cokes = [_p(1, "Coca-Cola 600 ml"), _p(2, "Coca-Cola 2.5 litros")]
    assert (resolve_reference("la grande", cokes) or _p(0, "")).id == 2


def test_the_size_asked_with_de_wins_over_a_count_in_the_same_message() -> None:
    shown = [
        _p(1, "Paracetamol 500 mg caja 10 tabletas"),
        _p(2, "Paracetamol 500 mg caja 20 tabletas"),
        _p(3, "Paracetamol infantil suspensión 120 ml sabor cereza"),
    ]
    found = resolve_reference("el de 20 tabletas porfa, me da 2", shown)
    assert found is not None and found.id == 2


def test_connector_words_and_repeated_words_pick_the_right_cable() -> None:
    cables = [
        _p(1, "Cable USB-C a Lightning 1 metro blanco"),
        _p(2, "Cable USB-C a USB-C 1 metro 60W negro"),
    ]
    chosen = focus("cable tipo c a tipo c de 1 metro", cables, phrase=True)
    assert [p.id for p in chosen.products] == [2]


def test_a_name_that_says_only_what_was_asked_wins_over_a_longer_one() -> None:
    beers = [_p(1, "Cerveza Poker six-pack latas 330 ml"), _p(2, "Cerveza Poker lata 330 ml")]
    assert [p.id for p in focus("cervezas poker en lata", beers, phrase=True).products] == [2]
    phones = [
        _p(1, "Funda TPU Xiaomi Redmi Note 13 negra"),
        _p(2, "Celular Xiaomi Redmi Note 13 256GB"),
    ]
    assert [p.id for p in focus("el redmi note 13 de 256", phones, phrase=True).products] == [2]
