"""`validate_datos_cliente_form`: validates the checkout data and reuses stored clients.

`usar_datos_guardados` is asked only while a client record saved from this same
conversation identity exists (see `clients.owned_client`) and the shopper has not answered;
"sí" fills every slot from the stored client. Each `validate_<slot>` answers a bad value
with a polite Spanish reason.
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import REQUESTED_SLOT, FormValidationAction
from rasa_sdk.types import DomainDict

from actions.respond import say
from actions.runtime import get_runtime
from actions.services import checkout_data
from actions.services.checkout_data import InvalidField
from actions.services.clients import owned_client
from actions.services.context import UnknownShopError, load_shop, parse_sender
from db.identity import DEFAULT_REGION
from db.models import Client

ASK_SAVED = "usar_datos_guardados"


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
        if tracker.get_slot("requested_slot") not in (None, "barrio", "direccion"):
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
