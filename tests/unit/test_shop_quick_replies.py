"""The shop file's `quick_replies`: Twilio Content SIDs, validated, stored in their column."""

from __future__ import annotations

import pytest

from db.shop_config import ShopConfigError, validate_config

BASE = {
    "slug": "ferreteria-sol",
    "nombre": "Ferretería Sol",
    "pais": "CO",
    "zona_horaria": "America/Bogota",
    "whatsapp_number": "+573001234567",
}
SID = "HX" + "0123456789abcdef" * 2


def test_quick_reply_sids_are_stored_in_their_own_column() -> None:
    config = validate_config({**BASE, "quick_replies": {"confirmar_pedido": SID}})
    assert config.columns()["quick_replies"] == {"confirmar_pedido": SID}
    assert validate_config(BASE).columns()["quick_replies"] is None


@pytest.mark.parametrize(
    ("value", "field"),
    [
        ({"confirmar_pedido": "SM" + "0" * 32}, "quick_replies.confirmar_pedido"),
        ({"otro": SID}, "quick_replies.otro"),
    ],
    ids=["not-a-content-sid", "unknown-key"],
)
def test_bad_quick_replies_are_reported(value: dict[str, str], field: str) -> None:
    with pytest.raises(ShopConfigError) as exc:
        validate_config({**BASE, "quick_replies": value})
    assert [f for f, _ in exc.value.problems] == [field]
