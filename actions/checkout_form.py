"""`validate_datos_cliente_form`: validates the checkout data and reuses stored clients.

`usar_datos_guardados` is asked only while a client record saved from this same
conversation identity exists (see `clients.owned_client`) and the shopper has not answered;
"sí" fills every slot from the stored client. Each `validate_<slot>` answers a bad value
with a polite Spanish reason.
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import ActionExecutionRejected, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import REQUESTED_SLOT, FormValidationAction
from rasa_sdk.types import DomainDict

from actions.interpret import is_explicit_cancel
from actions.respond import say
from actions.runtime import get_runtime
from actions.services import checkout_data
from actions.services.buyer_data import FIELDS as FIELD_NAMES
from actions.services.buyer_data import is_correction, parse_buyer_data
from actions.services.checkout_data import InvalidField
from actions.services.clients import owned_client
from actions.services.context import UnknownShopError, load_shop, parse_sender
from db.identity import DEFAULT_REGION
from db.models import Client

ASK_SAVED = "usar_datos_guardados"
FORM_NAME = "datos_cliente_form"


def _stored_client(tracker: Tracker, cedula: str | None = None) -> dict[str, Any] | None:
    """Slot values of the client record saved from this very conversation identity.

    With `cedula`, only when that cédula is the identity's own record: someone else's
    cédula (or a typo) never unlocks stored data, whatever name comes with it.
    """
    sender = parse_sender(tracker.sender_id)
    with get_runtime().session_factory() as session:
        try:
            shop = load_shop(session, sender.shop_slug)
        except UnknownShopError:
            return None
        client: Client | None = owned_client(session, shop.id, sender.user_id, cedula)
        return checkout_data.client_slots(client) if client is not None else None


DIGRESSIONS = frozenset(
    {
        "comprar",
        "consultar_inventario",
        "quitar_producto",
        "ver_pedido",
        "cancelar_pedido",
        "hablar_con_humano",
        "consultar_empresa",
        "pedir_ayuda",
        "estado_pedido",
    }
)


def _value_before_message(tracker: Tracker, slot: str) -> Any:
    """The value `slot` had before the latest user message's candidates (None if never).

    Two runs of slot events are this message's candidates, which the parser overrules: the
    NLU's slot mappings Rasa applies right after the user event, and the run after the
    form's own execution event at the end (`slots_to_validate`). A value another action
    set in between (`action_guardar_datos` noting "Andrea Vargas Pineda" just before the
    checkout opened the form) is the shopper's answer and stays.
    """
    events = list(tracker.events or [])
    users = [i for i, e in enumerate(events) if e.get("event") == "user"]
    end = len(events)
    while users and end > users[-1] and events[end - 1].get("event") == "slot":
        end -= 1  # the trailing candidates
    last_user = users[-1] if users else end
    value = None
    mapping = False  # inside the run of slot events that follows the latest user event
    for i, event in enumerate(events[:end]):
        kind = event.get("event")
        if i == last_user:
            mapping = True
        elif kind == "action":
            mapping = False
        if kind == "slot" and event.get("name") == slot and not mapping:
            value = event.get("value")
    return value


def _parsed_fields(tracker: Tracker) -> dict[str, str]:
    """The checkout fields in the latest user message (see `buyer_data`)."""
    message = tracker.latest_message or {}
    text = str(message.get("text") or "")
    if not text.strip() or text.startswith("/"):
        return {}
    intent = message.get("intent") or {}
    if is_explicit_cancel(text):
        # "pensándolo bien, mejor cancele el pedido, gracias": no field in it; the form
        # rejects the turn and the rule "cancelar dentro del formulario" cancels.
        return {}
    requested = tracker.get_slot("requested_slot")
    sender = parse_sender(tracker.sender_id)
    fields = parse_buyer_data(
        text, requested=requested, region=_shop_country(tracker), sender_phone=sender.phone
    )
    digression = (
        intent.get("name") in DIGRESSIONS
        and float(intent.get("confidence") or 0) >= 0.9
        and len(text.split()) > 3
    )
    if digression and not is_correction(text):  # keep only what cannot be anything else
        fields = {k: v for k, v in fields.items() if k in ("telefono", "email", "cedula")}
    return fields


def _shop_country(tracker: Tracker) -> str:
    """The shop's ISO country (the region national phone numbers are read in)."""
    with get_runtime().session_factory() as session:
        try:
            return load_shop(session, parse_sender(tracker.sender_id).shop_slug).country
        except UnknownShopError:
            return DEFAULT_REGION


class ValidateDatosClienteForm(FormValidationAction):
    """Validation of `datos_cliente_form` (nombre, cédula, celular, email, dirección, barrio)."""

    def name(self) -> str:
        """The Rasa action name."""
        return "validate_datos_cliente_form"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        """An explicit cancel ("mejor cancelá el pedido, se me complicó") is no answer to
        the question asked, whatever intent the model gave it: the form rejects the turn, so
        the rules answer it (`cancelar dentro del formulario`, or the fallback's grounding,
        which hands it to `action_cancelar_pedido`)."""
        text = str((tracker.latest_message or {}).get("text") or "")
        if tracker.active_loop_name == FORM_NAME and is_explicit_cancel(text):
            return [ActionExecutionRejected(FORM_NAME)]
        return await super().run(dispatcher, tracker, domain)

    async def required_slots(
        self,
        domain_slots: list[str],
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> list[str]:
        """The domain's slots; `usar_datos_guardados` only while a stored client matches."""
        slots = list(domain_slots) or [
            ASK_SAVED,
            "nombre",
            "cedula",
            "telefono",
            "email",
            "direccion",
            "barrio",
        ]
        if (
            tracker.get_slot(ASK_SAVED) is None
            and _stored_client(tracker, tracker.get_slot("cedula")) is None
        ):
            slots = [s for s in slots if s != ASK_SAVED]
        return slots

    async def next_requested_slot(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any] | None:
        """Always name the next slot (the SDK leaves it to Rasa when the list is unchanged)."""
        required = await self.required_slots(self.domain_slots(domain), dispatcher, tracker, domain)
        missing = (slot for slot in required if tracker.slots.get(slot) is None)
        return SlotSet(REQUESTED_SLOT, next(missing, None))

    async def get_extraction_events(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        """Every field present in the latest message, whichever field was asked.

        Rasa's slot mappings fill at most the requested slot (often with the whole message:
        "María José, cc 52…, cel 31…"); `buyer_data.parse_buyer_data` reads each field
        out of it, a correction of an earlier field included. Inside the form the form wins:
        a bare "Belén" answering the barrio question is the barrio even when the NLU
        thought it was a product. A clear digression (a long request for another intent)
        only contributes the fields that are unmistakable (phone, email, ID number).
        """
        # No `extract_<slot>` methods here: the parser replaces them for every field.
        parsed = _parsed_fields(tracker)
        events = [SlotSet(k, v) for k, v in parsed.items() if k in FIELD_NAMES]
        # Rasa's entity mappings fill any form slot the NLU tagged, whatever was asked (a
        # phone tagged `cedula`, a barrio tagged `nombre`): the parser decides which fields
        # this message holds, so a field it did not find keeps its value from before.
        requested = tracker.get_slot("requested_slot")
        if requested == ASK_SAVED and parsed:
            # Data typed instead of a yes/no to "¿uso tus datos guardados?": these are the
            # data for this order (what is still missing is asked next).
            events.append(SlotSet(ASK_SAVED, False))
        for slot in tracker.slots_to_validate():
            # The asked slot keeps Rasa's whole-text value only when the message held no
            # other field ("perdón, es jr. huáscar 1245" is an address, not the barrio).
            keep = slot == requested and not parsed
            if slot in FIELD_NAMES and slot not in parsed and not keep:
                events.append(SlotSet(slot, _value_before_message(tracker, slot)))
        return events

    def _say(self, dispatcher: CollectingDispatcher, text: str, **facts: Any) -> None:
        say(dispatcher, self.name(), text, facts)

    def validate_usar_datos_guardados(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """Sí → fill every slot from the stored client; no → ask the data one by one."""
        if value is not True:
            return {ASK_SAVED: False if value is False else None}
        stored = _stored_client(tracker, tracker.get_slot("cedula"))
        if stored is None:
            return {ASK_SAVED: False}
        self._say(
            dispatcher, "¡Listo! Uso tus datos guardados 👍", client={"name": stored["nombre"]}
        )
        return {**stored, ASK_SAVED: True}

    def validate_nombre(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """A name with letters (accents and ñ welcome)."""
        return self._clean("nombre", checkout_data.clean_name, value, dispatcher)

    def validate_cedula(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """6–10 digits; a cédula of a stored client offers their data (not yet accepted)."""
        result = self._clean("cedula", checkout_data.clean_cedula, value, dispatcher)
        cedula = result.get("cedula")
        if cedula and tracker.get_slot(ASK_SAVED) is not True:
            by_cedula = _stored_client(tracker, cedula)
            by_phone = _stored_client(tracker)
            already_offered = by_phone is not None and by_phone["cedula"] == cedula
            if by_cedula is not None and not already_offered:
                masked = checkout_data.mask_cedula(cedula)
                self._say(
                    dispatcher,
                    f"Encontré datos guardados con la cédula {masked}.",
                    client={"cedula": masked},
                )
                result[ASK_SAVED] = None
        return result

    def validate_telefono(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """A mobile number, national ones read in the shop's country; stored as E.164."""
        region = _shop_country(tracker)
        return self._clean(
            "telefono", lambda v: checkout_data.clean_phone(v, region), value, dispatcher
        )

    def validate_email(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """An email address, or "no tengo"."""
        return self._clean("email", checkout_data.clean_email, value, dispatcher)

    def validate_direccion(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """A non-empty delivery address."""
        return self._clean(
            "direccion", lambda v: checkout_data.clean_text(v, "la dirección"), value, dispatcher
        )

    def validate_barrio(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """A non-empty barrio, taken only when asked for or given with the address.

        NLU can tag a name ("me llamo Valeria Montoya") as a barrio; while the form asks for
        anything else, a barrio entity is ignored and the barrio is asked in its turn.
        """
        asked = tracker.get_slot("requested_slot") in (None, "barrio", "direccion")
        if not asked and "barrio" not in _parsed_fields(tracker):
            return {"barrio": None}
        return self._clean(
            "barrio", lambda v: checkout_data.clean_text(v, "el barrio"), value, dispatcher
        )

    def _clean(
        self, slot: str, cleaner: Any, value: Any, dispatcher: CollectingDispatcher
    ) -> dict[str, Any]:
        if value is None:
            return {slot: None}
        try:
            return {slot: cleaner(value)}
        except InvalidField as err:
            self._say(dispatcher, str(err), invalid_field=slot)
            return {slot: None}
