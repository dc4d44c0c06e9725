"""Several items in one message: "mándame una escoba, dos traperos y un balde".

`split_items` cuts a request into (quantity, product words) pieces at commas, "y", "más",
"+" and new lines, dropping the lead-in ("hola, quiero…", "mándame", "también"). Only
pieces that still name something count; one piece means a plain single-item request.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from actions.services.catalog import PACKAGING, UNITS, asked_sizes, fold, terms
from actions.services.quantities import find_quantity

_SPLIT = re.compile(
    # a comma between digits is a decimal ("36,5 pulgadas", "1,5 litros"), not a list
    r"\s*(?:(?<!\d),|,(?!\d)|[;+\n:]|\s+y\s+|\s+e\s+|\s+tambi[eé]n\s+|"
    # "un termo más dos escobas", not "el celular más barato"
    r"\s+m[aá]s\s+(?!barat|car[oa]s?\b|econ[oó]mic|grande|pequeñ|chic|bonit|lind|fuerte|"
    r"potente|resistente|liger|livian|nuev|vendid|usad|popular|complet|sencill))\s*",
    re.I,
)
_LEAD = re.compile(
    r"^(?:hola+|hol[ií]+s?|ola|buenos d[ií]as|buenas tardes|buenas noches|buen d[ií]a|buenas|porfa|"
    r"por favor|me (?:mandas|manda|env[ií]as|regalas|regala|das|da|pones|agregas|vendes|vende|"
    r"separas|pasas|pasa|traes|trae|consigues|consigue)|p[aá]same|p[aá]seme|"
    r"m[aá]ndame|m[aá]ndeme|quiero|quisiera|queria|quer[ií]a|kiero|qiero|kisiera|dame|deme|"
    r"d[eé]me|"
    r"agr[eé]game|agrega|agregue|ponme|p[oó]ngame|ponle|[eé]chame|necesito|necesitamos|"
    r"requiero|regalame|reg[aá]lame|me gustar[ií]a|llevo|me llevo|voy a llevar|tambi[eé]n|"
    r"y|adem[aá]s|ok|listo|dale|bueno|entonces|pues|para(?!\s+(?:una|un|la|el|mi|mis)\b)|"
    r"de una|me cotiza|me cotizas|"
    r"aguanta|espera|esp[eé]rate|me falt[oó] algo|se me olvid[oó]|oye|mira|otra cosa|"
    r"ah|ahh|uy|ay|perd[oó]n|disculpa|tambi[eé]n quiero|y tambi[eé]n|"
    r"solicito|solicitamos|(?:una |la )?cotizaci[oó]n (?:de|por|para)|(?:una |la )?cotizaci[oó]n|"
    r"env[ií]en(?:me)?|env[ií]eme|"
    r"conforme|entendido|proceda|procedan|favor|requerimos|necesitamos|las|los|ya|"
    r"cot[ií]ceme|cotizar|me podr[ií]a cotizar|necesito cotizar|precio de|"
    r"agr[eé]gueme|agr[eé]guele|agr[eé]guenme|p[oó]ngame|p[oó]ngale|m[aá]ndeme|m[aá]ndenme|"
    r"s[uú]mele|an[oó]teme|sep[aá]reme|reg[aá]leme|d[eé]nme|env[ií]enos|tr[aá]igame|"
    # Discourse fillers of spoken-style messages ("vea le cuento es que necesito…", "ah qué
    # pena, entonces…", "espere, me faltó el pegamento"): not product words.
    r"vea|mire|f[ií]jese|f[ií]jate|oiga|[oó]igame|le cuento|les cuento|te cuento|es que|"
    r"qu[eé] pena|que pesar|qu[eé] l[aá]stima|l[aá]stima|espere|esp[eé]reme|un momento|"
    r"me falt[oó]|se me pas[oó]|se me olvidaba|como|unos|unas|ahora|tambien|"
    r"est[aá] bien|de acuerdo|que sean|que sea|qu[eé] tal|que onda|qu[eé] hubo|quiubo|"
    # Argentine voseo and Caribbean/Andean fillers ("poneme", "tenés", "eche", "sumercé").
    r"p[oó]neme|p[oó]nele|sum[aá]me|tr[aá]eme|agr[eé]g[aá]melo|agr[eé]g[aá]mela|"
    r"ten[eé]s|ten[eé]|quer[eé]s|che|eche|aj[aá]|mi llave|parce|mija|mijo|sumerc[eé]|"
    r"necesitar[ií]a|necesitar[ií]amos|ll[eé]veme|ll[eé]vame|por(?=\s+\d)|"
    r"entiendo|ya veo|"
    # Spoken lead-ins before the first item ("mire es que necesito para hoy si puede ser un
    # arroz…", "yo necesito un cargador…"): not product words.
    r"para hoy|hoy|si puede ser|puede ser|si se puede|yo|creo que|eh+|mm+|o sea|"
    r"me (?:puede|puedes|pueden|podr[ií]an|podr[ií]as) (?:cotizar|mandar|enviar|vender|"
    r"separar|apartar|dar|pasar|regalar)|en ese caso|en tal caso|t[aá] bien)\b[\s,:!.]*",
    re.IGNORECASE,
)
# A leading quantity ("4 bombillos", "dos traperos", "media docena de", "un par de"); a
# number inside the words is a size ("olla de 6 litros", "tornillo 6 x 1") and stays.
_LEADING_QUANTITY = re.compile(
    r"^(?:(?:media|una|1)\s+docenas?|un\s+par|\d+(?!\s*(?:[.,/x]\d|l\b|lt|kg|ml|cm|mm|m\b|"
    r"mts|metros|litros|kilos|gramos|gr\b|g\b|w\b|v\b|gb|pulgadas|\"))|un|una|uno|dos|tres|"
    r"cuatro|cinco|seis|siete|ocho|nueve|diez|once|doce|quince|veinte|treinta|cuarenta|"
    r"cincuenta|cien)\b(?:\s+(?:unidades|unidad|und|uds))?(?:\s+de\b)?\s*",
    re.IGNORECASE,
)


# "4 paquetes de lapiceros", "2 cajas de tornillos": the product is after the packaging.
_PACKAGED = re.compile(
    r"^(?:cajas?|cajitas?|bolsas?|paquetes?|packs?|pacas?|bultos?|sacos?|rollos?|frascos?|"
    r"botellas?|latas?|tiras?|unidades|unidad)\s+de\s+(?=[a-zñáéíóú])",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Item:
    """One requested line: how many (None when not said) of which product words."""

    quantity: int | None
    words: str
    # The container the count was said in ("10 bolsas de leche" → "bolsa"): it can tell
    # the bag from the box of the same milk. Not part of what the item is (equality).
    unit: str = field(default="", compare=False)


def _strip_lead(part: str) -> str:
    previous = None
    while previous != part:
        previous = part
        part = _LEAD.sub("", part.strip(" .!¡¿?"))
    return part.strip(" .!¡¿?")


_SENTENCE = re.compile(r"(?<=[.!?])\s+")
_SIZE_TAIL = re.compile(r"\s+(?:de\s+)?\d.*$")


# A run-on list without commas ("un grifo para el lavatorio una llave de paso tres cintas
# teflón"): a count word after a word that is not "de"/"x"/"talla"… starts a new item.
_RUN_ON = re.compile(
    r"(?<=[a-zñáéíóú])(?<!\bde)(?<!\bx)(?<!\ba)(?<!\bcon)(?<!\bpor)(?<!\btalla)(?<!\bcada)"
    r"(?<!\bpara)(?<!\ben)(?<!\bque)(?<!\bes)(?<!\bsin)(?<!\bhacer)"
    r"\s+(?=(?:una|dos|tres|cuatro|cinco|seis|siete|ocho|nueve|diez|doce|veinte)\s+"
    r"(?!de\b|por\b|x\b|metros?\b|litros?\b|kilos?\b|cm\b|mm\b|pulgadas?\b)"
    r"[a-zñáéíóú]{3,})",
    re.IGNORECASE,
)
# Chatter between the items of a spoken-style message ("estoy arreglando el baño").
_CHATTER = re.compile(
    r"^(?:estoy|estamos|ando|andamos|voy|vamos|tengo|tenemos|es|son|era|fue|sería|seria|"
    r"hice|hago|hay que|ten[ií]a|tenia|queremos arreglar|arreglando|lo dem[aá]s|el resto|"
    r"para (?:una|un|la|el|mi|mis)\b|hacer\b|"
    r"todo lo dem[aá]s|bien)\b",
    re.IGNORECASE,
)
# "wincha como le dicen aquí", "esmeril, o como se diga": how it is called is no product.
_NAMING = re.compile(r"\s*,?\s*\b(?:como|que) (?:le|les|lo|la|se) (?:dicen|llaman|dice|diga)\b.*$")
_LITRO_Y_MEDIO = re.compile(
    r"\b(?:un |una )?(litro|kilo|gal[oó]n|metro|libra)s? y medio\b", re.IGNORECASE
)
_NOTHING_BUT = PACKAGING | frozenset({"par", "pares"})
# Units a size is said in ("el de litro", "la de 5 kilos", "el de galón").
_SIZE_UNITS = PACKAGING | UNITS
_PACKAGED_FIRST = re.compile(r"^\s*(?:\d+\s+)?(?:cajas?|bolsas?|paquetes?|bultos?|rollos?)\b", re.I)
# "soy Valeria Soledad Paz 😊 quiero la calza…", "soy de la oficina, necesito 6…":
# an introduction before the request verb is not part of the item.
_INTRO_THEN_REQUEST = re.compile(
    r"^.*?\b(?:soy|me llamo|mi nombre es|(?:le|les|te) escrib[o]|le habla|"
    r"habla)\b.*?\b(?=(?:quiero|quisiera|quer[ií]a|necesito|necesitar[ií]a|busco|dame|deme|"
    r"me das|me da|me regalas|me regala|me vendes|me vende|me pasas|me mandas)\b)",
    re.IGNORECASE,
)


# A reason, then the request: "que el mío se dañó, entonces el cable lightning de un metro".
_REASON_THEN = re.compile(
    r"^\s*(?:que|porque|como|ya que|pues)\b.*?\b(?:entonces|asi que|así que|por eso)\s+",
    re.IGNORECASE,
)


# Taking the product just quoted or shown, in so many words: "me llevo esos", "me lo
# llevo", "agrégalo", "mandámelo", "apártemelo", "esa está bien", "la llevo".
_TAKE_IT = re.compile(
    r"\b(?:(?:me )?(?:lo|la|los|las) (?:llevo|quiero|compro|aparto)|"
    r"(?:me )?llevo (?:ese|esa|esos|esas|este|esta|estos|estas|uno|una)|"
    r"(?:agreg|mand|pon|p[oó]n|apart|separ|anot|envi|pas)[a-záéíóú]*(?:lo|la|los|las)|"
    r"(?:ese|esa|esos|esas|este|esta|estos|estas) (?:esta bien|me sirve|me gusta|me sirven|"
    r"me gustan|estan bien|va|nomas|mismo|misma|mismos|mismas)|"
    r"(?:dale|quiero|dame|deme) (?:ese|esa|esos|esas|este|esta|estos|estas))\b"
)


def takes_it(piece: str) -> bool:
    """True when `piece` only takes the product just quoted or shown ("me llevo esos")."""
    folded = fold(piece)
    if not _TAKE_IT.search(folded):
        return False
    rest = _strip_lead(_TAKE_IT.sub(" ", folded))
    lead = _LEADING_QUANTITY.match(rest)
    rest = rest[lead.end() :] if lead else rest
    return not [w for w in terms(rest) if not w.isdigit()]


def split_sentences(text: str) -> list[str]:
    """The sentences of `text` (split after ".", "!" or "?"), empty ones dropped."""
    return [s for s in _SENTENCE.split(text or "") if s.strip()]


def _pieces(text: str) -> list[tuple[int, str]]:
    """The comma/"y" pieces of the sentences that ask for quantities (all when none do);
    a sentence that takes the product just quoted ("dale, agrégalo.") counts as asking."""
    sentences = split_sentences(text)
    counted = [s for s in sentences if find_quantity(_strip_lead(s)) is not None]
    if counted:
        counted = [s for s in sentences if s in counted or _TAKE_IT.search(fold(s))]
    pieces = [(n, p) for n, s in enumerate(counted or sentences) for p in _SPLIT.split(s)]
    return [(n, q) for n, p in pieces for q in _RUN_ON.split(p)]


def split_items(text: str) -> list[Item]:
    """The items of a request, in the order written (see the module docstring)."""
    items: list[Item] = []
    text = _LITRO_Y_MEDIO.sub(r"1.5 \1s", text or "")  # not "litro" and "medio"
    starts: dict[int, int] = {}  # sentence → how many items there were when it began
    for sentence, raw in _pieces(text):
        start = starts.setdefault(sentence, len(items))
        if takes_it(raw):
            # "dale, me llevo esos. y unas canilleras": the quoted one, then the rest. After
            # items of its own sentence it points at them ("el más barato, ese nomás").
            if len(items) == start:
                items.append(Item(order_quantity(raw), ""))
            continue
        part = _strip_lead(_REASON_THEN.sub("", _INTRO_THEN_REQUEST.sub("", raw)))
        if not part or _CHATTER.match(part):
            continue
        part = _NAMING.sub("", part)
        lead = _LEADING_QUANTITY.match(part)
        quantity = find_quantity(lead.group()) if lead else None
        words = part[lead.end() :] if lead else part
        container = _PACKAGED.match(words)
        unit = next(iter(terms(container.group().split()[0])), "") if container else ""
        words = _PACKAGED.sub("", words)
        content = [w for w in terms(words) if not w.isdigit()]
        packed = re.findall(r"[a-zñ]+", fold(words))
        if items and quantity is not None and packed and set(packed) <= _NOTHING_BUT:
            # "los de nitrilo, 12 pares": the count of the item before.
            items[-1] = Item(quantity, items[-1].words)
            continue
        if (
            items
            and items[-1].words
            and not quantity
            and set(content) <= _SIZE_UNITS
            and asked_sizes(words)
            and not _PACKAGED_FIRST.match(words)
        ):
            # "y dos aceites premier, el de litro": the size of the item before.
            items[-1] = Item(items[-1].quantity, f"{items[-1].words} {words}")
            continue
        if items and content and set(content) <= PACKAGING and items[-1].words:
            # "tornillos drywall, deme 5 cajas": the quantity of the item before.
            items[-1] = Item(quantity or items[-1].quantity, items[-1].words)
        elif content and set(content) <= PACKAGING:
            items.append(Item(quantity, ""))  # "2 bultos": of the product just shown
        elif content:
            items.append(Item(quantity, words, unit))
        elif quantity is not None and not words.strip():
            if items:  # "el de 1 litro con pitillo, dame dos": the count of that item
                items[-1] = Item(quantity, items[-1].words)
            else:  # "ya, uno, y …": of the product just shown
                items.append(Item(quantity, ""))
        elif not content and asked_sizes(words):
            items.append(Item(quantity, words))  # "la de 5": a size of the product shown
        elif quantity is not None and not any(ch.isdigit() for ch in words):
            # "dame 3 de esas y …", "deme los 3 que tiene y …": the product just shown or
            # offered, with this count.
            items.append(Item(quantity, ""))
        elif items and quantity is not None and any(ch.isdigit() for ch in words):
            # "50 fierros de 1/2 y 80 de 3/8": the second shares the first one's noun.
            head = _SIZE_TAIL.sub("", items[-1].words)
            items.append(Item(quantity, f"{head} {words.removeprefix('de ').strip()}"))
    return items


def is_multi_item(text: str) -> bool:
    """True when `text` asks for two or more different things."""
    items = split_items(text)
    return len(items) >= 2 and len({fold(i.words) for i in items}) >= 2


_UNIT = (
    r"(?:l|lt|lts|litros?|kg|kilos?|g|gr|gramos?|ml|cm|mm|m|mts|metros?|pulgadas?|w|v|gb|tb|"
    r"mah|tazas?|puestos?|velocidades|hilos|x|años|meses|etapa)"
)
_COUNT = re.compile(
    rf"(?<![\w./#])(?<!x\s)(?<!talla\s)(?<!etapa\s)(?<!modelo\s)(?<!numero\s)"
    rf"(?<!el de\s)(?<!la de\s)(?<!los de\s)(?<!las de\s)(?<!rin\s)"
    rf"(\d+|un|una|uno|dos|tres|cuatro|cinco|seis|siete|ocho|nueve|diez|once|doce|"
    rf"quince|veinte|treinta|cuarenta|cincuenta|cien|media docena|una docena|un par)\b"
    rf"(?!\s*(?:{_UNIT}\b|[./x]\d))",
    re.IGNORECASE,
)


def order_quantity(text: str) -> int | None:
    """How many units `text` asks for, ignoring sizes ("el de 1 litro, dame dos" → 2).

    The first count that is not a size (a number after "x", "talla", "etapa"…, or before
    a unit) wins.
    """
    counts = [find_quantity(m.group(1)) for m in _COUNT.finditer(fold(text or ""))]
    counts = [c for c in counts if c is not None]
    return counts[0] if counts else None


# A product asked for in a message that also gives buyer data ("soy Natalia, quiero una
# licuadora", "quiero un secador para que me lo manden a la Circular 1 # 70-45"): from the
# buying verb to where the data begin.
_BUYING = re.compile(
    r"\b(?:quiero|quisiera|quer[ií]a|necesito|necesitaba|busco|buscaba|me\s+(?:das|da|vendes|vende|mandas|manda|env[ií]as|"
    r"regalas|regala|pasas|pasa|traes|trae)|dame|deme|d[eé]me|m[aá]ndame|m[aá]ndeme|me\s+llevo|llevo|compro|pido)\b",
    re.IGNORECASE,
)
_DATA_START = re.compile(
    r"\s*(?:\b(?:para\s+que\s+(?:me|nos)\s+(?:lo|la|los|las)|que\s+me\s+(?:lo|la|los|las)|"
    r"me\s+(?:lo|la|los|las)\s+(?:mandan|manda|env[ií]an|env[ií]a|traen|llevan)|"
    r"(?:env[ií]ar|mandar|llevar)(?:lo|la|los|las)?\s+a|a\s+(?:la\s+)?direcci[oó]n|"
    r"a\s+nombre\s+de|mi\s+(?:nombre|c[eé]dula|cel|celular|tel[eé]fono|n[uú]mero|"
    r"direcci[oó]n|correo|barrio)|soy|me\s+llamo|c\.?\s?c\.?|c[eé]dula|cel|celular|"
    r"barrio)\b|[,;]|\.(?!\d)|\d{6,}|\S+@\S+).*$",
    re.IGNORECASE | re.DOTALL,
)


def product_request(text: str) -> str:
    """The product part of a message that also gives buyer data, or "" when none."""
    match = _BUYING.search(text or "")
    if match is None:
        return ""
    request = _DATA_START.sub("", text[match.start() :]).strip()
    return request if [w for w in terms(_strip_lead(request)) if not w.isdigit()] else ""
