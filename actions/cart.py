"""Cart actions: add, view, remove or change quantities, confirm and cancel the order."""

from __future__ import annotations

import contextlib
import re
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.catalog import (
    _ADD_ON,
    accepts_offer,
    introduced_name,
    kin_of_shown,
    last_bot_payload,
    no_match,
    not_sold,
    offered_product_id,
    options_text,
    pending_offers,
    quoted_count,
    select_products,
    shown_products,
)
from actions.respond import pesos, say
from actions.services import catalog, orders
from actions.services.items import (
    Item,
    is_multi_item,
    order_quantity,
    split_items,
    split_sentences,
    takes_it,
)
from actions.services.quantities import (
    MAX_QUANTITY,
    QuantityError,
    check_quantity,
    find_quantity,
    parse_quantity,
)
from actions.turn import Turn, TurnAction, entity, latest_text
from db.models import Order, Product

Events = list[dict[str, Any]]
EMPTY_CART = "Tu carrito está vacío 🛒. ¿Qué te gustaría buscar?"
_DECREASE = re.compile(r"\b(quita|quitale|saca|sacale|elimina|borra|resta|menos)\b")
_REMOVE = re.compile(
    r"\b(quita|quitale|quitar|quite|saca|sacale|sacar|elimina|eliminar|borra|borrar|resta|"
    r"menos|cancela|ya no|no quiero|sin el|sin la|sin los|sin las|deja solo|dejame solo)\b"
)
_MORE = re.compile(r"\b(mas|otr[oa]s?|adicional(es)?|extra)\b")
_EACH = re.compile(
    r"\bde cada (?:uno|una|color|tipo|tamano|talla|modelo|sabor|clase|referencia|medida)\b"
)


def each_of(text: str, shown: list[Product]) -> list[Product]:
    """The shown products "uno de cada color" asks for: the first one shown and the others
    of its kind (at least half of their name words shared), [] when not asked."""
    if len(shown) < 2 or not _EACH.search(catalog.fold(text)):
        return []

    def words(p: Product) -> set[str]:
        return set(catalog.terms(p.name))

    first = words(shown[0])
    return [p for p in shown if len(words(p) & first) >= 0.5 * len(words(p) | first)]


# "entonces solo la pistola nomás": that line stays, the others go.
_ONLY = re.compile(r"\b(solo|solamente|unicamente|nomas|no mas)\b")
# Words that set a line's quantity instead of adding to it (unless "más"/"otro" is said).
_SET = re.compile(
    r"^(?!.*\b(mas|otr[oa]s?|adicional(es)?|extra)\b).*\b(mejor|que sean|cambia|cambialo|"
    r"cambiala|dejalo en|dejala en|deja|ponle|poneme|ponme|en total|total|solo|nada mas)\b"
)


def order_text(order: Order) -> str:
    """The lines and total of `order` (prices already refreshed)."""
    lines = [
        f"• {item.quantity} × {item.product.name} — {pesos(item.unit_price * item.quantity)}"
        for item in order.items
    ]
    return "\n".join([*lines, f"Total: {pesos(order.total)}"])


def open_order(turn: Turn) -> Order | None:
    """The shopper's open order with prices refreshed, or None when there is no cart."""
    order = orders.get_open_order(session=turn.session, shop_id=turn.shop.id, user_id=turn.user_id)
    if order is not None:
        orders.recompute_total(session=turn.session, order=order)
    return order


def say_empty_cart(dispatcher: CollectingDispatcher, action: str) -> Events:
    """Tell the shopper the cart is empty (no events)."""
    say(dispatcher, action, EMPTY_CART, {"order": None})
    return []


def open_cart_or_say_empty(
    turn: Turn, dispatcher: CollectingDispatcher, action: str
) -> Order | None:
    """The open order when it has items; otherwise tell the shopper the cart is empty."""
    order = open_order(turn)
    if order is None or not order.items:
        say(dispatcher, action, EMPTY_CART, {"order": None})
        return None
    return order


def quantity_words(tracker: Tracker) -> str | None:
    """The `cantidad` entity, else the message without the product phrase (may be None).

    A bare "sí" answering "¿Te agrego 2?" uses the `cantidad` slot of that question.
    """
    counted = order_quantity(latest_text(tracker))  # size-aware: "el de 1 litro, dame dos"
    if counted is not None:
        return str(counted)
    value = entity(tracker, "cantidad")
    if value is not None and order_quantity(value) is not None:
        return value
    intent = ((tracker.latest_message or {}).get("intent") or {}).get("name")
    if intent == "afirmar" and tracker.get_slot("cantidad"):
        return str(tracker.get_slot("cantidad"))
    return None


def bad_quantity(dispatcher: CollectingDispatcher, action: str, err: QuantityError) -> None:
    """Answer a zero, negative or absurd quantity politely."""
    text = f"Puedo anotar entre 1 y {MAX_QUANTITY} unidades. ¿Cuántas quieres?"
    say(dispatcher, action, text, {"quantities": [err.value], "max_quantity": MAX_QUANTITY})


class ActionAgregarProducto(TurnAction):
    """Add a product (found by name or by reference to the shown ones) to the open order."""

    action_name = "action_agregar_producto"

    def after(self, tracker: Tracker) -> Events:
        """The quantity is consumed by this turn: it never carries over. A name the
        shopper introduced themself with ("Hola, soy Rosa Quispe, quería…") is noted, so
        the checkout does not ask it again."""
        return [SlotSet("cantidad", None), *introduced_name(tracker)]

    def handle(self, turn: Turn, dispatcher: CollectingDispatcher, tracker: Tracker) -> Events:
        from actions.interpret import is_done  # interpret builds on this module

        intent = ((tracker.latest_message or {}).get("intent") or {}).get("name")
        offers = pending_offers(tracker)
        said = latest_text(tracker)
        if not offers and is_done(said) and not catalog.content_words(said):
            current = open_order(turn)
            if current is not None and current.items:  # "ahora sí, es todo": the summary
                return [FollowupAction("action_confirmar_pedido")]
        if intent == "afirmar":
            if len(offers) > 1:
                return take_offers(turn, dispatcher, self.name(), offers)
            if offers:
                return take_offer(turn, dispatcher, self.name(), *offers[0])
            # "sí" to "¿Quieres algo más?" after adding, removing or showing the cart.
            asked_more = (self.name(), "action_ver_pedido", "action_quitar_producto")
            if (last_bot_payload(tracker)[0] in asked_more and not catalog.content_words(said)) or (
                # A bare "sí" to a question that offered nothing ("¡Listo! Dime qué más
                # necesitas.") never adds the last product again.
                not catalog.content_words(said) and _last_bot_offered_nothing(tracker)
            ):
                dispatcher.utter_message(response="utter_que_mas")
                return []
        text = said
        offer = offers[0] if offers else None
        multi = is_multi_item(text)
        if (
            offer is not None
            and not (multi and len(offers) == 1)  # "deme los 3 que tiene y 2 rodillos"
            and (
                not [w for w in catalog.terms(text) if not w.isdigit()]
                or accepts_offer(text, offer[1])
            )
        ):
            if len(offers) > 1:  # "envíeme lo que tenga de ambos": every offer
                return take_offers(turn, dispatcher, self.name(), offers)
            # "ok mándame las 2" after "¿Te anoto 2?": the offer, with the count said.
            return take_offer(
                turn, dispatcher, self.name(), offer[0], order_quantity(text) or offer[1]
            )
        quoted = offered_product_id(tracker) if not offers else None
        split = _take_then_ask(text) if quoted is not None else None
        if quoted is not None and split is not None:
            # "Poneme una. Y el whey de frutilla?" after "¿Te lo agrego?": the quoted one goes
            # in, then the question about the other product is answered.
            from actions.catalog import ActionBuscarProducto  # catalog's actions come first

            first, rest = split
            count = order_quantity(first) or quoted_count(tracker)
            taken = take_offer(turn, dispatcher, self.name(), quoted, count)
            asked = ActionBuscarProducto().handle(turn, dispatcher, _with_text(tracker, rest))
            return [*taken, *asked]
        if quoted is not None and _ADD_ON.search(catalog.fold(text)):
            # "¿Te lo agrego al pedido?" answered "y un omega 3": that one too.
            loaded = catalog.load_products(session=turn.session, shop_id=turn.shop.id, ids=[quoted])
            if loaded and loaded[0].stock > 0:
                items = [Item(quoted_count(tracker), loaded[0].name), *split_items(text)]
                many = add_many(turn, dispatcher, self.name(), items, loaded)
                if many is not None:
                    return many
        each = each_of(text, shown_products(turn, tracker))
        if each:  # "un rollo de cada color" after the red and the black cable
            count = order_quantity(text) or 1
            many = add_many(
                turn, dispatcher, self.name(), [Item(count, p.name) for p in each], each
            )
            if many is not None:
                return many
        if multi:
            shown = shown_products(turn, tracker)
            if offer is not None:  # "deme los 3 que tiene y 2 rodillos": the offered one
                shown = (
                    catalog.load_products(
                        session=turn.session, shop_id=turn.shop.id, ids=[offer[0]]
                    )
                    or shown
                )
            elif quoted is not None:
                # "dale, agregalo. y una campera talle L" after "¿Te lo agrego?": "agregalo"
                # is the product just quoted, not the list shown before it.
                shown = (
                    catalog.load_products(session=turn.session, shop_id=turn.shop.id, ids=[quoted])
                    or shown
                )
            many = add_many(turn, dispatcher, self.name(), split_items(text), shown)
            if many is not None:
                return many
        try:
            quantity = parse_quantity(quantity_words(tracker))
        except QuantityError as err:
            bad_quantity(dispatcher, self.name(), err)
            return []
        if str(quantity) in catalog.asked_sizes(text) and order_quantity(text) != quantity:
            # "unas curitas de las de 20": 20 is the size asked, not how many.
            quantity = order_quantity(text) or 1
        selection = select_products(turn, tracker)
        products = selection.products
        if not products:
            if not catalog.terms(selection.query):
                text = "¿Qué producto quieres agregar? Dime el nombre y te ayudo 😊"
                say(dispatcher, self.name(), text, {"products": []})
                return []
            no_match(turn, dispatcher, self.name(), selection.query)
            return [SlotSet("productos_mostrados", None)]
        if not selection.available:
            return not_sold(dispatcher, self.name(), selection.query, products)
        product = selection.single or catalog.best_name_match(selection.query, products)
        if product is None:
            intro = "Tengo varias opciones, ¿cuál quieres?"
            options = {"products": [catalog.product_fact(p) for p in products]}
            say(dispatcher, self.name(), options_text(products, intro), options)
            return [SlotSet("productos_mostrados", [p.id for p in products])]
        facts: dict[str, Any] = {
            "products": [catalog.product_fact(product)],
            "quantities": [quantity],
        }
        current = open_order(turn)
        in_cart = current is not None and any(i.product_id == product.id for i in current.items)
        if in_cart and current is not None and _SET.search(catalog.fold(latest_text(tracker))):
            # "mejor poneme 2", "que sean 3": the line becomes that many, it does not grow.
            return set_line(turn, dispatcher, self.name(), current, product, quantity)
        try:
            order, line = orders.add_item(
                session=turn.session,
                shop_id=turn.shop.id,
                user_id=turn.user_id,
                product_id=product.id,
                quantity=quantity,
            )
        except orders.InsufficientStockError as err:
            if product.stock <= 0:
                text = f"Uy, {product.name} está agotado por ahora 😕. ¿Te muestro algo parecido?"
            else:
                text = (
                    f"De {product.name} solo tenemos {product.stock} disponibles"
                    f" y me pediste {err.requested} en total. ¿Te anoto {product.stock}?"
                )
                facts["quantities"] += [err.requested, product.stock]
                facts["offer"] = {"product_id": product.id, "quantity": product.stock}
            say(dispatcher, self.name(), text, facts)
            # "ya, entonces la de 5" next is about this product
            return [SlotSet("productos_mostrados", [product.id])]
        except QuantityError as err:
            bad_quantity(dispatcher, self.name(), err)
            return []
        facts["order"] = orders.order_facts(order)
        facts["quantities"].append(line.quantity)
        text = (
            f"Listo ✅ Agregué {quantity} × {product.name} ({pesos(product.price)} c/u)."
            f" Tu pedido va en {pesos(order.total)}. ¿Quieres algo más?"
        )
        say(dispatcher, self.name(), text, facts)
        return [SlotSet("pedido_id", float(order.id)), SlotSet("productos_mostrados", [product.id])]


def _take_then_ask(text: str) -> tuple[str, str] | None:
    """(take, question) when `text` first takes the quoted product in a sentence of its own
    ("Poneme una.", "Dale, me lo llevo.") and then asks about something else."""
    sentences = split_sentences(text)
    if len(sentences) < 2:
        return None
    first, rest = sentences[0], " ".join(sentences[1:])
    takes = takes_it(first) or (
        not catalog.content_words(first) and order_quantity(first) is not None
    )
    if not takes or "?" not in rest or not catalog.content_words(rest):
        return None
    return first, rest


def _with_text(tracker: Tracker, text: str) -> Tracker:
    """`tracker` with its latest message reduced to `text` (no entities of the whole)."""
    latest = {**(tracker.latest_message or {}), "text": text, "entities": []}
    return Tracker(
        tracker.sender_id,
        tracker.slots,
        latest,
        tracker.events,
        tracker.is_paused(),
        tracker.followup_action,
        tracker.active_loop,
        tracker.latest_action_name,
    )


def _last_bot_offered_nothing(tracker: Tracker) -> bool:
    """True when the bot spoke since the shopper's previous message, with no facts."""
    if last_bot_payload(tracker) != (None, {}):
        return False
    seen_user = False
    for event in reversed(tracker.events or []):
        if event.get("event") == "user":
            if seen_user:
                return False
            seen_user = True
        elif seen_user and event.get("event") == "bot":
            return True
    return False


def _names_other_product(turn: Turn, text: str, in_cart: list[Product]) -> bool:
    """True when `text` names a catalog product that is not in the cart."""
    if not [w for w in catalog.terms(text) if not w.isdigit()]:
        return False
    turn.session.commit()  # nothing written yet; the search reads with its own session
    found = catalog.search_products(
        session=turn.session, shop_id=turn.shop.id, query=text, searcher=turn.searcher(), k=3
    )
    mine = {p.id for p in in_cart}
    return any(p.id not in mine and catalog.name_hits(text, p) > 0 for p in found)


def _only(products: list[Product]) -> Product | None:
    return products[0] if len(products) == 1 else None


def _pick(
    turn: Turn, words: str, shown: list[Product] | None = None
) -> tuple[Product | None, list[Product], bool]:
    """(the product, the candidates, available) for one item's words: one of the products
    just shown when the words point at it ("la de 5", "la roja"), else a search."""
    ref = catalog.resolve_reference(words, shown) if shown else None
    if ref is not None and all(catalog.name_hits(w, ref) for w in catalog.content_words(words)):
        return ref, [ref], True
    kin = kin_of_shown(turn, words, shown) if shown else []
    if kin:  # "la de 5" after the 8 m tape measure: the 5 m one
        return (kin[0] if len(kin) == 1 else None), kin, True
    kind = catalog.size_of_shown(words, shown) if shown and ref is None else None
    query = kind or words  # "la de 5" after the 8 m tape measure: the 5 m one
    found = catalog.search_products(
        session=turn.session, shop_id=turn.shop.id, query=query, searcher=turn.searcher(), k=5
    )
    if ref is not None and catalog.asked_sizes(words):
        # "el entrenador dijo que le va el de 36,5 pulgadas" after the two sticks: the size
        # picks one; the other words are talk when no product has them.
        extra = [w for w in catalog.content_words(words) if not catalog.name_hits(w, ref)]
        if not any(catalog.name_hits(w, p) for p in found for w in extra):
            return ref, [ref], True
    focused = catalog.focus(query, found, phrase=True)
    if not focused.available:
        return None, focused.products, False
    products = focused.products
    single = products[0] if len(products) == 1 else catalog.best_name_match(query, products)
    if single is None and len(products) > 1:
        single = catalog.by_size_word(words, products)  # "curitas de las grandes"
    return single, products, True


def _in_context(
    picks: list[tuple[Item, Product | None, list[Product], bool]], shown: list[Product]
) -> list[tuple[Item, Product | None, list[Product], bool]]:
    """An ambiguous item goes with the product it comes with: "me lo llevo, y también la
    funda negra" after the Redmi Note 13 is the Redmi Note 13's case, of the black cases."""
    resolved = [p for _, p, _, _ in picks if p is not None]
    names = " ".join(p.name for p in resolved)
    out = []
    for item, product, candidates, available in picks:
        if product is None and available and len(candidates) > 1:
            named = [p for p in resolved if p in candidates]
            in_shown = [c for c in candidates if c in shown]
            packed = [c for c in candidates if item.unit and item.unit in catalog.terms(c.name)]
            if len(packed) == 1:
                # "10 bolsas de leche Alquería entera": the bag, not the box of six
                product = packed[0]
            elif not item.words and len(named) == 1:
                # "el de 36,5 pulgadas. Llevo ese": the one just picked (added once)
                product = named[0]
            elif resolved:
                scored = sorted(
                    ((catalog.name_hits(names, c), c) for c in candidates), key=lambda s: -s[0]
                )
                if scored[0][0] > 0 and scored[0][0] > scored[1][0]:
                    product = scored[0][1]
            if product is None and len(in_shown) == 1:
                # "una libra, es decir el de 500 gramos, y un chocolate" after the Sello Rojo
                # coffees: of the 500 g products, the coffee shown.
                product = in_shown[0]
        out.append((item, product, candidates, available))
    return out


def _without_restated(
    picks: list[tuple[Item, Product | None, list[Product], bool]],
) -> list[tuple[Item, Product | None, list[Product], bool]]:
    """Drop a vague piece said again more precisely later in the message: "…y el cable
    también, que el mío se dañó, entonces el cable lightning de un metro" is one cable."""
    out = []
    for n, pick in enumerate(picks):
        item, product = pick[0], pick[1]
        words = set(catalog.content_words(item.words))
        later = [set(catalog.content_words(p[0].words)) for p in picks[n + 1 :]]
        if product is None and words and any(words < other for other in later):
            continue
        out.append(pick)
    return out


# A piece of a multi-item message that is talk, not a request ("ta bien", "soy el
# encargado de sistemas", "que el mío ya no sirve", "mirá te cuento estoy arrancando").
_CHATTER_PIECE = re.compile(
    r"\b(soy|estoy|es que|que|ya|me|mi|mis|yo|tan|bien|pero|porque|cuento|dijo|uh|ah|eh|"
    r"ay|uy|cosas?)\b"
)


def add_many(
    turn: Turn,
    dispatcher: CollectingDispatcher,
    action: str,
    items: list[Item],
    shown: list[Product] | None = None,
) -> Events | None:
    """Add every item of a multi-item message; report each (added, ambiguous, short, absent).

    An item with no product words ("mándame 2 bultos y …") is the product just shown.
    None when no piece names any product ("esa me gusta, me la mandas"): not a list.
    """
    # The search service reads with its own session: end this transaction first (SQLite).
    turn.session.commit()
    last = list(shown or [])
    picks = [
        (item, *(_pick(turn, item.words, last) if item.words else (_only(last), last, True)))
        for item in items
    ]
    if not any(product or candidates for _, product, candidates, _ in picks):
        return None
    picks = _in_context(picks, last)
    picks = _without_restated(picks)
    shown = []
    lines: list[str] = []
    mentioned: list[dict[str, Any]] = []
    quantities: list[int] = []
    order: Order | None = None
    offers: list[dict[str, int]] = []
    taken: set[int] = set()
    resolved = any(product is not None for _, product, _, _ in picks)
    # One product named in two pieces is one line: "la efervescente, 2 tubos" (the count
    # in the second), "6 combos de teclado y mouse inalámbrico MK235" (in the first).
    counts: dict[int, int] = {}
    for item, product, _, _ in picks:
        if product is not None and item.quantity is not None:
            counts.setdefault(product.id, item.quantity)
    for item, product, candidates, available in picks:
        wanted = counts.get(product.id, 1) if product is not None else item.quantity or 1
        if product is not None and product.id in taken:
            continue
        if product is None:
            if not item.words:  # "2 bolsas" with nothing shown: no product to count
                continue
            if not available or not candidates:
                if (
                    resolved
                    and item.quantity is None
                    and not any(ch.isdigit() for ch in item.words)
                    and _CHATTER_PIECE.search(catalog.fold(item.words))
                ):
                    # "eche ta bien, dame dos de esos…", "soy el encargado de sistemas":
                    # talk around the items, not a product request of its own.
                    continue
                lines.append(f"• «{item.words}»: no lo tenemos 😕")
                continue
            options = ", ".join(
                f"{i}. {p.name} ({pesos(p.price)})" for i, p in enumerate(candidates, 1)
            )
            lines.append(f"• «{item.words}»: tengo varias opciones: {options}. ¿Cuál quieres?")
            shown = candidates
            mentioned += [catalog.product_fact(p) for p in candidates]
            continue
        taken.add(product.id)
        mentioned.append(catalog.product_fact(product))
        current = order or open_order(turn)
        line = (
            next((i for i in current.items if i.product_id == product.id), None)
            if current
            else None
        )
        if line is not None and current is not None and not _MORE.search(catalog.fold(item.words)):
            # A restated order ("envíen las 20 planchas y las 20 cajas") sets the line.
            try:
                orders.set_quantity(
                    session=turn.session, order=current, product_id=product.id, quantity=wanted
                )
            except orders.InsufficientStockError:
                lines.append(f"• {product.name}: solo tenemos {product.stock}")
                continue
            order = current
            quantities.append(wanted)
            lines.append(f"• {product.name}: quedan {wanted} en tu pedido")
            continue
        try:
            check_quantity(wanted)
            order, _ = orders.add_item(
                session=turn.session,
                shop_id=turn.shop.id,
                user_id=turn.user_id,
                product_id=product.id,
                quantity=wanted,
            )
        except orders.InsufficientStockError:
            if product.stock <= 0:
                lines.append(f"• {product.name}: está agotado por ahora 😕")
            else:
                lines.append(
                    f"• {product.name}: solo tenemos {product.stock} y pediste {wanted};"
                    f" ¿te anoto {product.stock}?"
                )
                quantities.append(product.stock)
                offers.append({"product_id": product.id, "quantity": product.stock})
            quantities.append(wanted)
            continue
        except QuantityError:
            lines.append(f"• {product.name}: puedo anotar entre 1 y {MAX_QUANTITY} unidades")
            continue
        quantities.append(wanted)
        lines.append(f"• Agregué {wanted} × {product.name} ({pesos(product.price)} c/u)")
    facts: dict[str, Any] = {"products": mentioned, "quantities": quantities}
    if offers:
        facts["offer"], facts["offers"] = offers[0], offers
    order = order or open_order(turn)
    events: Events = []
    if order is not None and order.items:
        orders.recompute_total(session=turn.session, order=order)
        facts["order"] = orders.order_facts(order)
        lines.append(f"Tu pedido va en {pesos(order.total)}. ¿Quieres algo más?")
        events.append(SlotSet("pedido_id", float(order.id)))
    say(dispatcher, action, "\n".join(["Listo, esto es lo que anoté:", *lines]), facts)
    # What "y 2 de limón" or "el primero" next refers to: the options asked about, else
    # the products just added.
    if shown or taken:
        ids = [p.id for p in shown] if shown else [m["id"] for m in mentioned]
        events.append(SlotSet("productos_mostrados", ids))
    return events


def set_line(
    turn: Turn,
    dispatcher: CollectingDispatcher,
    action: str,
    order: Order,
    product: Product,
    quantity: int,
) -> Events:
    """Set the cart line of `product` to `quantity` units."""
    facts: dict[str, Any] = {"products": [catalog.product_fact(product)], "quantities": [quantity]}
    try:
        orders.set_quantity(
            session=turn.session, order=order, product_id=product.id, quantity=quantity
        )
    except orders.InsufficientStockError as err:
        facts["offer"] = {"product_id": product.id, "quantity": err.available}
        text = f"De {product.name} solo tenemos {err.available} 😕. ¿Te dejo {err.available}?"
        say(dispatcher, action, text, facts)
        return []
    orders.recompute_total(session=turn.session, order=order)
    facts["order"] = orders.order_facts(order)
    text = f"Listo, dejé {quantity} × {product.name}.\n{order_text(order)}\n¿Quieres algo más?"
    say(dispatcher, action, text, facts)
    return [SlotSet("pedido_id", float(order.id)), SlotSet("productos_mostrados", [product.id])]


def apply_offer(turn: Turn, product_id: int, quantity: int) -> tuple[Product, Order | None, int]:
    """Put the offered product in the cart: the line becomes `quantity` units (at most the
    stock). Returns the product, the order (None when it sold out meanwhile) and the units."""
    [product] = catalog.load_products(session=turn.session, shop_id=turn.shop.id, ids=[product_id])
    order = orders.get_open_order(session=turn.session, shop_id=turn.shop.id, user_id=turn.user_id)
    line = next((i for i in order.items if i.product_id == product_id), None) if order else None
    quantity = min(quantity, product.stock)
    if quantity <= 0:
        return product, None, 0
    if order is not None and line is not None:
        orders.set_quantity(
            session=turn.session, order=order, product_id=product_id, quantity=quantity
        )
    else:
        order, _ = orders.add_item(
            session=turn.session,
            shop_id=turn.shop.id,
            user_id=turn.user_id,
            product_id=product_id,
            quantity=quantity,
        )
    orders.recompute_total(session=turn.session, order=order)
    return product, order, quantity


def take_offer(
    turn: Turn, dispatcher: CollectingDispatcher, action: str, product_id: int, quantity: int
) -> Events:
    """The shopper accepted "¿Te anoto N?": the line becomes N units (what is in stock)."""
    product, order, quantity = apply_offer(turn, product_id, quantity)
    facts: dict[str, Any] = {"products": [catalog.product_fact(product)], "quantities": [quantity]}
    if order is None:
        text = f"Uy, {product.name} se acaba de agotar 😕. ¿Te muestro algo parecido?"
        say(dispatcher, action, text, facts)
        return []
    facts["order"] = orders.order_facts(order)
    text = (
        f"Listo ✅ Te anoté {quantity} × {product.name} ({pesos(product.price)} c/u)."
        f" Tu pedido va en {pesos(order.total)}. ¿Quieres algo más?"
    )
    say(dispatcher, action, text, facts)
    return [SlotSet("pedido_id", float(order.id)), SlotSet("productos_mostrados", [product.id])]


def take_offers(
    turn: Turn, dispatcher: CollectingDispatcher, action: str, offers: list[tuple[int, int]]
) -> Events:
    """The shopper accepted every "¿te anoto N?" of a message with several items."""
    lines: list[str] = []
    products: list[dict[str, Any]] = []
    quantities: list[int] = []
    order: Order | None = None
    for product_id, quantity in offers:
        product, with_it, units = apply_offer(turn, product_id, quantity)
        products.append(catalog.product_fact(product))
        quantities.append(units)
        if with_it is None:
            lines.append(f"• {product.name}: se acaba de agotar 😕")
            continue
        order = with_it
        lines.append(f"• {units} × {product.name} ({pesos(product.price)} c/u)")
    facts: dict[str, Any] = {"products": products, "quantities": quantities}
    events: Events = []
    if order is not None:
        facts["order"] = orders.order_facts(order)
        lines.append(f"Tu pedido va en {pesos(order.total)}. ¿Quieres algo más?")
        events.append(SlotSet("pedido_id", float(order.id)))
    say(dispatcher, action, "\n".join(["Listo ✅ Te anoté:", *lines]), facts)
    return events


class ActionVerPedido(TurnAction):
    """Show the open order with current prices."""

    action_name = "action_ver_pedido"

    def handle(self, turn: Turn, dispatcher: CollectingDispatcher, tracker: Tracker) -> Events:
        from actions.interpret import closes_order  # interpret builds on this module

        if closes_order(turn, tracker):
            # "Bueno, me llevo una. Es todo" read as "show my cart": close the order (the
            # product just offered goes in first).
            return [FollowupAction("action_confirmar_pedido")]
        order = open_cart_or_say_empty(turn, dispatcher, self.name())
        if order is None:
            return []
        text = f"Tu pedido #{order.id}:\n{order_text(order)}\n¿Quieres agregar algo más?"
        say(dispatcher, self.name(), text, {"order": orders.order_facts(order)})
        return [SlotSet("pedido_id", float(order.id))]


class ActionQuitarProducto(TurnAction):
    """Remove a line, or change its quantity when a number is given ("deja solo 1 termo")."""

    action_name = "action_quitar_producto"

    def handle(self, turn: Turn, dispatcher: CollectingDispatcher, tracker: Tracker) -> Events:
        current = open_order(turn)
        if current is None or not current.items:
            # Nothing to remove: "los de nitrilo, 12 pares" read as a change is a pick.
            from actions.interpret import ground_or_empty_cart  # interpret builds on this

            return ground_or_empty_cart(turn, dispatcher, tracker, self.name())
        order = current
        in_cart = [item.product for item in order.items]
        text = latest_text(tracker)
        phrase = entity(tracker, "producto") or text
        # "uh pará, ya me compró una campera. sacá la campera": what follows the verb
        verb = list(_REMOVE.finditer(catalog.fold(text)))
        after_verb = text[verb[-1].end() :] if verb else ""
        product = (
            (catalog.best_name_match(after_verb, in_cart) if after_verb.strip() else None)
            or catalog.best_name_match(phrase, in_cart)
            or catalog.resolve_reference(text, in_cart)
        )
        removing = bool(_REMOVE.search(catalog.fold(text)))
        if product is not None and not removing and _ONLY.search(catalog.fold(text)):
            return keep_only(turn, dispatcher, self.name(), order, product, text)
        if product is None and not removing and _names_other_product(turn, text, in_cart):
            # "aguanta, me faltó algo: dos pocillos mug" names a product that is not in the
            # cart and does not ask to remove: it is one more line.
            return [FollowupAction("action_agregar_producto")]
        if product is None:
            # The line just touched ("mejor que sean 15" right after adding the focos).
            touched = [p for p in shown_products(turn, tracker) if p in in_cart]
            product = touched[0] if len(touched) == 1 else None
        if product is None and len(in_cart) == 1 and order_quantity(text) is not None:
            product = in_cart[0]
        if product is None and not _REMOVE.search(catalog.fold(text)):
            # "aguanta, me faltó algo: dos pocillos mug" names nothing in the cart and does
            # not ask to remove: it is one more line.
            return [FollowupAction("action_agregar_producto")]
        if product is None:
            ask = "¿Cuál producto quieres quitar o cambiar? Esto tienes en el carrito:"
            say(
                dispatcher,
                self.name(),
                f"{ask}\n{order_text(order)}",
                {"order": orders.order_facts(order)},
            )
            return []
        line = next(item for item in order.items if item.product_id == product.id)
        amount = order_quantity(text.replace(product.name, " "))
        if amount is None:
            amount = find_quantity(entity(tracker, "cantidad") or "")
        facts: dict[str, Any] = {"products": [catalog.product_fact(product)]}
        try:
            if amount is None or amount <= 0:
                orders.remove_item(session=turn.session, order=order, product_id=product.id)
                done = f"Quité {product.name} de tu pedido."
            else:
                target = amount
                if _DECREASE.search(catalog.fold(text)):
                    target = line.quantity - amount
                facts["quantities"] = [amount, max(target, 0)]
                if target <= 0:
                    orders.remove_item(session=turn.session, order=order, product_id=product.id)
                    done = f"Quité {product.name} de tu pedido."
                else:
                    orders.set_quantity(
                        session=turn.session, order=order, product_id=product.id, quantity=target
                    )
                    done = f"Listo, dejé {target} × {product.name}."
        except orders.InsufficientStockError as err:
            facts["quantities"] = [err.requested]
            text = f"De {product.name} solo tenemos {err.available} disponibles 😕."
            say(dispatcher, self.name(), text, facts)
            return []
        except QuantityError as err:
            bad_quantity(dispatcher, self.name(), err)
            return []
        facts["order"] = orders.order_facts(order)
        if not order.items:
            say(dispatcher, self.name(), f"{done} Tu carrito quedó vacío.", facts)
        else:
            say(dispatcher, self.name(), f"{done}\n{order_text(order)}", facts)
        return []


def keep_only(
    turn: Turn,
    dispatcher: CollectingDispatcher,
    action: str,
    order: Order,
    product: Product,
    text: str,
) -> Events:
    """ "solo la pistola, es todo": keep `product`'s line (with the count said, if any),
    remove the other lines; a message that also closes the order goes on to the summary."""
    from actions.interpret import is_done  # interpret builds on this module

    for item in [i for i in order.items if i.product_id != product.id]:
        orders.remove_item(session=turn.session, order=order, product_id=item.product_id)
    amount = order_quantity(text.replace(product.name, " "))
    if amount is not None and amount > 0:
        with contextlib.suppress(orders.InsufficientStockError):  # the line keeps its count
            orders.set_quantity(
                session=turn.session, order=order, product_id=product.id, quantity=amount
            )
    orders.recompute_total(session=turn.session, order=order)
    line = next(i for i in order.items if i.product_id == product.id)
    facts = {
        "products": [catalog.product_fact(product)],
        "quantities": [line.quantity],
        "order": orders.order_facts(order),
    }
    events: Events = [SlotSet("pedido_id", float(order.id))]
    if is_done(text):
        return [*events, FollowupAction("action_confirmar_pedido")]
    reply = (
        f"Listo, dejé solo {line.quantity} × {product.name}."
        f" Tu pedido va en {pesos(order.total)}. ¿Quieres algo más?"
    )
    say(dispatcher, action, reply, facts)
    return events
