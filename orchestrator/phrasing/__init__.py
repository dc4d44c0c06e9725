"""Phrasing: an optional LLM rewrites the actions' template, guarded against invention.

`PhrasingService.phrase` never raises: on no provider, timeout, error or a failed guard it
returns the template, and says why in the outcome (logged in the turn row).
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from db.models import GuardVerdict, Product
from db.session import session_scope
from orchestrator.logging import get_logger
from orchestrator.phrasing.guard import check_reply
from orchestrator.phrasing.prompt import system_prompt, user_content
from orchestrator.phrasing.providers import GeminiPhraser, OpenRouterPhraser, Phraser
from orchestrator.settings import Settings

log = get_logger("orchestrator.phrasing")
SDK_GRACE_S = 1.0


@dataclass
class PhraseOutcome:
    """The reply to send and what the LLM did (for the turn log)."""

    text: str
    provider: str | None = None
    model: str | None = None
    latency_ms: float | None = None
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    raw: str | None = None
    verdict: GuardVerdict | None = None  # None without an LLM
    reason: str | None = None


class CatalogNames:
    """The names of each shop's products, for the guard; cached for `ttl_s` seconds."""

    def __init__(self, session_factory: sessionmaker[Session], ttl_s: float = 60.0) -> None:
        self.session_factory = session_factory
        self.ttl_s = ttl_s
        self._cache: dict[int, tuple[float, list[str]]] = {}

    def names(self, shop_id: int) -> list[str]:
        """Product names of `shop_id` (active or not: the bot must not name either)."""
        cached = self._cache.get(shop_id)
        if cached and time.monotonic() - cached[0] < self.ttl_s:
            return cached[1]
        with session_scope(self.session_factory) as s:
            names = list(s.scalars(select(Product.name).where(Product.shop_id == shop_id)))
        self._cache[shop_id] = (time.monotonic(), names)
        return names


def make_phraser(settings: Settings) -> Phraser | None:
    """The provider configured by `LLM_PROVIDER`, or None for `none`."""
    if settings.llm_provider == "openrouter":
        assert settings.openrouter_api_key
        return OpenRouterPhraser(
            settings.openrouter_api_key,
            settings.openrouter_model,
            settings.openrouter_base_url,
            settings.llm_timeout_s + SDK_GRACE_S,
        )
    if settings.llm_provider == "gemini":
        assert settings.gemini_api_key
        return GeminiPhraser(
            settings.gemini_api_key,
            settings.gemini_model,
            settings.gemini_base_url,
            settings.llm_timeout_s + SDK_GRACE_S,
        )
    return None


class PhrasingService:
    """Runs the provider under a strict total timeout and applies the guard.

    Args:
        phraser: the provider, or None to always send the template.
        timeout_s: total time allowed for one LLM call, connection included.
        max_parallel: LLM calls in flight at once (a hung call keeps its thread until the
            SDK's own timeout ends it; the turn does not wait for it).
    """

    def __init__(self, phraser: Phraser | None, timeout_s: float, max_parallel: int = 8) -> None:
        self.phraser = phraser
        self.timeout_s = timeout_s
        self._pool = ThreadPoolExecutor(max_workers=max_parallel, thread_name_prefix="llm")

    @property
    def provider(self) -> str:
        """The provider name (`none` without one)."""
        return self.phraser.name if self.phraser else "none"

    def phrase(
        self,
        *,
        template: str,
        facts: dict[str, Any],
        user_text: str,
        persona: str,
        shop_name: str,
        catalog_names: Iterable[str] = (),
    ) -> PhraseOutcome:
        """The reply for a turn: the guarded LLM rewrite, else the template."""
        if self.phraser is None:
            return PhraseOutcome(text=template)
        out = PhraseOutcome(text=template, provider=self.phraser.name, model=self.phraser.model)
        system = system_prompt(persona, shop_name)
        user = user_content(user_text, template, facts)
        start = time.perf_counter()
        # The SDK's own timeout is a little longer: the strict total budget here decides.
        sdk_timeout = self.timeout_s + SDK_GRACE_S
        future = self._pool.submit(self.phraser.complete, system, user, sdk_timeout)
        try:
            reply = future.result(timeout=self.timeout_s)
        except FutureTimeout:
            future.cancel()
            out.latency_ms = (time.perf_counter() - start) * 1000
            out.verdict, out.reason = GuardVerdict.TIMEOUT, f"no answer within {self.timeout_s:g} s"
            log.warning("llm.timeout", provider=out.provider, timeout_s=self.timeout_s)
            return out
        except Exception as exc:  # any SDK/network error falls back to the template
            out.latency_ms = (time.perf_counter() - start) * 1000
            timed_out = "timeout" in type(exc).__name__.lower()
            out.verdict = GuardVerdict.TIMEOUT if timed_out else GuardVerdict.ERROR
            out.reason = f"{type(exc).__name__}: {exc}"[:500]
            log.warning("llm.error", provider=out.provider, error=out.reason)
            return out
        out.latency_ms = (time.perf_counter() - start) * 1000
        out.model, out.raw = reply.model, reply.raw
        out.prompt_tokens, out.completion_tokens = reply.prompt_tokens, reply.completion_tokens
        result = check_reply(reply.text, facts, template, catalog_names)
        out.verdict, out.reason = result.verdict, result.reason
        if result.ok:
            out.text = reply.text
        else:
            log.warning("guard.rejected", reason=result.reason, llm_text=reply.text[:300])
        return out

    def close(self) -> None:
        """Stop the thread pool (without waiting for hung calls) and close the client."""
        self._pool.shutdown(wait=False, cancel_futures=True)
        if self.phraser is not None:
            self.phraser.close()
