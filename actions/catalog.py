"""Catalog answers: `action_buscar_producto` (search, prices, availability, references)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.respond import pesos, say
from actions.services import catalog, checkout_data
from actions.services.buyer_data import bare_field, volunteered_name
from actions.services.items import is_multi_item, order_quantity, split_items
from actions.services.quantities import find_quantity
from actions.turn import Turn, TurnAction, entity, latest_text
from db.models import Product

SHOW_MAX = 5
_ADD_ON = re.compile(
    r"^\s*(y|tambien|ademas|y tambien|agregale|sumale|ponle)\s+(un|una|unos|unas|\d+|dos|tres|"
    r"cuatro|cinco|seis|media|otr[oa]s?)\b"
)
# "el jarabe infantil de fresa, dame uno": a pick to add, not a question about it.
_BUY_NOW = re.compile(
    r"\b(dame|deme|mandame|mandeme|echame|ponme|agregame|anotame|me das|me da|me llevo|"
    r"me lo llevo|me la llevo|mandamelo|mandamela)\b"
)
_ASKS_PRICE = re.compile(r"\b(precio|cuanto|cuesta|vale|valor)\b")
_CHEAP = re.compile(r"m[aá]s (barat|econ[oó]mic)|menor precio")
_PRICEY = re.compile(r"m[aá]s (car[oa]|costos)|mayor precio")


@dataclass
class Selection:
    """What a shopper's words point at: one product, several candidates, or nothing."""

    query: str
    products: list[Product] = field(default_factory=list)
    referenced: bool = False  # resolved against the products shown before
    available: bool = True  # False: the shop does not sell it; `products` are only similar

    @property
    def single(self) -> Product | None:
        """The product when exactly one was selected."""
        return self.products[0] if len(self.products) == 1 else None


def shown_products(turn: Turn, tracker: Tracker) -> list[Product]:
    """The products of the `productos_mostrados` slot, reloaded from the database."""
    ids = tracker.get_slot("productos_mostrados") or []
    if not isinstance(ids, list):
        ids = [ids]
    return catalog.load_products(session=turn.session, shop_id=turn.shop.id, ids=ids)


def last_bot_payload(tracker: Tracker) -> tuple[str | None, dict[str, Any]]:
    """(action, facts) of the bot's last message before the latest user message."""
    seen_user = False
    for event in reversed(tracker.events or []):
        if event.get("event") == "user":
            if seen_user:
                return None, {}
            seen_user = True
        elif seen_user and event.get("event") == "bot":
            custom = (event.get("data") or {}).get("custom") or {}
            facts = custom.get("facts")
            if isinstance(facts, dict):
                return custom.get("action"), facts
    return None, {}


def offered_product_id(tracker: Tracker) -> int | None:
    """The product of "¿Te lo agrego al pedido?" when that was the bot's last question.

    Read from the facts of the bot message before the latest user message, so a "sí"
    adds exactly the product that was offered, whatever list was shown before it.
    """
    action, facts = last_bot_payload(tracker)
    products = facts.get("products") or []
    if action == "action_buscar_producto" and len(products) == 1:
        return int(products[0]["id"])
    return None


_YES = re.compile(
    r"\b(si|dale|ok|okey|bueno|listo|ya|va|claro|de una|perfecto|hagale|entendido|conforme|"
    r"las que haya|la que haya|lo que haya|las que tengas|los que tengas|las que hay|los que hay|"
    r"las que tenga|los que tenga|lo que tenga|la que tenga|las que tiene|los que tiene|"
    r"disponibles?|anotalas|anotalos|ponlas|ponlos|esas|esos|mandalas|mandalos|mandamelas|"
    r"mandamelos|envieme|enviame|me sirve|me sirven|sirve|sirven|confirmo|confirmado|"
    r"de acuerdo|correcto|asi es)\b"
)


def is_yes(text: str) -> bool:
    """True for a yes in the shoppers' words ("sí, confirmo", "dale", "conforme")."""
    return bool(_YES.search(catalog.fold(text)))


def accepts_offer(text: str, offered: int) -> bool:
    """True when `text` takes "¿Te anoto N?": a yes, "las que haya", or the same N."""
    return is_yes(text) or order_quantity(text) == offered


def pending_offers(tracker: Tracker) -> list[tuple[int, int]]:
    """Every (product id, quantity) the bot offered in its last message ("¿Te anoto 12?";
    a message with several items can offer one for each)."""
    facts = last_bot_payload(tracker)[1]
    offers = facts.get("offers") or ([facts["offer"]] if facts.get("offer") else [])
    return [
        (int(o["product_id"]), int(o["quantity"]))
        for o in offers
        if isinstance(o, dict) and o.get("product_id") and o.get("quantity")
    ]


def pending_offer(tracker: Tracker) -> tuple[int, int] | None:
    """The first (product id, quantity) the bot offered in its last message."""
    offers = pending_offers(tracker)
    return offers[0] if offers else None


# A question written without "?": "deseo saber si tienen café Sello Rojo y en qué presentaciones".
_ASKS = re.compile(
    r"\b(saber si|saber cuanto|saber que|saber el precio|me puede decir|me podria decir|"
    r"en que presentaciones|que presentaciones|que tamanos|que colores)\b"
)
# A yes that opens a message which goes on to something else: "listo parce, y ¿cuánto…?"
_YES_FIRST = re.compile(
    r"^\W*(?:si|dale|listo|de una|ok|okey|perfecto)\b(?:\s+(?:parce|mija|mijo|pues|mi llave|"
    r"senor|senora|gracias|porfa|che))?\s*(?:[,.!]+\s*(?:y\s+)?|\s+y\s+)"
)
# "no, eso es todo", "no gracias, nada más": the offer is declined, whatever follows.
_DECLINE = re.compile(
    r"^\W*(no|nop|nel|mejor no|no gracias)\b|\bno (lo|la|los|las) quiero\b|"
    # "ese lo cotizo después", "esa la veo luego": that one is put off
    r"\b(lo|la|los|las) (cotizo|veo|pienso|compro|llevo|reviso|miro) (despues|luego|"
    r"mas tarde|otro dia|mas adelante)\b"
)


def closing_offers(tracker: Tracker) -> list[tuple[int, int]]:
    """`closing_offer` for a message that offered several products: all of them (a
    quantity said by the shopper only counts when there was one)."""
    first = closing_offer(tracker)
    offers = pending_offers(tracker)
    if first is None or len(offers) < 2:
        return [first] if first is not None else []
    return offers


def closing_offer(tracker: Tracker) -> tuple[int, int] | None:
    """(product id, quantity) the shopper takes by closing the order right after an offer.

    "es todo", "nada más, ¿cómo pago?", "Conforme. Proceda con el pedido." answer the bot's
    last question — "¿Te lo agrego al pedido?" for the one product just quoted, or "¿Te anoto
    12?" — with a yes: that product goes in (the quantity offered, or one, or the number the
    shopper says). None when there was no such question or the message declines it.
    """
    text = catalog.fold(latest_text(tracker))
    if _DECLINE.search(text):
        return None
    offer = pending_offer(tracker)
    if offer is not None:
        said = order_quantity(text)
        return offer[0], said if said is not None and said <= offer[1] else offer[1]
    offered = offered_product_id(tracker)
    if offered is not None:
        return offered, order_quantity(text) or quoted_count(tracker)
    return None


def quoted_count(tracker: Tracker) -> int:
    """The count the bot's last quote asked about ("¿Te agrego 5?" → 5), else one."""
    asked = last_bot_payload(tracker)[1].get("quantities") or []
    return asked[0] if asked and isinstance(asked[0], int) and asked[0] > 0 else 1


def introduced_name(tracker: Tracker) -> list[dict[str, Any]]:
    """`nombre` set to the full name the latest message introduces ("Hola, soy Rosa Quispe,
    quería…"), when none is noted: the checkout does not ask it again."""
    if tracker.get_slot("nombre"):
        return []
    name = volunteered_name(latest_text(tracker))
    try:
        return [SlotSet("nombre", checkout_data.clean_name(name))] if name else []
    except checkout_data.InvalidField:
        return []


def other_than_shown(turn: Turn, text: str, shown: list[Product]) -> Product | None:
    """The product `text` names when it says more than the shown ones have: "2 cocas sin
    azúcar de 600" right after the 2.5 l Coca-Cola is the sugar-free 600 ml one; "¿y el
    parlante mini con radio?" after the JBL is the mini. None when every word fits a shown
    product, or no other product of the catalog has the words the shown ones lack."""
    if not shown:
        return None
    words = catalog.content_words(text)
    extra = [w for w in words if not any(catalog.name_hits(w, p) for p in shown)]
    if not extra:
        return None
    turn.session.commit()  # the search reads with its own session (SQLite write lock)
    found = catalog.search_products(
        session=turn.session, shop_id=turn.shop.id, query=text, searcher=turn.searcher(), k=SHOW_MAX
    )
    # Only words some product has count ("tmb", "pa la fiesta" name nothing).
    extra = [w for w in extra if any(catalog.name_hits(w, p) for p in found)]
    useful = " ".join(w for w in words if any(catalog.name_hits(w, p) for p in found))
    if not extra:
        return None
    focused = catalog.focus(useful, found, phrase=False, extra_sizes=catalog.asked_sizes(text))
    if not focused.available or len(focused.products) != 1:
        return None
    best = focused.products[0]
    if best in shown or not all(catalog.name_hits(w, best) for w in extra):
        return None
    return best


def kin_of_shown(turn: Turn, text: str, shown: list[Product]) -> list[Product]:
    """The products `text` means when it names no thing, only what sets one apart, right
    after other products: "y 2 de limón" after Papas Margarita pollo is Papas Margarita
    limón; "la de 5" after the 8 m Wincha is the 5 m Wincha. Of the same kind (the first
    name words) as a shown product, with every word and number said; [] when none."""
    modifier = catalog.elliptical_modifier(text) if shown else None
    if not modifier or not (catalog.content_words(modifier) or catalog.sizes(modifier)):
        return []
    turn.session.commit()  # the search reads with its own session (SQLite write lock)
    out: list[Product] = []
    for product in shown:
        kind = catalog.kind_words(product)
        if not kind:
            continue
        found = catalog.search_products(
            session=turn.session,
            shop_id=turn.shop.id,
            query=f"{kind} {modifier}",
            searcher=turn.searcher(),
            k=SHOW_MAX,
        )
        out += [
            p
            for p in found
            if p not in out
            and catalog.fold(catalog.kind_words(p)) == catalog.fold(kind)
            and catalog.kin_fits(modifier, p)
        ]
    return out


def select_products(turn: Turn, tracker: Tracker, *, k: int = SHOW_MAX) -> Selection:
    """Resolve the latest message to products: a reference to the shown ones, else a search.

    The `producto` entity wins when it names one shown product well ("la licuadora" after a
    list); otherwise ordinal/price/demonstrative references resolve against the shown list;
    otherwise the entity (or `categoria`, or the whole message) is searched.
    """
    text = latest_text(tracker)
    phrase = entity(tracker, "producto")
    if phrase and not catalog.content_words(phrase):
        phrase = None  # "40" of "¿tienen tenis talla 40?": the message says what it is
    intent = ((tracker.latest_message or {}).get("intent") or {}).get("name")
    offered = offered_product_id(tracker) if intent == "afirmar" and not phrase else None
    if offered is not None:
        ids = [offered]
        again = catalog.load_products(session=turn.session, shop_id=turn.shop.id, ids=ids)
        if again:
            return Selection(text, again, referenced=True)
    shown = shown_products(turn, tracker)
    kin = kin_of_shown(turn, text, shown)
    if kin:  # "y 2 de limón también" after the Papas Margarita pollo ("cajas" no product)
        return Selection(text, kin, referenced=len(kin) == 1)
    if phrase and shown:
        match = catalog.best_name_match(phrase, shown)
        if match is None:
            # The entity names the kind ("licuadora") and the rest of the message picks
            # one of the list ("la licuadora de 1.5 litros", "la camiseta roja").
            ref = catalog.resolve_reference(text, shown)
            match = ref if ref is not None and catalog.name_hits(phrase, ref) > 0 else None
        other = other_than_shown(turn, text, shown) if match is not None else None
        if other is not None:
            return Selection(text, [other])
        if match is not None:
            return Selection(phrase, [match], referenced=True)
    if shown and (not phrase or not catalog.terms(phrase)):
        ref = catalog.resolve_reference(text, shown)
        other = other_than_shown(turn, text, shown) if ref is not None else None
        if other is not None:
            return Selection(text, [other])
        if ref is not None:
            return Selection(text, [ref], referenced=True)
        if not phrase and not [w for w in catalog.terms(text) if not w.isdigit()]:
            # "quiero ese" after a list: ask which one rather than search for nothing
            return Selection(text, shown, referenced=True)
    category = entity(tracker, "categoria")
    query = phrase or category or text
    bare_phrase = not phrase or catalog.size_of_shown(phrase, shown) is not None
    if bare_phrase and (kind := catalog.size_of_shown(text, shown)):
        query, phrase = kind, None  # "y 3 cajas de los de 1 5/8" after the 6 x 1 screw
    found: list[Product] = []
    category_hit = False

    def search(words: str) -> list[Product]:
        # The search service reads with its own session; end this transaction first so it
        # does not wait behind our SQLite write lock (BEGIN IMMEDIATE). Nothing is written yet.
        turn.session.commit()
        return catalog.search_products(
            session=turn.session, shop_id=turn.shop.id, query=words, searcher=turn.searcher(), k=k
        )

    # A category named as the product ("lo más económico en [cocina](producto)") browses it.
    as_category = phrase is not None and len(catalog.terms(phrase)) <= 2
    if not phrase or as_category:
        named = catalog.match_category(session=turn.session, shop_id=turn.shop.id, text=query)
        if named is not None:
            found = catalog.products_in_category(
                session=turn.session, shop_id=turn.shop.id, category=named, k=k
            )
            category_hit = bool(found)
            own = set(catalog.terms(str(named)))
            extra = " ".join(w for w in catalog.content_words(query) if w not in own)
            if extra and any(catalog.name_hits(extra, p) for p in found):
                # "¿cuánto vale el celular Motorola Moto G24?" names a category and one of
                # its products: a search for that product, not a browse of the category.
                found, category_hit = [], False
    if not found and catalog.terms(query):
        found = search(query)
    retry = _without_phrase(text, phrase) if not found and phrase else ""
    if retry:
        # The extracted span can be wrong ("agregame tambien 2 escobas" → "tambien"): the
        # message's other content words ("escobas") are the second try. The search's
        # relevance cut still keeps unrelated products out.
        found = search(retry)
        if not any(catalog.name_hits(retry, p) for p in found):
            # "¿Y Fabuloso de lavanda tiene?": no product is Fabuloso, and none has the
            # other words either — not a reason to list whatever the search returned.
            found = []
        if found:
            query = retry
    if not found and not phrase and len(shown) == 1:
        # "me la apartas, una" right after one product: its words name nothing else.
        return Selection(text, shown, referenced=True)
    available = True
    if found and not category_hit:
        focused = catalog.focus(
            query,
            found,
            phrase=bool(phrase) and query == phrase,
            # "curitas de las de 20"; "aceites premier, el de litro" (the 1000 ml one)
            extra_sizes=catalog.asked_sizes(text) + catalog.metric_equivalents(text),
        )
        found, available = focused.products, focused.available
        if (
            not available
            and phrase
            and set(catalog.content_words(text)) - set(catalog.content_words(phrase))
        ):
            # The entity may be a piece of the thing named ("dientes" of "un cepillo de
            # dientes"): the whole message is the second reading.
            again = search(text)
            whole = catalog.focus(text, again, phrase=True, extra_sizes=catalog.asked_sizes(text))
            if again and whole.available:
                query, found, available = text, whole.products, True
    if len(found) > 1 and phrase and available:
        # "y también un paracetamol infantil en suspensión" with the entity "paracetamol":
        # the message's other words may single one out of the hits.
        # Only words some hit has count: "pa regalar en diciembre" dilutes nothing.
        useful = [
            w for w in catalog.content_words(text) if any(catalog.name_hits(w, p) for p in found)
        ]
        whole = catalog.focus(
            " ".join(useful) or text, found, phrase=False, extra_sizes=catalog.asked_sizes(text)
        )
        if len(whole.products) == 1:
            found = whole.products
        elif set(catalog.content_words(text)) - set(catalog.content_words(phrase)):
            # "Y pelotas? quiero una adidas número 5" with the entity "adidas": the hits of
            # "adidas" are shoes and hoodies; the whole message finds the ball.
            again = search(text)
            sharper = catalog.focus(
                text, again, phrase=False, extra_sizes=catalog.asked_sizes(text)
            )
            if len(sharper.products) == 1 and catalog.name_hits(phrase, sharper.products[0]):
                found = sharper.products
    if len(found) > 1:
        sized = catalog.by_size_word(text, found)  # "un cloralex chico"
        if sized is not None:
            found = [sized]
    folded = catalog.fold(text)
    if _CHEAP.search(folded) or _PRICEY.search(folded):
        # "el celular más barato": rank the products named like the query, not accessories
        by_name = [p for p in found if catalog.name_hits(query, p) > 0]
        found = sorted(
            by_name or found, key=lambda p: p.price, reverse=bool(_PRICEY.search(folded))
        )[:1]  # "lo más barato": the one product, so "dame 3 de ese" knows which
    return Selection(query, found, available=available)


def _answers_data(text: str, tracker: Tracker) -> bool:
    """True for a bare barrio-like answer right after the bot noted buyer data."""
    if last_bot_payload(tracker)[0] != "action_guardar_datos":
        return False
    return bare_field(text, tracker.get_slot) == "barrio"


def _without_phrase(text: str, phrase: str) -> str:
    """The words of `text` that carry content other than `phrase`'s (no filler, no numbers)."""
    bad = set(catalog.terms(phrase))
    kept = []
    for word in text.split():
        terms = catalog.terms(word)
        if terms and not set(terms) & bad and not any(t.isdigit() for t in terms):
            kept.append(word)
    return " ".join(kept)


def availability(product: Product) -> str:
    """ "12 disponibles" / "última unidad" / "agotado"."""
    if product.stock <= 0:
        return "agotado"
    return "última unidad" if product.stock == 1 else f"{product.stock} disponibles"


def product_line(product: Product) -> str:
    """ "Termo acero 750 ml — $35.900 (12 disponibles)"."""
    return f"{product.name} — {pesos(product.price)} ({availability(product)})"


def options_text(products: list[Product], intro: str) -> str:
    """A numbered list of products with an invitation to pick one."""
    lines = [intro]
    lines += [f"{i}. {product_line(p)}" for i, p in enumerate(products, 1)]
    lines.append('¿Cuál te interesa? Puedes decirme, por ejemplo, "quiero el primero".')
    return "\n".join(lines)


def not_sold(
    dispatcher: CollectingDispatcher, action: str, query: str, similar: list[Product]
) -> list[dict[str, Any]]:
    """Say the shop does not sell `query`, offering the similar products labelled as such."""
    text = f"No tenemos «{query.strip()}» 😕."
    if similar:
        text += "\n" + options_text(similar, "Lo más parecido que tengo es:")
    facts = {
        "query": query,
        "available": False,
        "products": [catalog.product_fact(p) for p in similar],
    }
    say(dispatcher, action, text, facts)
    return [SlotSet("productos_mostrados", [p.id for p in similar] or None)]


def no_match(turn: Turn, dispatcher: CollectingDispatcher, action: str, query: str) -> None:
    """Say nothing matched `query` and suggest the closest existing categories."""
    categories = catalog.closest_categories(session=turn.session, shop_id=turn.shop.id, query=query)
    text = f"No encontré «{query.strip()}» en nuestro catálogo 😕."
    if categories:
        text += f" Tenemos {', '.join(categories[:-1])}"
        text += f" y {categories[-1]}." if len(categories) > 1 else "."
        text += " ¿Te muestro algo de ahí?"
    facts = {"query": query, "available": False, "products": [], "categories": categories}
    say(dispatcher, action, text, facts)


class ActionBuscarProducto(TurnAction):
    """Search the catalog and answer with real names, prices and stock from the database."""

    action_name = "action_buscar_producto"

    def after(self, tracker: Tracker) -> list[dict[str, Any]]:
        """The `cantidad` slot keeps only this message's quantity.

        So a "sí" to "¿Te agrego 2?" adds 2 and an older quantity never leaks into a later
        answer.
        """
        return [SlotSet("cantidad", entity(tracker, "cantidad")), *introduced_name(tracker)]

    def _take_then_ask(self, turn: Turn, tracker: Tracker, folded: str) -> list[Any] | None:
        """The messages of taking the bot's last offer when the (folded) message opens with
        a yes and then asks something else; None otherwise."""
        from actions.cart import take_offer, take_offers  # cart builds on this module

        yes = _YES_FIRST.match(folded)
        if yes is None or not catalog.content_words(folded[yes.end() :]):
            return None
        offers = pending_offers(tracker)
        offered = offered_product_id(tracker)
        out = CollectingDispatcher()
        if len(offers) > 1:
            take_offers(turn, out, self.name(), offers)
        elif offers:
            take_offer(turn, out, self.name(), *offers[0])
        elif offered is not None:
            take_offer(turn, out, self.name(), offered, quoted_count(tracker))
        else:
            return None
        return out.messages

    def handle(
        self, turn: Turn, dispatcher: CollectingDispatcher, tracker: Tracker
    ) -> list[dict[str, Any]]:
        text = latest_text(tracker)
        folded = catalog.fold(text)
        buy_now = bool(_BUY_NOW.search(folded)) and not _ASKS_PRICE.search(folded)
        asks = "?" in text or bool(_ASKS.search(folded))
        if not asks and (_ADD_ON.search(folded) or is_multi_item(text) or buy_now):
            # "y una cometa", "ya, uno, y una llave de paso" while buying: lines to add.
            from actions.cart import ActionAgregarProducto  # cart builds on this module

            return ActionAgregarProducto().handle(turn, dispatcher, tracker)
        taken = self._take_then_ask(turn, tracker, folded)
        if taken is not None:
            # "listo parce, y ¿cuánto vale el cargador de 25W?" after "¿Te los anoto?": the
            # quoted products go in, then the new question is answered.
            dispatcher.messages.extend(taken)
        items = split_items(text) if is_multi_item(text) else []
        if any(i.quantity for i in items):  # "¿Me cotiza 50 fierros de 1/2 y 80 de 3/8?"
            quoted = quote_many(turn, dispatcher, self.name(), items, tracker)
            if quoted is not None:
                return quoted
        selection = select_products(turn, tracker)
        products = selection.products
        if not products and _answers_data(text, tracker):
            # "Guayabal" right after the address was noted: the barrio, not a product.
            return [FollowupAction("action_guardar_datos")]
        if not products:
            no_match(turn, dispatcher, self.name(), selection.query)
            return [SlotSet("productos_mostrados", None)]
        if not selection.available:
            return not_sold(dispatcher, self.name(), selection.query, products)
        facts: dict[str, Any] = {
            "query": selection.query,
            "products": [catalog.product_fact(p) for p in products],
        }
        wanted = find_quantity(entity(tracker, "cantidad"))
        if len(products) == 1:
            p = products[0]
            said = order_quantity(text) if wanted is None else None
            if said is not None and str(said) not in catalog.sizes(p.name):
                # "¿Tienen también mouse pad? Serían 6" (no entity under the fallback); the
                # 13 of "¿tienen el Redmi Note 13?" is the name's, not a count.
                wanted = said
            if wanted is not None and wanted > 1 and p.stock > 0:
                facts["quantities"] = [wanted]
                enough = wanted <= p.stock
                text = (
                    f"Sí, tenemos {p.stock} de {p.name} a {pesos(p.price)} c/u."
                    f" ¿Te agrego {wanted}?"
                    if enough
                    else f"De {p.name} solo tenemos {p.stock} ({pesos(p.price)} c/u). ¿Te sirven?"
                )
                if not enough:
                    facts["offer"] = {"product_id": p.id, "quantity": p.stock}
            elif p.stock > 0:
                stock = "la última unidad" if p.stock == 1 else f"{p.stock} unidades"
                text = (
                    f"{p.name} cuesta {pesos(p.price)} y tenemos {stock}. ¿Te lo agrego al pedido?"
                )
            else:
                text = f"{p.name} cuesta {pesos(p.price)}, pero está agotado por ahora 😕."
            say(dispatcher, self.name(), text, facts)
            if selection.referenced:
                return []
            return [SlotSet("productos_mostrados", [p.id])]
        say(dispatcher, self.name(), options_text(products, "Esto es lo que tenemos:"), facts)
        return [SlotSet("productos_mostrados", [p.id for p in products])]


def quote_many(
    turn: Turn,
    dispatcher: CollectingDispatcher,
    action: str,
    items: list[Any],
    tracker: Tracker,
) -> list[dict[str, Any]] | None:
    """Quote every item of a several-items question, each with the count asked (or what
    there is), and offer them all: "sí" / "Conforme, proceda" takes every offer."""
    from actions.cart import _pick  # cart builds on this module

    turn.session.commit()  # the search reads with its own session (SQLite write lock)
    shown = shown_products(turn, tracker)
    lines: list[str] = []
    mentioned: list[dict[str, Any]] = []
    offers: list[dict[str, int]] = []
    subtotals: list[int] = []
    for item in items:
        if not item.words:
            continue
        product, candidates, available = _pick(turn, item.words, shown)
        if product is None:
            if not available or not candidates:
                lines.append(f"• «{item.words}»: no lo tenemos 😕")
            else:
                names = ", ".join(f"{p.name} ({pesos(p.price)})" for p in candidates)
                lines.append(f"• «{item.words}»: tengo varias opciones: {names}")
                mentioned += [catalog.product_fact(p) for p in candidates]
            continue
        mentioned.append(catalog.product_fact(product))
        wanted = item.quantity or 1
        if product.stock <= 0:
            lines.append(f"• {product.name}: agotado por ahora 😕")
            continue
        count = min(wanted, product.stock)
        short = f" (solo tenemos {product.stock})" if count < wanted else ""
        lines.append(
            f"• {count} × {product.name} a {pesos(product.price)} c/u ="
            f" {pesos(count * product.price)}{short}"
        )
        offers.append({"product_id": product.id, "quantity": count})
        subtotals.append(count * product.price)
    if not mentioned:
        return None
    total = sum(subtotals)
    if offers:
        lines.append(f"Total: {pesos(total)}. ¿Te los anoto en el pedido?")
    facts: dict[str, Any] = {
        "products": mentioned,
        "quantities": [o["quantity"] for o in offers],
        "subtotals": subtotals,
        "total": total,
    }
    if offers:
        facts["offer"], facts["offers"] = offers[0], offers
    say(dispatcher, action, "\n".join(["Te cotizo:", *lines]), facts)
    return [SlotSet("productos_mostrados", [m["id"] for m in mentioned])]
