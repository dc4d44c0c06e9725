"""A shop's configuration file (YAML or JSON): reading, validation and the shop's columns.

The keys are those of `db/demo/shop.json` (`nombre`, `pais`, `zona_horaria`, …; the English
column names `name`, `country`, `timezone` are accepted too), and `info` uses the keys
`actions.services.shop_info` answers from. Every problem is reported at once
(`ShopConfigError.problems`); phones are normalized to E.164 by `db.identity.to_e164`, read
in the shop's country.
"""

from __future__ import annotations

import json
import re
import zoneinfo
from functools import cache
from pathlib import Path
from typing import Annotated, Any

import phonenumbers
import yaml
from pydantic import (
    AfterValidator,
    AliasChoices,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
)
from pydantic_core import PydanticCustomError

from db.identity import to_e164
from db.models import Shop

SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
# `ShopConfig` field → the Spanish key the files use (the demo's `shop.json`).
FILE_KEYS = {
    "name": "nombre",
    "country": "pais",
    "timezone": "zona_horaria",
    "notification_templates": "plantillas",
    "low_stock_threshold": "umbral_stock_bajo",
}
# A Twilio Content SID (Content Template Builder) and a notification kind name.
CONTENT_SID = re.compile(r"^HX[0-9a-fA-F]{32}$")
KIND = re.compile(r"^[a-z][a-z0-9_]{0,31}$")


class ShopConfigError(Exception):
    """The file cannot be read or does not validate; `problems` lists `(field, reason)`."""

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        super().__init__("; ".join(f"{f}: {r}" for f, r in problems))
        self.problems = problems


def _problem(reason: str) -> PydanticCustomError:
    return PydanticCustomError("shop_config", reason)


@cache
def _timezones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def _phone(value: str, info: ValidationInfo) -> str:
    region = (info.context or {}).get("region")
    # Without a valid country only "+<country code>" numbers can be read ("ZZ": unknown).
    e164 = to_e164(value, region or "ZZ")
    if e164 is None:
        where = f"in country {region}" if region else "(write it with its +country code)"
        raise _problem(f"{value!r} is not a valid phone number {where}")
    return e164


Phone = Annotated[str, AfterValidator(_phone)]
Text = Annotated[str, Field(min_length=1, max_length=2000)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, populate_by_name=True)


class DeliveryZone(_Strict):
    """One delivery zone: where, what it costs (whole pesos) and how long it takes."""

    zona: Annotated[str, Field(min_length=1, max_length=200)]
    costo: Annotated[int, Field(ge=0)] | None = None
    tiempo: Annotated[str, Field(max_length=200)] | None = None


class Delivery(_Strict):
    """`info.domicilios`: a description, the zones and the free-delivery threshold."""

    descripcion: Text | None = None
    zonas: list[DeliveryZone] = Field(default_factory=list)
    gratis_desde: Annotated[int, Field(ge=0)] | None = None


class ShopInfo(_Strict):
    """`Shop.info`: what the bot answers about the shop (`actions/services/shop_info.py`)."""

    horario: Text | None = None
    direccion: Text | None = None
    telefono: Phone | None = None
    domicilios: Delivery | None = None
    medios_de_pago: list[Annotated[str, Field(min_length=1, max_length=200)]] | None = None
    nequi: Annotated[str, Field(min_length=1, max_length=64)] | None = None
    daviplata: Annotated[str, Field(min_length=1, max_length=64)] | None = None
    devoluciones: Text | None = None

    @field_validator("domicilios", mode="before")
    @classmethod
    def _plain_text_delivery(cls, value: Any) -> Any:
        return {"descripcion": value} if isinstance(value, str) else value


ContentSid = Annotated[str, Field(pattern=r"^HX[0-9a-fA-F]{32}$")]


class QuickReplies(_Strict):
    """`quick_replies`: WhatsApp quick-reply templates (Twilio Content API SIDs, `HX…`).

    Each is a session template whose body is `{{1}}` (the bot's text) with the buttons of
    docs/MEDIA.md; without one the question goes as text with its typed options.
    """

    confirmar_pedido: ContentSid | None = None  # buttons "si" / "no"


def _alias(spanish: str, english: str) -> Any:
    return Field(validation_alias=AliasChoices(spanish, english), serialization_alias=spanish)


class ShopConfig(_Strict):
    """Everything a shop owner configures. Country comes first: the phones are read in it."""

    slug: Annotated[str, Field(max_length=64)]
    name: Annotated[str, Field(min_length=1, max_length=200)] = _alias("nombre", "name")
    country: str = _alias("pais", "country")
    timezone: str = _alias("zona_horaria", "timezone")
    whatsapp_number: Phone
    persona: Annotated[str, Field(max_length=4000)] = ""
    staff_phones: list[Phone] = Field(default_factory=list)
    info: ShopInfo = Field(default_factory=ShopInfo)
    quick_replies: QuickReplies = Field(default_factory=QuickReplies)
    # Notification kind (`order_status`, `low_stock`) → approved WhatsApp template: the
    # only messages the shop may start outside the 24-hour window (docs/OPS.md).
    notification_templates: dict[str, str] = Field(
        default_factory=dict,
        validation_alias=AliasChoices("plantillas", "notification_templates"),
        serialization_alias="plantillas",
    )
    low_stock_threshold: Annotated[int, Field(ge=0, le=2**31 - 1)] = Field(
        default=5,
        validation_alias=AliasChoices("umbral_stock_bajo", "low_stock_threshold"),
        serialization_alias="umbral_stock_bajo",
    )

    @field_validator("slug")
    @classmethod
    def _slug(cls, value: str) -> str:
        if not SLUG.match(value):
            raise _problem(
                f"{value!r}: use lowercase letters, digits and single hyphens (e.g. papeleria-sol)"
            )
        return value

    @field_validator("country")
    @classmethod
    def _country(cls, value: str) -> str:
        if value.upper() not in phonenumbers.SUPPORTED_REGIONS:
            raise _problem(f"{value!r} is not an ISO 3166 alpha-2 country code (e.g. CO, MX)")
        return value.upper()

    @field_validator("timezone")
    @classmethod
    def _timezone(cls, value: str) -> str:
        if value not in _timezones():
            raise _problem(f"{value!r} is not an IANA time zone (e.g. America/Mexico_City)")
        return value

    @field_validator("notification_templates")
    @classmethod
    def _templates(cls, value: dict[str, str]) -> dict[str, str]:
        for kind, sid in value.items():
            if not KIND.match(kind):
                raise _problem(
                    f"{kind!r}: a kind is lowercase letters, digits and _ (order_status)"
                )
            if not CONTENT_SID.match(sid.strip()):
                raise _problem(
                    f"{kind}: {sid!r} is not a Twilio Content SID (HX followed by 32 hex digits)"
                )
        return {kind: sid.strip() for kind, sid in value.items()}

    @field_validator("staff_phones")
    @classmethod
    def _unique(cls, value: list[str]) -> list[str]:
        return list(dict.fromkeys(value))

    def to_file_dict(self) -> dict[str, Any]:
        """The configuration under the file's keys (what `show` prints, `update` reads)."""
        return self.model_dump(by_alias=True, exclude_none=True)

    def columns(self) -> dict[str, Any]:
        """The `Shop` columns this configuration sets."""
        data = self.model_dump(exclude={"info", "quick_replies"})
        data["info"] = self.info.model_dump(exclude_none=True)
        data["quick_replies"] = self.quick_replies.model_dump(exclude_none=True) or None
        return data


def _region(data: dict[str, Any], fallback: str | None) -> str | None:
    raw = data.get("pais", data.get("country"))
    if isinstance(raw, str) and raw.strip().upper() in phonenumbers.SUPPORTED_REGIONS:
        return raw.strip().upper()
    return fallback if raw is None else None


def _field(loc: tuple[int | str, ...]) -> str:
    return ".".join(str(part) for part in loc) or "(file)"


def _reason(error: Any) -> str:
    if error["type"] == "extra_forbidden":
        return "unknown key (see docs/examples/shop.yaml for the keys)"
    if error["type"] == "missing":
        return "required"
    return str(error["msg"])


def validate_config(data: Any, *, region: str | None = None) -> ShopConfig:
    """`data` (a parsed file) as a `ShopConfig`, or `ShopConfigError` with every problem.

    `region` is the country to read phones in when `data` has none (an update).
    """
    if not isinstance(data, dict):
        raise ShopConfigError([("(file)", "must be a mapping of keys to values")])
    try:
        return ShopConfig.model_validate(data, context={"region": _region(data, region)})
    except ValidationError as exc:
        problems = [(_field(e["loc"]), _reason(e)) for e in exc.errors()]
        raise ShopConfigError(problems) from None


class _TextLoader(yaml.SafeLoader):
    """YAML where only `null` is implicit: `+52 55…`, `NO`, `8:00` and `6000` stay text.

    YAML 1.1 would read an unquoted `+525512345678` as an integer (losing the `+`) and the
    country `NO` as false; validation converts numbers where a number is expected.
    """


_TextLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag == "tag:yaml.org,2002:null"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def read_file(path: Path) -> Any:
    """The parsed content of a YAML (`.yaml`, `.yml`) or JSON file."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise ShopConfigError([("(file)", f"not valid UTF-8 at byte offset {exc.start}")]) from None
    try:
        if path.suffix.lower() == ".json":
            return json.loads(text)
        return yaml.load(text, Loader=_TextLoader)
    except json.JSONDecodeError as exc:
        raise ShopConfigError([("(file)", f"invalid JSON: {exc}")]) from None
    except yaml.YAMLError as exc:
        raise ShopConfigError([("(file)", f"invalid YAML: {exc}")]) from None


def load_config(path: Path) -> ShopConfig:
    """Read and validate a shop file (`create`)."""
    return validate_config(read_file(path))


def file_dict_of(shop: Shop) -> dict[str, Any]:
    """A stored shop under the file's keys, as stored (no admin token: not configuration)."""
    return {
        "slug": shop.slug,
        "nombre": shop.name,
        "pais": shop.country,
        "zona_horaria": shop.timezone,
        "whatsapp_number": shop.whatsapp_number,
        "persona": shop.persona or "",
        "staff_phones": list(shop.staff_phones or []),
        "info": dict(shop.info or {}),
        "quick_replies": dict(shop.quick_replies or {}),
        "plantillas": dict(shop.notification_templates or {}),
        "umbral_stock_bajo": shop.low_stock_threshold,
    }


def merged_config(shop: Shop, changes: Any) -> ShopConfig:
    """`shop`'s configuration with the keys of `changes` replaced (`update`), validated.

    `info` and `quick_replies` are merged key by key; a key set to null is removed.
    """
    if not isinstance(changes, dict):
        raise ShopConfigError([("(file)", "must be a mapping of keys to values")])
    merged = file_dict_of(shop)
    for key, value in changes.items():
        key = FILE_KEYS.get(str(key), str(key))
        if key in ("info", "quick_replies") and isinstance(value, dict):
            merged[key] = {**merged[key], **value}
        else:
            merged[key] = value
    return validate_config(merged, region=shop.country)
