"""Reading checkout data and several items out of free WhatsApp text."""

from __future__ import annotations

import pytest

from actions.interpret import is_explicit_cancel
from actions.services import checkout_data
from actions.services.buyer_data import parse_buyer_data, volunteered_name
from actions.services.catalog import asked_sizes, content_words, elliptical_modifier, sizes, terms
from actions.services.items import Item, is_multi_item, product_request, split_items


@pytest.mark.parametrize(
    ("text", "requested", "region", "expected"),
    [
        (
            "María José Ramírez Soto, cc 52123456, cel 3109876543, calle 10 # 43-12 casa 2, Belén",
            "nombre",
            "CO",
            {
                "nombre": "María José Ramírez Soto",
                "cedula": "52123456",
                "telefono": "+573109876543",
                "direccion": "calle 10 # 43-12 casa 2",
                "barrio": "Belén",
            },
        ),
        (
            "José Luis Mamani, DNI 45871236, cel 987 412 356, jl@gmail.com, Jr. Los Pinos 235,"
            " Surquillo",
            None,
            "PE",
            {
                "nombre": "José Luis Mamani",
                "cedula": "45871236",
                "telefono": "+51987412356",
                "email": "jl@gmail.com",
                "direccion": "Jr. Los Pinos 235",
                "barrio": "Surquillo",
            },
        ),
        ("Belén", "barrio", "CO", {"barrio": "Belén"}),
        ("me llamo Pedro Pérez", "nombre", "CO", {"nombre": "Pedro Pérez"}),
        ("no uso correo", "email", "CO", {"email": "no tengo"}),
        ("perdón, el número bien es 300 123 4567", "email", "CO", {"telefono": "+573001234567"}),
        (
            "al lado de la panadería, reja verde",
            "direccion",
            "CO",
            {"direccion": "al lado de la panadería, reja verde"},
        ),
        ("1.037.612.458", "cedula", "CO", {"cedula": "1037612458"}),
        ("mi cédula es 71789456", "nombre", "CO", {"cedula": "71789456"}),
        ("¿cuánto cuesta el envío?", "barrio", "CO", {}),
    ],
)
def test_every_field_present_is_read(
    text: str, requested: str | None, region: str, expected: dict[str, str]
) -> None:
    assert parse_buyer_data(text, requested=requested, region=region) == expected


def test_items_with_their_quantities() -> None:
    assert split_items("Buenas, mándame una escoba, 4 bombillos led y dos traperos") == [
        Item(1, "escoba"),
        Item(4, "bombillos led"),
        Item(2, "traperos"),
    ]
    assert split_items("me cotiza 40 resmas de papel carta y 10 cajas de lapiceros") == [
        Item(40, "resmas de papel carta"),
        Item(10, "lapiceros"),
    ]


def test_a_size_is_not_a_quantity_and_one_item_is_not_several() -> None:
    assert split_items("quiero una olla a presión de 6 litros") == [
        Item(1, "olla a presión de 6 litros")
    ]
    assert split_items("dame 3 tornillos drywall 6 x 1") == [Item(3, "tornillos drywall 6 x 1")]
    assert not is_multi_item("agregame tambien 2 escobas")
    assert is_multi_item("quiero 2 mangueras y 2 escobas")


def test_a_lead_in_before_the_data_is_not_part_of_the_name() -> None:
    text = "ahí te va: Diego Hernández Ruiz, cédula 4518273, cel 3228836104, Carrera 37 # 8A-60"
    found = parse_buyer_data(text)
    assert found["nombre"] == "Diego Hernández Ruiz" and found["cedula"] == "4518273"


def test_a_run_on_message_without_commas_is_split_at_each_my_field() -> None:
    text = (
        "ya mire mi nombre es Elena Chumpitaz mi dni es 40698215 mi celular 968425107 correo "
        "no tengo y la direccion es jiron carabaya 820 departamento 3"
    )
    assert parse_buyer_data(text, region="PE") == {
        "nombre": "Elena Chumpitaz",
        "cedula": "40698215",
        "telefono": "+51968425107",
        "email": "no tengo",
        "direccion": "jiron carabaya 820 departamento 3",
    }


def test_leftover_connectors_are_nobodys_name() -> None:
    found = parse_buyer_data("mi correo es ana@x.com y mi celular 3001234567", region="PE")
    assert "nombre" not in found


def test_an_email_refusal_with_a_filler_word_is_no_name() -> None:
    assert parse_buyer_data("todavía no tengo correo", requested="email") == {"email": "no tengo"}


def test_a_run_on_message_with_the_and_in_the_barrio_labels() -> None:
    text = (
        "bueno mi nombre es Luz Dary Montoya la cedula es 43512876 el celular 3507781245"
        " correo no tengo y la direccion es calle 97 # 42-16 segundo piso en el barrio"
        " Santa Cruz"
    )
    assert parse_buyer_data(text, requested="nombre") == {
        "nombre": "Luz Dary Montoya",
        "cedula": "43512876",
        "telefono": "+573507781245",
        "email": "no tengo",
        "direccion": "calle 97 # 42-16 segundo piso",
        "barrio": "Santa Cruz",
    }


def test_the_product_part_of_a_message_with_data() -> None:
    assert product_request("Hola, soy Natalia Giraldo, quiero una licuadora oster") == (
        "quiero una licuadora oster"
    )
    text = "quiero un secador remington para que me lo manden a la Circular 1 # 70-45, Laureles"
    assert product_request(text) == "quiero un secador remington"
    assert product_request("me llamo Ana, cc 52123456") == ""


def test_fillers_and_references_in_several_items() -> None:
    text = "vea le cuento es que necesito una olla arrocera y ah que pena, dame 3 de esas"
    assert split_items(text) == [Item(1, "olla arrocera"), Item(3, "")]
    assert split_items("ya, deme los 3 que tiene y 2 rodillos") == [
        Item(3, ""),
        Item(2, "rodillos"),
    ]


def test_a_run_on_list_without_commas_is_cut_at_each_count_word() -> None:
    text = (
        "buenas tardes mire estoy arreglando el baño y necesito un grifo para el lavatorio"
        " una llave de paso de media tres cintas teflon y dos siliconas blancas antihongos"
    )
    assert split_items(text) == [
        Item(1, "grifo para el lavatorio"),
        Item(1, "llave de paso de media"),
        Item(3, "cintas teflon"),
        Item(2, "siliconas blancas antihongos"),
    ]
    # Sizes and counts inside one item stay with it.
    assert split_items("dame un par de guantes talla dos") == [Item(2, "guantes talla dos")]
    assert split_items("quiero una olla de 6 litros") == [Item(1, "olla de 6 litros")]


def test_a_full_name_with_particles() -> None:
    assert parse_buyer_data("Guadalupe Hernández de la Torre", requested="nombre") == {
        "nombre": "Guadalupe Hernández de la Torre"
    }


def test_labelled_fields_separated_by_full_stops() -> None:
    text = (
        "Nombre: Claudia Patricia Moreno Lara. Documento: 2093847561. Teléfono: 3314098822."
        " Correo: claudia.moreno@outlook.com. Dirección: Av. Hidalgo 1540 depto 3."
        " Colonia: Ladrón de Guevara."
    )
    assert parse_buyer_data(text, requested="nombre", region="MX") == {
        "nombre": "Claudia Patricia Moreno Lara",
        "cedula": "2093847561",
        "telefono": "+523314098822",
        "email": "claudia.moreno@outlook.com",
        "direccion": "Av. Hidalgo 1540 depto 3",
        "barrio": "Ladrón de Guevara",
    }


def test_purpose_and_order_talk_are_no_items() -> None:
    assert split_items(
        "buenas! para una fiesta: media docena de cocas de 2.5 litros y 3 doritos"
    ) == [
        Item(6, "cocas de 2.5 litros"),
        Item(3, "doritos"),
    ]
    text = "Quisiera hacer un pedido: 1 shampoo Sedal de rizos y 2 detergentes ariel"
    assert split_items(text) == [Item(1, "shampoo Sedal de rizos"), Item(2, "detergentes ariel")]
    assert split_items("qué tal, me pasa un cloralex de 3.75 y un detergente ariel") == [
        Item(1, "cloralex de 3.75"),
        Item(1, "detergente ariel"),
    ]


@pytest.mark.parametrize(
    "text",
    [
        "ni tengo mail, pasá",
        "prefiero no dejar mail",
        "No tenemos correo, sigamos",
        "No tengo eso del correo",
        "no uso mail",
        "prefiero no dar el correo",
    ],
)
def test_natural_refusals_of_the_email_are_refusals(text: str) -> None:
    assert parse_buyer_data(text, requested="email") == {"email": "no tengo"}
    assert checkout_data.clean_email(text) == checkout_data.NO_EMAIL


def test_a_piece_after_the_address_is_part_of_it_not_a_name() -> None:
    found = parse_buyer_data("Calle 70 # 35-48, segundo piso", requested="direccion")
    assert found == {"direccion": "Calle 70 # 35-48, segundo piso"}


def test_a_street_without_a_street_word_is_the_address_among_other_fields() -> None:
    text = (
        "Leandro José Pereyra, DNI 34.667.218, tel 341 15 620-1115, mail no tengo,"
        " Zeballos 2340, barrio Lourdes"
    )
    assert parse_buyer_data(text, region="AR") == {
        "nombre": "Leandro José Pereyra",
        "cedula": "34667218",
        "telefono": "+5493416201115",
        "email": "no tengo",
        "direccion": "Zeballos 2340",
        "barrio": "Lourdes",
    }


def test_letter_sizes_of_clothes_are_sizes() -> None:
    assert sizes("unas canilleras talle M") == ["m"]
    assert sizes("camiseta talla XL") == ["xl"]
    assert sizes("tenis talla 40") == ["40"]


def test_half_a_dozen_is_a_count_but_medias_are_socks() -> None:
    assert terms("media docena de huevos") == ["huevo"]
    assert terms("2 pares de medias negras") == ["media", "negra"]


@pytest.mark.parametrize(
    ("text", "explicit"),
    [
        ("mejor cancelá todo el pedido, lo pienso y te escribo", True),
        ("ya no lo quiero", True),
        ("vacia el carrito porfa", True),
        ("uh te dejo que estoy manejando, después sigo", False),
        ("déjame ver y te confirmo", False),
    ],
)
def test_only_explicit_words_cancel(text: str, explicit: bool) -> None:
    assert is_explicit_cancel(text) is explicit


@pytest.mark.parametrize(
    ("text", "items"),
    [
        (
            "dale, me llevo esos. y unas canilleras talle M",
            [(None, ""), (None, "canilleras talle M")],
        ),
        ("la llevo. y un buzo adidas gris talle M", [(None, ""), (1, "buzo adidas gris talle M")]),
        ("Listo, mandámelo. Es todo", [(None, "")]),
        ("Bueno, apártemelo uno", [(1, "")]),
        ("me llevo el azul", [(None, "el azul")]),
    ],
)
def test_taking_the_quoted_product_is_an_item_of_its_own(
    text: str, items: list[tuple[int | None, str]]
) -> None:
    assert split_items(text) == [Item(q, w) for q, w in items]


def test_a_size_piece_after_an_item_is_that_items_size() -> None:
    assert split_items("y dos aceites premier, el de litro") == [
        Item(2, "aceites premier el de litro")
    ]
    assert split_items("tornillos drywall, deme 5 cajas") == [Item(5, "tornillos drywall")]


def test_greetings_and_request_verbs_as_typed_are_not_product_words() -> None:
    assert split_items("holaa me mandas 2 coca cola de 1.5 y unas papas margarita") == [
        Item(2, "coca cola de 1.5"),
        Item(None, "papas margarita"),
    ]
    assert split_items("buenas kiero 1 detergente fab de 1 kilo")[0] == Item(
        1, "detergente fab de 1 kilo"
    )


def test_metric_sizes_match_the_units_catalogs_print() -> None:
    from actions.services.catalog import metric_equivalents

    assert metric_equivalents("el de litro") == ["1000"]
    assert metric_equivalents("arroz de 5 kilos") == ["5000"]
    assert metric_equivalents("litro y medio") == ["1500"]


def test_spoken_lead_ins_before_the_first_item_are_not_product_words() -> None:
    text = "mire es que necesito para hoy si puede ser un arroz diana de kilo y unos huevos"
    assert split_items(text) == [Item(1, "arroz diana de kilo"), Item(None, "huevos")]


def test_product_words_with_sizes_are_no_address() -> None:
    # "conjunto" and "manzana" are address words in Colombia and Peru, and things too.
    assert parse_buyer_data("y un conjunto topper talle 8", region="AR") == {}
    fields = parse_buyer_data(
        "Quiero 2 Postobón de manzana y una Coca-Cola de 3 litros para la Calle 16 # 100-45"
        " casa 12, en Ciudad Jardín",
        region="CO",
    )
    assert fields == {"direccion": "Calle 16 # 100-45 casa 12", "barrio": "Ciudad Jardín"}
    # …while a weak address word before a number still starts one.
    fields = parse_buyer_data("conjunto Los Pinos casa 5, barrio Belén", region="CO")
    assert fields == {"direccion": "conjunto Los Pinos casa 5", "barrio": "Belén"}


def test_a_name_introduced_in_passing_and_a_courtesy_word_that_is_none() -> None:
    assert volunteered_name("Hola, soy Rosa Quispe, quería un tanque") == "Rosa Quispe"
    assert volunteered_name("Le escribe Gustavo Adolfo Sarria. Deseo saber") == (
        "Gustavo Adolfo Sarria"
    )
    assert volunteered_name("soy el encargado de sistemas del colegio") is None
    assert volunteered_name("hola soy de Medellín") is None
    # A full name typed when the cédula was asked completes the name.
    assert parse_buyer_data("Andrea Vargas Pineda", requested="cedula") == {
        "nombre": "Andrea Vargas Pineda"
    }
    assert (
        parse_buyer_data("Pensándolo bien, mejor cancele el pedido, gracias.", requested="nombre")
        == {}
    )


def test_spanish_plurals_in_ces_and_questions_about_variants() -> None:
    assert terms("arroces Diana") == ["arroz", "diana"]
    assert terms("lápices de colores y dulces") == ["lapiz", "color", "dulce"]
    # "¿de qué color?", "¿en qué presentaciones?" ask about the product, name nothing
    assert content_words("tienen campera rompeviento talle M y de qué color") == [
        "campera",
        "rompeviento",
    ]
    assert content_words("café Sello Rojo, en qué presentaciones?") == ["cafe", "sello", "rojo"]
    assert content_words("quería saber si tienen termos") == ["termo"]


@pytest.mark.parametrize(
    ("text", "modifier"),
    [
        ("la de 5", "5"),
        ("ya, entonces la de 5", "5"),
        ("y 2 de limon tambien", "limon tambien"),
        ("y 3 cajas de los de 1 5/8", "1 5/8"),
        ("Dale, uno de frutilla también", "frutilla tambien"),
        ("2 bolsas de arroz", None),
        ("un kilo de arroz", None),
        ("quiero 2 de esos", None),
    ],
)
def test_elliptical_references_say_only_what_sets_the_product_apart(
    text: str, modifier: str | None
) -> None:
    assert elliptical_modifier(text) == modifier


def test_a_decimal_comma_is_no_list() -> None:
    assert split_items("2 cocas de 1,5 litros, 3 doritos y un jabón") == [
        Item(2, "cocas de 1,5 litros"),
        Item(3, "doritos"),
        Item(1, "jabón"),
    ]
    assert split_items("le va el de 36,5 pulgadas. Llevo ese")[0].words == (
        "le va el de 36,5 pulgadas"
    )


def test_the_container_a_count_is_said_in_is_kept() -> None:
    items = split_items("10 bolsas de leche Alquería entera y 2 cajas de galletas")
    assert [(i.quantity, i.words, i.unit) for i in items] == [
        (10, "leche Alquería entera", "bolsa"),
        (2, "galletas", "caja"),
    ]


def test_a_reason_before_the_request_and_spoken_sizes() -> None:
    items = split_items(
        "y el cable también que el mío se dañó entonces el cable lightning de un metro"
    )
    assert [i.words for i in items] == ["el cable", "el cable lightning de un metro"]
    assert asked_sizes("el cable lightning de un metro") == ["1"]
    assert asked_sizes("un cable de dos metros") == ["2"]
