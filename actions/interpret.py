"""`action_interpretar`: what an unclear or out-of-scope message means in this conversation.

Rasa routes `nlu_fallback` and `fuera_de_alcance` here instead of straight to an apology.
Catalogs are per shop and change daily, so the model cannot know them — this action can:

1. a follow-up about what was just shown ("listo mándame una", "échame dos de esas", "el
   azul") is an add to the cart;
2. a message that strongly matches the shop's catalog ("tornillos drywall", "aceite
   20w50") is a catalog query;
3. anything else gets the designer's response (`utter_ofrecer_ayuda` for low confidence,
   `utter_fuera_de_alcance` for off-topic).

It hands the turn to the action that does the work as a `FollowupAction`, so the turn log's
`actions` reads e.g. `action_interpretar, action_agregar_producto`, the rules that follow
("sí" after "¿Confirmas?") see the real action, and `intent_stats.grounded_turns` counts
it. The action log line is `grounded_intent`.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import FollowupAction
from rasa_sdk.executor import CollectingDispatcher

from actions.catalog import (
    _ADD_ON,
    accepts_offer,
    closing_offer,
    is_yes,
    last_bot_payload,
    other_than_shown,
    pending_offer,
    shown_products,
)
from actions.services import catalog
from actions.services.items import product_request
from actions.services.quantities import find_quantity
from actions.turn import Turn, TurnAction, latest_text

log = logging.getLogger(__name__)

_DONE = re.compile(
    r"\b(es todo|eso es todo|eso seria todo|seria todo|eso nomas|nada mas|solo eso|"
    r"eso era todo|por ahora es todo|ya es todo|listo eso|con eso|eso no mas|nomas eso|"
    r"eso noma)\b"
)
_CONFIRM = re.compile(
    r"\b(confirmo|confirmar|confirmado|confirmamos|cierra el pedido|cerrar el pedido)\b"
)
_ADD_WORDS = re.compile(
    r"\b(quiero|quisiera|dame|deme|mandame|mandeme|echame|ponme|agregame|agrega|llevo|"
    r"me llevo|la quiero|lo quiero|esa|ese|esos|esas|de esas|de esos|listo|dale|anotame|"
    r"separame|regalame|primer[oa]?|segund[oa]|tercer[oa]?|ultim[oa])\b"
)
_BUYS = re.compile(
    r"\b(quiero|quisiera|queria|necesito|dame|deme|mandame|mandeme|me llevo|llevo|"
    r"me das|me da|me pasas|me pasa|me regalas|me regala|me vende|me vendes)\b"
)
# Verbs that take something out of the cart, voseo included ("sacá", "quitá", "borrá" fold
# to "saca", "quita", "borra").
_REMOVES = re.compile(
    r"\b(quita|quitame|quitale|saca|sacame|sacale|borra|borrame|elimina|eliminame|"
    r"quitalo|quitala|sacalo|sacala|borralo|borrala)\b"
)
FALLBACK_RESPONSES = {"fuera_de_alcance": "utter_fuera_de_alcance"}
# How much of a short message must be catalog words for it to count as a catalog query.
MIN_CATALOG_COVERAGE = 0.5


def is_done(text: str) -> bool:
    """True when the shopper says the order is complete ("es todo", "nada más")."""
    return bool(_DONE.search(catalog.fold(text)))


def closes_order(turn: Turn, tracker: Tracker) -> bool:
    """True when the latest message says the order is complete and there is something to
    close: a cart, or the product the bot just offered ("es todo" after "¿Te lo agrego?");
    `action_confirmar_pedido` then takes the offer and shows the summary."""
    return is_done(latest_text(tracker)) and _can_close(turn, tracker)


def _can_close(turn: Turn, tracker: Tracker) -> bool:
    return has_cart(turn) or closing_offer(tracker) is not None


# "déjame ver cuánta plata tengo y te confirmo", "luego te aviso": not a yes, not a no.
_LATER = re.compile(
    r"\b(dejame (ver|pensar|revisar|consultar|mirar|averiguar)|deja (veo|reviso|pienso)|"
    r"lo (pienso|voy a pensar|consulto)|(luego|despues|mas tarde|manana|ahorita) te "
    r"(confirmo|aviso|digo|escribo)|te (confirmo|aviso|digo|escribo) (luego|despues|"
    r"mas tarde|manana)|ya te (confirmo|aviso)|todavia no se|"
    r"(luego|despues|mas tarde|manana) (sigo|seguimos|continuo|continuamos|retomo|lo termino)|"
    r"te dejo que|ahora no puedo)\b"
)
# Words that cancel for sure: "cancela", "anúlalo", "ya no lo quiero", "olvídalo".
_CANCEL = re.compile(
    r"\b(cancel\w*|anul\w*|ya no (lo |la |los |las )?(quiero|necesito|voy a)|"
    r"no quiero nada|olvida(lo|la|te)?|desisto|mejor no (lo |la )?(compro|llevo|pido)|"
    r"(borr|elimin|vaci|deshac|desha)\w* (todo|el pedido|la orden|el carrito|toda)|"
    r"borralo todo|deshaz|empe\w+ de cero|no va mas)\b"
)


def is_explicit_cancel(text: str) -> bool:
    """True when the shopper says in so many words that the order is off."""
    return bool(_CANCEL.search(catalog.fold(text)))


def is_postponed(text: str) -> bool:
    """True when the shopper puts the decision off ("déjame ver y te confirmo")."""
    return bool(_LATER.search(catalog.fold(text)))


def refers_to_shown(text: str, shown: list[Any]) -> bool:
    """True when `text` points at or asks for the products just shown."""
    folded = catalog.fold(text)
    return bool(
        catalog.resolve_reference(text, shown) is not None
        or _ADD_WORDS.search(folded)
        or find_quantity(text) is not None
    )


def catalog_query(turn: Turn, text: str, coverage: float = MIN_CATALOG_COVERAGE) -> bool:
    """True when `text` is mostly words of products this shop sells: at least `coverage`
    of its content words are in the name of one product the search finds."""
    # The words `name_hits` counts: "talle" of "short de nene talle 10" is no product word.
    words = [w for w in catalog.content_words(text) if not w.isdigit()]
    if not words or len(words) > 8:
        return False
    turn.session.commit()  # the search reads with its own session (SQLite lock)
    found = catalog.search_products(
        session=turn.session, shop_id=turn.shop.id, query=text, searcher=turn.searcher(), k=5
    )
    if not found:
        return False
    best = max(catalog.name_hits(text, p) for p in found)
    return best >= 1 and best / len(words) >= coverage


class ActionInterpretar(TurnAction):
    """Resolve a fallback against the conversation and the catalog before apologising; a
    thanks that also says the order is complete ("es todo, gracias") closes it."""

    action_name = "action_interpretar"

    def handle(
        self, turn: Turn, dispatcher: CollectingDispatcher, tracker: Tracker
    ) -> list[dict[str, Any]]:
        intent = ((tracker.latest_message or {}).get("intent") or {}).get("name") or ""
        if intent == "agradecer":
            # "es todo, gracias" closes the order (and takes a product just offered); a
            # plain thanks is only that — it never adds what was shown.
            if closes_order(turn, tracker):
                return _follow("action_confirmar_pedido", "done", tracker)
            dispatcher.utter_message(response="utter_de_nada")
            return []
        if intent == "despedir":
            # "bueno, deme las que tenga" answers "¿Te anoto 3?"; "es todo, chao" closes.
            text = latest_text(tracker)
            offer = pending_offer(tracker)
            if offer is not None and accepts_offer(text, offer[1]) and not is_done(text):
                return _follow("action_agregar_producto", "reference", tracker)
            if is_done(text) and has_cart(turn):
                return _follow("action_confirmar_pedido", "done", tracker)
            dispatcher.utter_message(response="utter_despedir")
            return []
        if intent == "negar":
            # "nada más", "ok, nada más" with a cart: the order is complete (the summary);
            # a plain "no" declines what was offered and never adds it.
            if is_done(latest_text(tracker)) and has_cart(turn):
                return _follow("action_confirmar_pedido", "done", tracker)
            after_quote = last_bot_payload(tracker)[0] == "action_buscar_producto"
            dispatcher.utter_message(
                response="utter_algo_mas" if after_quote else "utter_negar_sin_contexto"
            )
            return []
        response = FALLBACK_RESPONSES.get(intent, "utter_ofrecer_ayuda")
        return ground(turn, dispatcher, tracker, response)


def ground(
    turn: Turn,
    dispatcher: CollectingDispatcher,
    tracker: Tracker,
    response: str | Callable[[], list[dict[str, Any]]],
) -> list[dict[str, Any]]:
    """What the message means here, whatever intent the NLU gave it.

    A pending offer ("¿Te anoto 12?") or a reference to the shown products → add; a
    catalog match → search; otherwise `response` (a domain response name, or a callable
    giving the action's own answer).
    """
    text = latest_text(tracker)
    folded = catalog.fold(text)
    shown = shown_products(turn, tracker)
    done = is_done(text)
    if done and _can_close(turn, tracker):  # `closes_order`
        return _follow("action_confirmar_pedido", "done", tracker)
    if not done and is_yes(text) and last_bot_payload(tracker)[0] == "action_confirmar_pedido":
        # "Sí, confirmo." under the fallback threshold, right after "¿Confirmas el pedido?".
        return _follow("action_iniciar_checkout", "confirm", tracker)
    if not done and _CONFIRM.search(folded) and has_cart(turn):
        # "Sí, confirmo." under the fallback threshold with a cart: show it and ask.
        return _follow("action_confirmar_pedido", "confirm", tracker)
    if is_explicit_cancel(text) and has_cart(turn):
        # "che sabés que mejor cancelá el pedido, se me complicó" read as off-topic
        return _follow("action_cancelar_pedido", "cancel", tracker)
    if not done and _REMOVES.search(folded) and has_cart(turn):
        # "uh pará, ya me compró una campera. sacá la campera": a change to the cart
        return _follow("action_quitar_producto", "remove", tracker)
    offer = pending_offer(tracker)
    offered = offer is not None and accepts_offer(text, offer[1]) and not done
    if offered or (
        shown
        and not done
        and refers_to_shown(text, shown)
        # "¿Tienen también mouse pad? Serían 6" after the keyboard combo: another product
        and other_than_shown(turn, text, shown) is None
    ):
        return _follow("action_agregar_producto", "reference", tracker)
    if not done and catalog_query(turn, text):
        # "quisiera un Centrum para adulto": a request to buy is an add (one product goes
        # in, several are listed); a bare name or a question is a search.
        # "y una licuadora" while buying is one more line too.
        wants = (_BUYS.search(folded) or _ADD_ON.search(folded)) and "?" not in text
        return _follow(
            "action_agregar_producto" if wants else "action_buscar_producto", "catalog", tracker
        )
    request = product_request(text) if not done else ""
    if request and request != text and catalog_query(turn, request):
        # "Hola, soy Rosa Quispe, quería un tanque de agua Rotoplas": the request in it.
        return _follow("action_buscar_producto", "catalog", tracker)
    if callable(response):
        return response()
    dispatcher.utter_message(response=response)
    return []


def ground_or_empty_cart(
    turn: Turn, dispatcher: CollectingDispatcher, tracker: Tracker, action: str
) -> list[dict[str, Any]]:
    """`ground`, answering "your cart is empty" when the message means nothing more."""
    from actions.cart import say_empty_cart  # cart's actions call this module

    return ground(turn, dispatcher, tracker, lambda: say_empty_cart(dispatcher, action))


def has_cart(turn: Turn) -> bool:
    from actions.cart import open_order

    order = open_order(turn)
    return order is not None and bool(order.items)


def _follow(action: str, kind: str, tracker: Tracker) -> list[dict[str, Any]]:
    """Hand the turn to the action that does this work, as its own Rasa action.

    A FollowupAction (rather than calling its code inline) keeps the conversation's record
    true: the rules that follow ("sí" after "¿Confirmas?") see the real action.
    """
    intent = ((tracker.latest_message or {}).get("intent") or {}).get("name")
    log.info("grounded_intent kind=%s from=%s as=%s", kind, intent, action)
    return [FollowupAction(action)]


def _content(text: str) -> list[str]:
    return [w for w in catalog.terms(text) if not w.isdigit()]
