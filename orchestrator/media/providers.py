"""Media providers: voice notes to text, photos to a short Spanish product query.

`openai` is any OpenAI-compatible API through the `openai` client (Whisper's
`/audio/transcriptions`, a vision chat model for photos), at `OPENAI_BASE_URL`; `gemini` is
Google Gemini through `google-genai` with the media inline. Clients are built once and
point at configurable base URLs, so tests drive the real SDKs against fakes on 127.0.0.1.
"""

from __future__ import annotations

import base64
import re
from typing import Any, Protocol

from orchestrator.media.download import Media

TRANSCRIBE_PROMPT = (
    "Transcribe literalmente esta nota de voz en español de un cliente de una tienda. "
    "Responde solo con la transcripción, sin comillas ni comentarios."
)
VISION_PROMPT = (
    "Eres el asistente de una tienda. Mira la foto que envió un cliente y responde solo con "
    "el nombre corto, en español, del producto principal que se ve, como lo buscaría en un "
    "catálogo (de 1 a 5 palabras, por ejemplo: escoba, manguera de jardín, termo de acero). "
    "Si no se ve ningún producto, responde exactamente: NINGUNO"
)
NO_PRODUCT = "NINGUNO"
_QUERY_MAX = 80


def clean_query(text: str) -> str | None:
    """The product query of a vision answer: one short line, or None for "no product"."""
    line = (text or "").strip().splitlines()[0] if (text or "").strip() else ""
    line = re.sub(r"^[\"'«“\s]+|[\"'»”.!\s]+$", "", line)
    if not line or line.upper().startswith(NO_PRODUCT):
        return None
    return line[:_QUERY_MAX].strip()


class Transcriber(Protocol):
    """Turns a voice note into text."""

    name: str
    model: str

    def transcribe(self, media: Media, timeout_s: float) -> str:
        """The transcript of `media`; raises on any API or network error."""
        ...

    def close(self) -> None:
        """Release connections."""
        ...


class Describer(Protocol):
    """Turns a photo into a short product query."""

    name: str
    model: str

    def describe(self, media: Media, caption: str, timeout_s: float) -> str:
        """The model's answer for `media`; raises on any API or network error."""
        ...

    def close(self) -> None:
        """Release connections."""
        ...


def _extension(content_type: str) -> str:
    return {"audio/mpeg": "mp3", "audio/mp4": "m4a", "audio/x-wav": "wav"}.get(
        content_type, content_type.split("/")[-1]
    )


class _OpenAIBase:
    name = "openai"

    def __init__(self, api_key: str, model: str, base_url: str, timeout_s: float) -> None:
        from openai import OpenAI

        self.model = model
        self.client = OpenAI(api_key=api_key, base_url=base_url, max_retries=0, timeout=timeout_s)

    def close(self) -> None:
        """Close the SDK's HTTP client."""
        self.client.close()


class OpenAITranscriber(_OpenAIBase):
    """`audio.transcriptions.create` of any OpenAI-compatible server (Whisper by default)."""

    def transcribe(self, media: Media, timeout_s: float) -> str:
        """One transcription request (multipart upload); the text it returns."""
        name = f"nota-de-voz.{_extension(media.content_type)}"
        result = self.client.audio.transcriptions.create(
            model=self.model,
            file=(name, media.data, media.content_type),
            language="es",
            response_format="json",
            timeout=timeout_s,
        )
        return str(getattr(result, "text", result) or "").strip()


class OpenAIDescriber(_OpenAIBase):
    """A vision chat model of any OpenAI-compatible server, the photo as a data URL."""

    def describe(self, media: Media, caption: str, timeout_s: float) -> str:
        """One chat completion with the image; the model's text."""
        data_url = f"data:{media.content_type};base64,{base64.b64encode(media.data).decode()}"
        content: list[dict[str, Any]] = [
            {"type": "text", "text": caption or "¿Qué producto es este?"},
            {"type": "image_url", "image_url": {"url": data_url}},
        ]
        resp = self.client.chat.completions.create(
            model=self.model,
            messages=[
                {"role": "system", "content": VISION_PROMPT},
                {"role": "user", "content": content},  # type: ignore[list-item,misc]
            ],
            temperature=0,
            max_tokens=40,
            timeout=timeout_s,
        )
        return (resp.choices[0].message.content or "").strip() if resp.choices else ""


class _GeminiBase:
    name = "gemini"

    def __init__(self, api_key: str, model: str, base_url: str | None, timeout_s: float) -> None:
        from google import genai
        from google.genai import types

        self._types = types
        self.model = model
        options: dict[str, Any] = {"timeout": int(timeout_s * 1000), "api_version": "v1beta"}
        if base_url:
            options["base_url"] = base_url
        self.client = genai.Client(api_key=api_key, http_options=types.HttpOptions(**options))

    def _generate(self, media: Media, prompt: str, timeout_s: float, max_tokens: int) -> str:
        types = self._types
        resp = self.client.models.generate_content(
            model=self.model,
            contents=[types.Part.from_bytes(data=media.data, mime_type=media.content_type), prompt],
            config=types.GenerateContentConfig(
                temperature=0,
                max_output_tokens=max_tokens,
                http_options=types.HttpOptions(timeout=int(timeout_s * 1000)),
            ),
        )
        return (resp.text or "").strip()

    def close(self) -> None:
        """Close the SDK's HTTP client."""
        self.client.close()


class GeminiTranscriber(_GeminiBase):
    """Gemini audio understanding: the voice note inline, asked for a transcript."""

    def transcribe(self, media: Media, timeout_s: float) -> str:
        """One generateContent call with the audio; the transcript."""
        return self._generate(media, TRANSCRIBE_PROMPT, timeout_s, 400)


class GeminiDescriber(_GeminiBase):
    """Gemini image understanding: the photo inline, asked for a product query."""

    def describe(self, media: Media, caption: str, timeout_s: float) -> str:
        """One generateContent call with the image; the model's text."""
        prompt = VISION_PROMPT + (f"\nEl cliente escribió: {caption}" if caption else "")
        return self._generate(media, prompt, timeout_s, 40)
