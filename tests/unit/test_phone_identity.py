"""Phone numbers as WhatsApp writes them are the same person as the number typed."""

from __future__ import annotations

from db.identity import same_number, to_e164


def test_a_mexican_mobile_with_the_old_whatsapp_one_is_the_same_line() -> None:
    assert to_e164("whatsapp:+5213312345678") == "+523312345678"
    assert same_number("+5213312345678", "33 1234 5678", region="MX")
    # Only Mexico's legacy mobile prefix is folded: other invalid numbers stay invalid.
    assert to_e164("+5219") is None
    assert to_e164("+573109876543") == "+573109876543"
