"""Read checkout data out of free text: every field present in one message.

Shoppers answer the checkout form the way they write on WhatsApp: one field per message,
or all of it at once ("María José Ramírez, cc 52123456, cel 3109876543, calle 10 # 43-12
casa 2, Belén"), with corrections ("perdón, el número bien es 300…") and refusals of the
optional email ("no uso correo"). `parse_buyer_data` returns the fields it can tell apart;
the form validates each one as usual. Pure functions, no Rasa.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import phonenumbers

from actions.services.catalog import fold
from db.identity import DEFAULT_REGION, is_mobile

FIELDS = ("nombre", "cedula", "telefono", "email", "direccion", "barrio")

_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
_ID_LABEL = (
    r"(?:c\.?\s?c\.?|cc|c[eé]dula(?: de ciudadan[ií]a| de extranjer[ií]a)?|dni|c\.?\s?i\.?|"
    r"carn[eé]t?(?: de extranjer[ií]a)?|c\.?\s?e\.?|rut|nit|pasaporte|ppt|"
    r"documento|doc|identificaci[oó]n|ine|curp|pasaporte|n[uú]mero de documento)"
)
_ID = re.compile(
    rf"\b{_ID_LABEL}\b[\s:.#°nNoº-]*(?:es\s+|:\s*)?((?:\d[\d.\s-]{{4,13}}\d))", re.IGNORECASE
)
_BARE_ID = re.compile(r"(?<![\d+])(\d{1,3}(?:\.\d{3}){1,3}|\d{6,10})(?![\d])")
_STREET = (
    r"calle|cl|cll|carrera|cra|cr|kr|kra|avenida|av|avda|diagonal|dg|transversal|tv|trans|"
    r"circular|circunvalar|autopista|jir[oó]n|jr|pasaje|psje|mz|manzana|lote|urbanizaci[oó]n|"
    r"urb|colonia|col|prolongaci[oó]n|prol|camino|km|kil[oó]metro|vereda|sector|conjunto|"
    r"edificio|torre|bloque|casa|apto|apartamento|departamento|depto|dpto"
)
# The street word stands alone ("cl 45", "Cra. 43A"), not inside a word ("cloralex").
_ADDRESS = re.compile(rf"\b(?:{_STREET})(?![a-záéíóúüñ])\.?\s*[\w#°º-]", re.IGNORECASE)
# Words that are also things ("Postobón de manzana", "conjunto topper", "casa de muñecas"):
# an address word only before a number or a lone letter ("Mz. H", "casa 12", "torre 3").
_WEAK_STREET = re.compile(
    r"^(?:mz|manzana|lote|conjunto|edificio|torre|bloque|casa|apto|apartamento|departamento|"
    r"depto|dpto|sector|colonia|col)$",
    re.IGNORECASE,
)
_WEAK_FOLLOW = re.compile(r"\.?\s*(?:n[°º.]?\s*)?(?:\d|[a-z]\b)", re.IGNORECASE)
# A number that is a size or a count of a product, not a house number: "talle 8",
# "número 5", "x 12", "3 litros", "500 gramos".
_SIZE_NUMBER = re.compile(
    r"(?:\b(?:talles?|tallas?|n[uú]mero|nro|n[°º]|size|x)\s*\d+[\d,./]*|"
    r"\d+[\d,./]*\s*(?:kg|kilos?|g|gr|gramos?|ml|cc|l|lt|lts|litros?|gb|tb|w|cm|mm|m|mts|"
    r"metros?|pulgadas?|oz|lb|libras?|mah|v|unidades|und)\b)",
    re.IGNORECASE,
)


_CONNECTOR = re.compile(r"\b(?:de|del|y|para|con|una?|unos|unas)\b", re.IGNORECASE)


def _street_start(part: str) -> int | None:
    """Where the address in `part` starts (its first street word), or None."""
    weak = first = None
    for match in _ADDRESS.finditer(part):
        word = re.match(r"[\wáéíóúüñ]+", part[match.start() :])
        if word is None or not _WEAK_STREET.match(word.group()):
            return match.start()  # "Calle", "Av.", "Jr.": an address for sure
        first = match.start() if first is None else first
        if weak is None and _WEAK_FOLLOW.match(part, match.start() + word.end()):
            # "conjunto Los Pinos casa 5": from the first address word, unless talk lies
            # between ("Postobón de manzana y una … casa 12").
            between = part[first : match.start()]
            weak = first if not _CONNECTOR.search(between) else match.start()
    return weak


def _only_sizes(value: str) -> bool:
    """True when every number of `value` is a size or count ("conjunto topper talle 8")."""
    return not any(ch.isdigit() for ch in _SIZE_NUMBER.sub(" ", value))


_ADDRESS_LABEL = re.compile(
    r"\b(?:direcci[oó]n|dir|domicilio|v[ií]vo en|queda en|env[ií](?:a|e|en)(?:lo)? a|"
    r"entrega en|mand(?:a|e)lo a)\b[\s:,.-]*",
    re.IGNORECASE,
)
_BARRIO_LABEL = re.compile(
    r"(?:en\s+(?:el\s+|la\s+)?)?\b(?:barrio|brr|b/|bario|colonia|col\.|urbanizaci[oó]n|"
    r"distrito|sector|comuna|localidad|municipio|zona)\b[\s:.-]*(?:es\s+)?",
    re.IGNORECASE,
)
_NAME_LABEL = re.compile(
    r"^(?:.*?\b)?(?:me llamo|mi nombre es|mi nombre completo es|nombre completo|nombre|"
    r"a nombre de|soy)\b[\s:,-]*",
    re.IGNORECASE,
)
_PHONE_LABEL = re.compile(
    r"\b(?:cel(?:ular)?|m[oó]vil|tel(?:[eé]fono)?|whats(?:app)?|wasap|n[uú]mero|contacto)\b",
    re.IGNORECASE,
)
_EMAIL_LABEL = re.compile(r"\b(?:correo|email|e-mail|mail|gmail)\b", re.IGNORECASE)
# "no uso mail", "ni tengo mail", "prefiero no dejar mail", "no tengo eso del correo",
# "sin correo"; "mail no tengo", "correo: ninguno".
_NO_EMAIL = re.compile(
    r"\b(?:no|ni|sin)\b(?:\s+[\wáéíóúñ]+){0,3}?\s+(?:correo|email|e-mail|mail)\b|"
    r"\b(?:correo|email|e-mail|mail)\s*:?\s*(?:no(?:\s+(?:tengo|uso|manejo))?\b|ninguno\b|nada\b)",
    re.IGNORECASE,
)
_WORDS_ONLY = re.compile(r"^[A-Za-zÁÉÍÓÚÜÑáéíóúüñ'. -]+$")
# Commas and the like; "… y mi celular …"; and, in a message with no commas ("mi nombre es
# Elena Chumpitaz mi dni es …"), every "mi <field>" starts a new piece.
_SEPARATORS = re.compile(
    r"\s*(?:[,;\n|/]|\s-\s|"
    # "Nombre: Claudia Moreno. Documento: 2093847561. Colonia: …" (not "Av. Hidalgo")
    r"\.\s+(?=(?:nombre|documento|doc|c[eé]dula|dni|tel[eé]fono|tel|cel|celular|correo|"
    r"email|direcci[oó]n|colonia|barrio|distrito)\b)|\by\s+(?=(?:mi|el|la)\b)|"
    r"(?<!\ben)\s(?=(?:mis?|la|el|en\s+el|del)\s+(?:nombre|dni|c[eé]dula|celular|cel|tel[eé]fono|"
    r"n[uú]mero|correo|email|direcci[oó]n|barrio|distrito)\b))\s*",
    re.IGNORECASE,
)
_FILLER = re.compile(
    r"^(?:hola|buenas|ok|okey|listo|dale|bueno|perdon|perdón|disculpa|ah|mis datos(?: son)?|"
    r"aqui van|aquí van|ahi van|ahí van|te los paso|los datos|datos|"
    r"ah[ií] (?:te|le) van?|aqu[ií] (?:te|le) van?|ah[ií] va|(?:te|le) paso(?: mis datos)?|"
    r"ya mire|mire|oiga|oye|todav[ií]a|a[uú]n|por ahora|la verdad|pues)\b[\s,:.!-]*",
    re.IGNORECASE,
)
_CORRECTION = re.compile(
    r"\b(?:perd[oó]n|perdon|corrijo|correcci[oó]n|me equivoqu[eé]|equivoque|error|mejor|"
    r"el bueno es|bien es|es el|era|no es|sino)\b",
    re.IGNORECASE,
)
_QUESTION = re.compile(r"\?|^(?:cu[aá]nto|cu[aá]l|qu[eé]|c[oó]mo|d[oó]nde|tienen|hay)\b", re.I)


# What is left of "mi dni es 40698215 mi celular 968…" once the values and labels are taken.
_DANGLING = re.compile(
    r"\b(?:mis?|es|son|y|la|el)\b(?=\s*(?:$|[,;]|\b(?:mis?|es|son|y|la|el)\b))", re.I
)


def _strip_filler(text: str) -> str:
    previous = None
    while previous != text:
        previous = text
        text = _FILLER.sub("", text.strip())
    return text.strip(" .,:;-")


def find_email(text: str) -> str | None:
    """The email address in `text`, lower-cased."""
    match = _EMAIL.search(text)
    return match.group().lower() if match else None


def find_mobile(text: str, region: str = DEFAULT_REGION) -> tuple[str, str] | None:
    """The first mobile number in `text` as (E.164, the span typed)."""
    try:
        matches = list(phonenumbers.PhoneNumberMatcher(text, region, leniency=1))
    except Exception:  # a malformed text must never break the form
        return None
    for m in matches:
        e164 = phonenumbers.format_number(m.number, phonenumbers.PhoneNumberFormat.E164)
        if is_mobile(e164):
            return e164, m.raw_string
    return None


def find_cedula(text: str, *, bare: bool) -> tuple[str, str] | None:
    """An ID number as (digits, span): labelled ("cc 52.123.456"), or bare when `bare`."""
    match = _ID.search(text)
    if match:
        digits = re.sub(r"\D", "", match.group(1))
        if 5 <= len(digits) <= 12:
            return digits, match.group(0)
    if bare:
        for m in _BARE_ID.finditer(text):
            digits = re.sub(r"\D", "", m.group(1))
            if 6 <= len(digits) <= 10:
                return digits, m.group(1)
    return None


_SAME_NUMBER = re.compile(
    r"\b(el mismo|este mismo|este (numero|n[uú]mero|whats(app)?|cel(ular)?)|"
    r"al que (te )?escrib|de (este|aqu[ií]) (chat|whats(app)?)|el de (aqu[ií]|este chat))\b",
    re.IGNORECASE,
)


def parse_buyer_data(
    text: str,
    *,
    requested: str | None = None,
    region: str = DEFAULT_REGION,
    sender_phone: str | None = None,
) -> dict[str, str]:
    """Every checkout field found in `text` (slot name → raw value for its validator).

    `requested` is the field the form asked for: a bare answer ("Belén", "Juan Pérez",
    "42876513") fills it; labelled or recognisable fields fill theirs whatever was asked.
    An email refusal gives `email: "no tengo"`; "el mismo de este WhatsApp" answering the
    phone question gives `sender_phone` (the verified number, None on local channels).
    """
    found: dict[str, str] = {}
    rest = " " + " ".join(str(text or "").split()) + " "
    if sender_phone and requested == "telefono" and _SAME_NUMBER.search(rest):
        return {"telefono": sender_phone}  # "el mismo de este WhatsApp": the verified number
    if _QUESTION.search(rest.strip()) and not any(ch.isdigit() for ch in rest):
        return found
    email = find_email(rest)
    if email:
        found["email"] = email
        rest = re.sub(re.escape(email), " ", rest, flags=re.IGNORECASE)
    elif _NO_EMAIL.search(rest):
        found["email"] = "no tengo"
        rest = _NO_EMAIL.sub(" ", rest)
    phone = find_mobile(rest, region)
    if phone:
        found["telefono"] = phone[0]
        rest = rest.replace(phone[1], " ")
    several = len(_SEPARATORS.split(rest.strip())) > 1
    cedula = find_cedula(rest, bare=requested == "cedula" or several or bool(found))
    if cedula:
        found["cedula"] = cedula[0]
        rest = rest.replace(cedula[1], " ")
    rest = _PHONE_LABEL.sub(" ", _EMAIL_LABEL.sub(" ", rest))
    rest = _DANGLING.sub(" ", rest)  # "mi dni es 4069…" with the number taken: "mi es"
    parts = [p for p in (_strip_filler(p) for p in _SEPARATORS.split(rest)) if p]
    _free_text_fields(parts, found, requested)
    return found


def _free_text_fields(parts: list[str], found: dict[str, str], requested: str | None) -> None:
    """Name, address and barrio from the comma-separated pieces left."""
    leftovers: list[str] = []
    parts = _join_address_tails(parts)
    for part in parts:
        label = _BARRIO_LABEL.match(part)
        if label and "barrio" not in found and len(part) > label.end():
            found["barrio"] = part[label.end() :].strip(" .,")
            continue
        addr_label = _ADDRESS_LABEL.search(part)
        street = _street_start(part)
        if "direccion" not in found and (addr_label or street is not None):
            # "obra en Av. Los Próceres 1180": the address starts at its street word.
            value = part[addr_label.end() :] if addr_label else part[street:]
            value = re.sub(r"^\s*(?:es|son|queda en)\s+", "", value, flags=re.I)  # "…ción es jr."
            if (any(ch.isdigit() for ch in value) and not _only_sizes(value)) or addr_label:
                found["direccion"] = value.strip(" .,")
                continue
        if (
            "direccion" not in found
            and found
            and _BARE_STREET.match(part)
            and not _only_sizes(part)
        ):
            found["direccion"] = part.strip(" .,")
            continue
        name = _NAME_LABEL.match(part)
        if name and "nombre" not in found and _WORDS_ONLY.match(part[name.end() :] or "-"):
            found["nombre"] = part[name.end() :].strip(" .,")
            continue
        leftovers.append(part)
    # "perdón, me equivoqué, es jr. huáscar 1245": the apology is nobody's barrio.
    leftovers = [p for p in leftovers if not _CORRECTION.search(p) or any(c.isdigit() for c in p)]
    if requested in ("direccion", "barrio") and requested not in found and leftovers:
        found[requested] = ", ".join(leftovers)  # "al lado de la panadería, reja verde"
        return
    for part in leftovers:
        # An unlabelled name opens the message ("María José Ramírez, cc 52…"); a piece after
        # the address ("Calle 70 # 35-48, segundo piso") is nobody's name.
        first = part is leftovers[0] and part is parts[0]
        # A full name alone, answering a question a name cannot answer (the cédula asked
        # after a name the shopper introduced themself with): the name, completed.
        alone = requested in ("cedula", "telefono", "email") and len(parts) == 1
        if (
            "nombre" not in found
            and _looks_like_name(part)
            and (requested == "nombre" or (((found and first) or alone) and len(part.split()) >= 2))
        ):
            found["nombre"] = part
            continue
        if (
            "direccion" in found
            and "barrio" not in found
            and _WORDS_ONLY.match(part)
            and len(part.split()) <= 4
            and not _CORRECTION.search(part)
        ):
            # "…, en Ciudad Jardín": the barrio, without the "en"
            found["barrio"] = re.sub(r"^(?:en|por)\s+(?:el\s+|la\s+)?", "", part, flags=re.I)
            continue
    if requested == "nombre" and "nombre" not in found and leftovers[:1]:
        found.update({"nombre": leftovers[0]} if _looks_like_name(leftovers[0]) else {})


_NOT_NAME_WORDS = frozenset(
    {
        "el",
        "la",
        "los",
        "es",
        "bien",
        "numero",
        "número",
        "mi",
        "mis",
        "al",
        "lado",
        "frente",
        "cerca",
        "por",
        "para",
        "que",
        "con",
        "sin",
        "correo",
        "celular",
        "cedula",
        "cédula",
        "direccion",
        "dirección",
        "barrio",
        "calle",
        "casa",
        "no",
        "si",
        "sí",
        # courtesy and filler: "…mejor cancele el pedido, gracias" has no name in it
        "gracias",
        "porfa",
        "favor",
        "listo",
        "dale",
        "ok",
        "bueno",
        "perfecto",
        "hola",
        "chao",
        "pedido",
        "cancele",
        "cancela",
    }
)


def _looks_like_name(part: str) -> bool:
    """1–5 words of letters (and particles inside: "Hernández de la Torre"), none of them a
    word a name never has."""
    words = part.split()
    inner = [
        w for i, w in enumerate(words) if not (0 < i < len(words) - 1 and fold(w) in _PARTICLES)
    ]
    if not _WORDS_ONLY.match(part) or not 1 <= len(inner) <= 5:
        return False
    return not any(fold(w) in _NOT_NAME_WORDS for w in inner)


_PARTICLES = frozenset({"de", "del", "la", "las", "los", "y", "e", "da", "das", "do", "dos"})


_ADDRESS_TAIL = re.compile(
    r"^(?:(?:casa|apto|apartamento|ap|dpto|depto|departamento|int|interior|torre|bloque|piso|"
    r"oficina|of|local|lote|lt|mz|manzana|etapa|conjunto|edificio|unidad|portal)\b\.?\s*\w|"
    # "segundo piso", "3er piso", "planta baja", "entre Balcarce y Moreno"
    r"(?:primer|segundo|tercer|cuarto|quinto|sexto|s[eé]ptimo|octavo|noveno|d[eé]cimo|"
    r"\d+\s*(?:er|ro|do|to|vo|no|mo|[°º]))\s*(?:piso|nivel)\b|planta baja\b|entre\s+\w)",
    re.IGNORECASE,
)
# "Zeballos 2340", "San Lorenzo 1655 1A": a street named without a street word (Argentina,
# Uruguay, Chile), recognised only inside a message that holds other fields.
_BARE_STREET = re.compile(
    r"^(?:[A-ZÁÉÍÓÚÑ][\wáéíóúüñ.']*\s+){1,4}\d{1,5}(?:\s+\w{1,4})?(?:\s+(?:piso|dpto|depto)\b.*)?$"
)


def _join_address_tails(parts: list[str]) -> list[str]:
    """ "Calle 37 Sur # 43A-50", "casa 12" → one address piece (people put a comma there)."""
    out: list[str] = []
    for part in parts:
        previous = out[-1] if out else ""
        if (
            _ADDRESS_TAIL.match(part)
            and any(ch.isdigit() for ch in previous)
            and (_ADDRESS.search(previous) or _ADDRESS_LABEL.search(previous))
        ):
            out[-1] = f"{previous}, {part}"
            continue
        out.append(part)
    return out


def is_correction(text: str) -> bool:
    """True when the shopper says they are correcting something they gave."""
    return bool(_CORRECTION.search(fold(text)))


_DIGITS_ONLY = re.compile(r"^[\d.\s-]{6,14}$")
_WORDS_ONLY = re.compile(r"^[A-Za-zÁÉÍÓÚÜÑáéíóúüñ' ]+$")


def bare_field(text: str, slot: Callable[[str], Any]) -> str | None:
    """The checkout field a bare answer outside the form most likely fills, or None.

    "79845123" is a document (a mobile number is recognised on its own); two to five words
    are the name while none is noted; a short word once the address is noted is the barrio.
    `slot` reads the conversation's slots (`tracker.get_slot`).
    """
    value = " ".join(text.strip(" .,!").split())
    if _DIGITS_ONLY.match(value):
        return "cedula"
    if not _WORDS_ONLY.match(value) or len(value.split()) > 5:
        return None
    if not slot("nombre") and len(value.split()) >= 2:
        return "nombre"
    if slot("direccion") and not slot("barrio") and len(value.split()) <= 3:
        return "barrio"
    return None


# "Hola, soy Rosa Quispe, quería un tanque…", "Le escribe Gustavo Adolfo Sarria": a full
# name (two to five capitalised words) introduced with the order, outside the checkout.
_INTRODUCED = re.compile(
    r"\b(?i:soy|me llamo|mi nombre es|(?:le|te|les) escribe|habla|hablas con)\s+"
    r"((?:[A-ZÁÉÍÓÚÑ][a-záéíóúüñ]+)(?:\s+(?:de|del|de la|de los)?\s*[A-ZÁÉÍÓÚÑ][a-záéíóúüñ]+){1,4})"
)


def volunteered_name(text: str) -> str | None:
    """The full name a shopper introduces themself with in passing, or None."""
    match = _INTRODUCED.search(str(text or ""))
    return match.group(1).strip() if match else None
