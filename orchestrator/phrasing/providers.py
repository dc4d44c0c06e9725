"""LLM providers that rewrite a template: OpenRouter (openai SDK) and Gemini (google-genai).

Each client is built once (in the app lifespan) and points at a configurable base URL, so
tests drive the real SDKs against fake servers on 127.0.0.1.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Protocol


@dataclass
class LLMReply:
    """What one provider call produced."""

    text: str
    model: str
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    raw: str | None = None


class Phraser(Protocol):
    """Rewrites a turn's template with an LLM."""

    name: str
    model: str

    def complete(self, system: str, user: str, timeout_s: float) -> LLMReply:
        """Return the model's reply to `system` + `user`."""
        ...

    def close(self) -> None:
        """Release connections."""
        ...


class OpenRouterPhraser:
    """OpenRouter through the openai SDK (any OpenAI-compatible chat completions API)."""

    name = "openrouter"

    def __init__(self, api_key: str, model: str, base_url: str, timeout_s: float) -> None:
        from openai import OpenAI

        self.model = model
        self.client = OpenAI(
            api_key=api_key,
            base_url=base_url,
            max_retries=0,
            timeout=timeout_s,
            default_headers={"X-Title": "Tendero"},
        )

    def complete(self, system: str, user: str, timeout_s: float) -> LLMReply:
        """One chat completion; raises on any API or network error."""
        resp = self.client.chat.completions.create(
            model=self.model,
            messages=[{"role": "system", "content": system}, {"role": "user", "content": user}],
            temperature=0.3,
            max_tokens=600,
            timeout=timeout_s,
        )
        text = (resp.choices[0].message.content or "").strip() if resp.choices else ""
        usage = resp.usage
        return LLMReply(
            text=text,
            model=resp.model or self.model,
            prompt_tokens=usage.prompt_tokens if usage else None,
            completion_tokens=usage.completion_tokens if usage else None,
            raw=resp.model_dump_json(),
        )

    def close(self) -> None:
        """Close the SDK's HTTP client."""
        self.client.close()


class GeminiPhraser:
    """Google Gemini through the google-genai SDK."""

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

    def complete(self, system: str, user: str, timeout_s: float) -> LLMReply:
        """One generateContent call; raises on any API or network error."""
        types = self._types
        resp = self.client.models.generate_content(
            model=self.model,
            contents=user,
            config=types.GenerateContentConfig(
                system_instruction=system,
                temperature=0.3,
                max_output_tokens=600,
                http_options=types.HttpOptions(timeout=int(timeout_s * 1000)),
            ),
        )
        usage = resp.usage_metadata
        return LLMReply(
            text=(resp.text or "").strip(),
            model=resp.model_version or self.model,
            prompt_tokens=usage.prompt_token_count if usage else None,
            completion_tokens=usage.candidates_token_count if usage else None,
            raw=json.dumps(resp.model_dump(mode="json", exclude_none=True), ensure_ascii=False),
        )

    def close(self) -> None:
        """Close the SDK's HTTP client."""
        self.client.close()
