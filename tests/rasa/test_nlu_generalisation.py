"""The NLU model finds product phrases it has never seen, for any shop's catalog.

Catalogs change daily and must never require retraining, so product names are not learned:
the model learns where a product phrase sits ("tienen ___", "quiero 2 ___"). These
messages name products that appear nowhere in the training data (checked below) and,
except the issue's own "termos" example, nowhere in the demo catalog either.
"""

from __future__ import annotations

import json
import re
import unicodedata
from pathlib import Path

import pytest

from tests.rasa.conftest import ROOT, RasaServer

pytestmark = pytest.mark.rasa

# (message, intent, product phrase, quantity or None)
CASES = [
    ("¿tienen hamacas?", "consultar_inventario", "hamacas", None),
    ("quiero 2 termos grandes", "comprar", "termos grandes", "2"),
    ("buenas, ¿cuánto vale el kayak inflable?", "consultar_inventario", "kayak inflable", None),
    ("a como tienen las mecedoras de madera", "consultar_inventario", "mecedoras de madera", None),
    ("hola, venden trampolines?", "consultar_inventario", "trampolines", None),
    ("agrégame un par de binoculares", "comprar", "binoculares", "un par"),
    ("dame media docena de cojines bordados", "comprar", "cojines bordados", "media docena"),
    ("me llevo tres bandoneones", "comprar", "bandoneones", "tres"),
]
IN_DEMO_CATALOG = {"termos"}  # the example; every other word is unseen everywhere


def _plain(text: str) -> str:
    """Lowercase without accents, so "agrégame" and "agregame" compare equal."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _training_text() -> str:
    files = sorted((ROOT / "rasa_project" / "data").rglob("*.yml"))
    return _plain("\n".join(path.read_text() for path in files))


def _catalog_names() -> str:
    catalog = json.loads((ROOT / "db" / "demo" / "catalog.json").read_text())
    return _plain("\n".join(product["nombre"] for product in catalog))


def _words(text: str) -> set[str]:
    return set(re.findall(r"[a-zñ]+", text))


@pytest.mark.parametrize("product", sorted({getattr(case, "values", case)[2] for case in CASES}))
def test_products_are_really_unseen(product: str) -> None:
    """Guard the claim: the product words are not in the training data or demo catalog."""
    head = _plain(product).split()[0]
    assert head not in _words(_training_text()), f"{head!r} appears in the training data"
    if head not in IN_DEMO_CATALOG:
        assert head not in _words(_catalog_names()), f"{head!r} is in the demo catalog"


@pytest.mark.parametrize(("text", "intent", "product", "quantity"), CASES)
def test_unseen_product_is_classified_and_extracted(
    rasa_server: RasaServer, text: str, intent: str, product: str, quantity: str | None
) -> None:
    """Intent and the whole product phrase (and quantity) come out of a new message."""
    parsed = rasa_server.parse(text)
    assert parsed["intent"]["name"] == intent, parsed["intent"]
    entities = {e["entity"]: _plain(str(e["value"])) for e in parsed["entities"]}
    assert entities.get("producto") == product, parsed["entities"]
    if quantity is not None:
        assert entities.get("cantidad") == quantity, parsed["entities"]


def test_rasa_serves_the_model_for_the_current_data(rasa_server: RasaServer) -> None:
    """The server loaded the model whose name carries the current data hash."""
    assert Path(rasa_server.model).name.startswith("tendero-")
    assert rasa_server.model.exists()
