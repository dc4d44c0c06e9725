"""Message splitting for WhatsApp's 1,600-character limit."""

from __future__ import annotations

from orchestrator.senders import MAX_CHARS, split_message, whatsapp


def test_short_text_is_one_message() -> None:
    assert split_message("  ¡Hola! ¿Cómo estás?  ") == ["¡Hola! ¿Cómo estás?"]
    assert split_message("") == []


def test_4000_characters_become_three_messages_on_sentence_boundaries() -> None:
    sentences = [f"Producto número {i} disponible por $1.{i:03d}." for i in range(200)]
    text = " ".join(sentences)[:4000].rsplit(".", 1)[0] + "."
    chunks = split_message(text)
    assert len(chunks) == 3
    assert all(len(c) <= MAX_CHARS for c in chunks)
    assert all(c.endswith(".") for c in chunks)
    assert " ".join(chunks) == text


def test_question_and_exclamation_marks_and_newlines_are_boundaries() -> None:
    text = ("¿Quieres arroz? " * 60 + "¡Claro que sí!\n" * 60).strip()
    chunks = split_message(text, limit=500)
    assert all(len(c) <= 500 for c in chunks)
    assert all(c.endswith(("?", "!")) for c in chunks)
    assert "".join(chunks).replace(" ", "").replace("\n", "") == text.replace(" ", "").replace(
        "\n", ""
    )


def test_a_sentence_longer_than_the_limit_is_split_between_words() -> None:
    text = "palabra " * 500
    chunks = split_message(text, limit=100)
    assert all(len(c) <= 100 for c in chunks)
    assert " ".join(chunks).split() == text.split()


def test_a_giant_word_is_cut() -> None:
    chunks = split_message("x" * 3500)
    assert [len(c) for c in chunks] == [1600, 1600, 300]


def test_whatsapp_prefix() -> None:
    assert whatsapp("+573001234567") == "whatsapp:+573001234567"
    assert whatsapp("whatsapp:+1") == "whatsapp:+1"
