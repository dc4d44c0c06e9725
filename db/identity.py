"""Who is writing: phone numbers (E.164 via `phonenumbers`) and conversation identities.

One rule (docs/SECURITY.md): only a channel that proves the number — a Twilio-signed
WhatsApp webhook — carries a *phone identity*, the E.164 number itself (`+573001234567`).
Local channels (`/chat`, the web chat, `make chat`) get ids in their own namespace,
`<channel>:<name>` (`chat:ana`), which never parse as a phone: they are never staff, never
a client's owner by phone, and never collide with a WhatsApp conversation.

Every comparison of phones in Tendero goes through `to_e164` / `same_number`.
"""

from __future__ import annotations

import re

import phonenumbers

DEFAULT_REGION = "CO"
LOCAL_CHANNELS = ("chat", "web", "cli")
_LOCAL_NAME = re.compile(r"^[\w.@+-]{1,48}$")
_E164 = re.compile(r"^\+[1-9]\d{6,14}$")


def to_e164(raw: str | None, region: str | None = DEFAULT_REGION) -> str | None:
    """`raw` as an E.164 number, or None when it is not a valid phone number.

    National numbers are read in `region` (the shop's country): "310 987 6543" in CO is
    "+573109876543"; a number with its own "+country" prefix keeps its country. A
    `whatsapp:` prefix is ignored.
    """
    text = (raw or "").strip().removeprefix("whatsapp:").strip()
    if not text or len(text) > 40 or not any(ch.isdigit() for ch in text):
        return None
    try:
        number = phonenumbers.parse(text, (region or DEFAULT_REGION).upper())
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        national = str(number.national_number)
        if number.country_code != 52 or len(national) != 11 or not national.startswith("1"):
            return None
        # WhatsApp still writes Mexican mobiles with the old "1" after +52
        # ("+52 1 33 1234 5678"): the same line as +52 33 1234 5678.
        number = phonenumbers.parse(f"+52{national[1:]}", None)
        if not phonenumbers.is_valid_number(number):
            return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def same_number(a: str | None, b: str | None, region: str | None = DEFAULT_REGION) -> bool:
    """True when both are valid phone numbers and denote the same E.164 number."""
    ea, eb = to_e164(a, region), to_e164(b, region)
    return ea is not None and ea == eb


def is_mobile(e164: str) -> bool:
    """True for a mobile (or fixed-or-mobile) number: what a delivery contact should be."""
    try:
        kind = phonenumbers.number_type(phonenumbers.parse(e164, None))
    except phonenumbers.NumberParseException:
        return False
    return kind in (
        phonenumbers.PhoneNumberType.MOBILE,
        phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
    )


def local_user_id(channel: str, name: str) -> str:
    """The namespaced id of a local-channel user: `chat:ana`, `web:3f2a…`, `cli:dev`."""
    if channel not in LOCAL_CHANNELS:
        raise ValueError(f"not a local channel: {channel!r}")
    if not _LOCAL_NAME.match(name):
        raise ValueError("local user names are 1-48 letters, digits or . @ + - _")
    return f"{channel}:{name}"


def verified_phone(user_id: str | None) -> str | None:
    """The E.164 phone of a *phone identity*, None for local ids (`chat:…`) and junk.

    Only the orchestrator creates conversation ids: a WhatsApp sender becomes its E.164
    number, a local user `<channel>:<name>`; so a bare E.164 id is a verified number.
    """
    text = (user_id or "").strip()
    return text if _E164.match(text) else None


def is_staff_number(
    staff_phones: list[str] | None, user_id: str | None, region: str | None = DEFAULT_REGION
) -> bool:
    """True when `user_id` is a verified phone listed in `staff_phones` (any format)."""
    phone = verified_phone(user_id)
    return phone is not None and any(to_e164(p, region) == phone for p in staff_phones or [])
