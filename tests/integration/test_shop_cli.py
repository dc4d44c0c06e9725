"""`tendero shop create|update|show|rotate-token` through typer's CliRunner, on both backends.

The admin token a command prints is checked against the real admin API (`/admin/dashboard`),
so "printed once, only its hash stored" is proven end to end.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import yaml
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner, Result

from actions.services.shop_info import answer_info
from db.models import Shop
from db.shop_config import load_config
from scripts.tendero import app
from tests.integration.admin.app import admin_app

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "docs" / "examples" / "shop.yaml"
EXAMPLE_CATALOG = ROOT / "docs" / "examples" / "catalog.csv"
DEMO = ROOT / "db" / "demo" / "shop.json"
TOKEN = re.compile(r"Admin token of '[a-z0-9-]+': (\S+)")


def run(db_url: str, *args: str) -> Result:
    """Invoke the CLI with DATABASE_URL pointing at the test database."""
    return CliRunner().invoke(app, list(args), env={"DATABASE_URL": db_url, "COLUMNS": "200"})


def token_of(result: Result) -> str:
    """The admin token a command printed; asserts it was printed exactly once."""
    assert result.exit_code == 0, result.output
    tokens = TOKEN.findall(result.output)
    assert len(tokens) == 1, result.output
    assert result.output.count(tokens[0]) == 1
    return tokens[0]


def dashboard_status(sf: sessionmaker[Session], token: str) -> tuple[int, Any]:
    """Status and body of the admin dashboard for `token`."""
    with TestClient(admin_app(sf)) as client:
        res = client.get("/admin/dashboard", headers={"Authorization": f"Bearer {token}"})
        return res.status_code, res.json()


def stored(sf: sessionmaker[Session], slug: str) -> Shop | None:
    with sf() as session:
        return session.scalars(select(Shop).where(Shop.slug == slug)).one_or_none()


def shop_count(sf: sessionmaker[Session]) -> int:
    with sf() as session:
        return session.scalar(select(func.count()).select_from(Shop)) or 0


def write(path: Path, data: dict[str, Any]) -> Path:
    if path.suffix == ".json":
        path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    else:
        path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def test_create_from_the_example_yaml(db_url: str, session_factory: sessionmaker) -> None:
    token = token_of(run(db_url, "shop", "create", str(EXAMPLE)))
    shop = stored(session_factory, "papeleria-la-pluma")
    assert shop is not None
    assert (shop.name, shop.country, shop.timezone) == (
        "Papelería La Pluma",
        "MX",
        "America/Mexico_City",
    )
    # National and spaced numbers are stored as E.164, read in the shop's country.
    assert shop.whatsapp_number == "+525512345678"
    assert shop.staff_phones == ["+525587654321", "+525524681357"]
    assert shop.info["telefono"] == "+525556581234"
    assert shop.info["domicilios"]["zonas"][0] == {
        "zona": "Coyoacán",
        "costo": 40,
        "tiempo": "mismo día",
    }
    assert shop.info["domicilios"]["gratis_desde"] == 800
    # Only the hash is stored; the printed token opens this shop's admin API.
    assert shop.admin_token_hash and token not in shop.admin_token_hash
    status, body = dashboard_status(session_factory, token)
    assert status == 200 and body["shop"] == "Papelería La Pluma"
    # The bot answers from the stored info with the keys it reads.
    answered, _, facts = answer_info(shop.info, "¿cuánto cuesta el envío y cómo pago?")
    assert answered == ["domicilios", "medios_de_pago"]
    assert facts["domicilios"]["gratis_desde"] == 800
    # docs/ONBOARDING.md's next step: the example catalog imports into the new shop.
    result = run(db_url, "import-catalog", str(EXAMPLE_CATALOG), "--shop", "papeleria-la-pluma")
    assert result.exit_code == 0 and "created 6, updated 0" in result.output, result.output


def test_the_demo_shop_json_validates_and_creates(
    db_url: str, session_factory: sessionmaker
) -> None:
    demo = json.loads(DEMO.read_text(encoding="utf-8"))
    assert load_config(DEMO).columns()["info"] == demo["info"]  # accepted unchanged
    token = token_of(run(db_url, "shop", "create", str(DEMO)))
    shop = stored(session_factory, "demo")
    assert shop is not None and shop.whatsapp_number == demo["whatsapp_number"]
    assert dashboard_status(session_factory, token)[0] == 200


def test_create_from_json_with_english_keys(
    db_url: str, session_factory: sessionmaker, tmp_path: Path
) -> None:
    data = {
        "slug": "tienda-json",
        "name": "Tienda JSON",
        "country": "co",
        "timezone": "America/Bogota",
        "whatsapp_number": "310 987 6543",
        "staff_phones": ["+57 300 111 2233", "3001112233"],  # the same number twice
        "info": {"domicilios": "Solo en Bogotá.", "medios_de_pago": ["Nequi"]},
    }
    token_of(run(db_url, "shop", "create", str(write(tmp_path / "tienda.json", data))))
    shop = stored(session_factory, "tienda-json")
    assert shop is not None
    assert (shop.name, shop.country, shop.whatsapp_number) == (
        "Tienda JSON",
        "CO",
        "+573109876543",
    )
    assert shop.staff_phones == ["+573001112233"]
    assert shop.info == {"domicilios": {"descripcion": "Solo en Bogotá.", "zonas": []}} | {
        "medios_de_pago": ["Nequi"]
    }


BAD_YAML = """\
slug: Mi Tienda
nombre: ""
pais: XX
zona_horaria: Mars/Olympus
whatsapp_number: "123"
staff_phones: ["+573001112233", "no es un número"]
persona: hola
info:
  horarios: lunes a viernes
  telefono: "abc"
  medios_de_pago: Efectivo
  domicilios:
    zonas:
      - {zona: Centro, costo: -5}
    gratis_desde: mucho
"""


def test_every_invalid_field_is_reported_at_once(
    db_url: str, session_factory: sessionmaker, tmp_path: Path
) -> None:
    path = tmp_path / "mala.yaml"
    path.write_text(BAD_YAML, encoding="utf-8")
    result = run(db_url, "shop", "create", str(path))
    assert result.exit_code == 2, result.output
    assert "11 problem(s) in mala.yaml" in result.output
    for field, reason in [
        ("slug", "'Mi Tienda': use lowercase letters, digits and single hyphens"),
        ("nombre", "at least 1 character"),
        ("pais", "'XX' is not an ISO 3166 alpha-2 country code"),
        ("zona_horaria", "'Mars/Olympus' is not an IANA time zone"),
        ("whatsapp_number", "'123' is not a valid phone number"),
        ("staff_phones.1", "'no es un número' is not a valid phone number"),
        ("info.horarios", "unknown key"),
        ("info.telefono", "'abc' is not a valid phone number"),
        ("info.medios_de_pago", "valid list"),
        ("info.domicilios.zonas.0.costo", "greater than or equal to 0"),
    ]:
        assert re.search(rf"│ {re.escape(field)} +│ [^\n]*{re.escape(reason)}", result.output), (
            field
        )
    assert "info.domicilios.gratis_desde" in result.output
    assert "Nothing was written." in result.output
    assert shop_count(session_factory) == 0

    missing = write(tmp_path / "vacia.json", {"persona": "x"})
    result = run(db_url, "shop", "create", str(missing))
    assert result.exit_code == 2
    for field in ("slug", "nombre", "pais", "zona_horaria", "whatsapp_number"):
        assert re.search(rf"│ {field} +│ required", result.output), field
    broken = tmp_path / "rota.yaml"
    broken.write_text("slug: [sin cerrar\n", encoding="utf-8")
    result = run(db_url, "shop", "create", str(broken))
    assert result.exit_code == 2 and "invalid YAML" in result.output
    assert shop_count(session_factory) == 0


def test_duplicate_slug_or_number_is_refused(
    db_url: str, session_factory: sessionmaker, tmp_path: Path
) -> None:
    token_of(run(db_url, "shop", "create", str(EXAMPLE)))
    base = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))

    same_slug = write(tmp_path / "a.yaml", base | {"whatsapp_number": "+52 55 9999 0000"})
    result = run(db_url, "shop", "create", str(same_slug))
    assert result.exit_code == 2
    assert "a shop with slug 'papeleria-la-pluma' already exists" in result.output
    # The same number written nationally is the same number.
    same_number = write(
        tmp_path / "b.yaml", base | {"slug": "otra", "whatsapp_number": "5512345678"}
    )
    result = run(db_url, "shop", "create", str(same_number))
    assert result.exit_code == 2
    assert "+525512345678 already belongs to shop 'papeleria-la-pluma'" in result.output
    assert "Admin token" not in result.output
    assert shop_count(session_factory) == 1


def test_rotate_token_invalidates_the_old_one(db_url: str, session_factory: sessionmaker) -> None:
    old = token_of(run(db_url, "shop", "create", str(EXAMPLE)))
    new = token_of(run(db_url, "shop", "rotate-token", "papeleria-la-pluma"))
    assert new != old
    assert dashboard_status(session_factory, old)[0] == 401
    assert dashboard_status(session_factory, new)[0] == 200
    assert run(db_url, "shop", "rotate-token", "nadie").exit_code == 2


def test_update_changes_only_the_given_fields(
    db_url: str, session_factory: sessionmaker, tmp_path: Path
) -> None:
    token = token_of(run(db_url, "shop", "create", str(EXAMPLE)))
    before = stored(session_factory, "papeleria-la-pluma")
    assert before is not None
    changes = tmp_path / "cambios.yaml"
    changes.write_text(
        "nombre: Papelería La Pluma Coyoacán\n"
        "staff_phones: ['55 1111 2222']\n"
        "info:\n  horario: Lunes a sábado de 9:00 a 20:00\n  devoluciones: null\n",
        encoding="utf-8",
    )
    result = run(db_url, "shop", "update", "papeleria-la-pluma", str(changes))
    assert result.exit_code == 0, result.output
    assert "Updated shop papeleria-la-pluma: name, staff_phones, info." in result.output
    after = stored(session_factory, "papeleria-la-pluma")
    assert after is not None
    assert after.name == "Papelería La Pluma Coyoacán"
    assert after.staff_phones == ["+525511112222"]
    assert after.info["horario"] == "Lunes a sábado de 9:00 a 20:00"
    assert "devoluciones" not in after.info
    assert after.info["domicilios"] == before.info["domicilios"]
    assert (after.whatsapp_number, after.persona, after.admin_token_hash) == (
        before.whatsapp_number,
        before.persona,
        before.admin_token_hash,
    )
    assert dashboard_status(session_factory, token)[0] == 200  # the token is unchanged

    bad = write(tmp_path / "mal.yaml", {"zona_horaria": "Luna/Central", "slug": "otro"})
    result = run(db_url, "shop", "update", "papeleria-la-pluma", str(bad))
    assert result.exit_code == 2 and "'Luna/Central' is not an IANA time zone" in result.output
    unchanged = stored(session_factory, "papeleria-la-pluma")
    assert unchanged is not None and unchanged.timezone == "America/Mexico_City"
    token_of(run(db_url, "shop", "create", str(DEMO)))
    steal = write(tmp_path / "robar.yaml", {"whatsapp_number": "+14155238886"})
    result = run(db_url, "shop", "update", "papeleria-la-pluma", str(steal))
    assert result.exit_code == 2 and "already belongs to shop 'demo'" in result.output
    renamed = write(tmp_path / "slug.yaml", {"slug": "nuevo-slug"})
    result = run(db_url, "shop", "update", "papeleria-la-pluma", str(renamed))
    assert result.exit_code == 2 and "the slug cannot change" in result.output
    assert run(db_url, "shop", "update", "nadie", str(changes)).exit_code == 2


def test_show_prints_the_file_without_secrets(
    db_url: str, session_factory: sessionmaker, tmp_path: Path
) -> None:
    token = token_of(run(db_url, "shop", "create", str(EXAMPLE)))
    result = run(db_url, "shop", "show", "papeleria-la-pluma")
    assert result.exit_code == 0, result.output
    shop = stored(session_factory, "papeleria-la-pluma")
    assert shop is not None and shop.admin_token_hash
    assert token not in result.output and shop.admin_token_hash not in result.output
    assert "admin_token" not in result.output.replace("# admin token: set", "")
    shown = yaml.safe_load(result.output)
    assert shown == load_config(EXAMPLE).to_file_dict()
    # What `show` prints is a valid file for `update`: feeding it back changes nothing.
    again = tmp_path / "show.yaml"
    again.write_text(result.output, encoding="utf-8")
    result = run(db_url, "shop", "update", "papeleria-la-pluma", str(again))
    assert result.exit_code == 0 and "nothing changed" in result.output
    assert run(db_url, "shop", "show", "nadie").exit_code == 2
