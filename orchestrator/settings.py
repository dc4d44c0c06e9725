"""Orchestrator settings (pydantic-settings), read from the environment and `.env`."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from db.settings import DEFAULT_SQLITE_PATH, ROOT, is_placeholder, normalize_url, require_secret

LLMProvider = Literal["none", "openrouter", "gemini"]
MediaProvider = Literal["none", "openai", "gemini"]


class Settings(BaseSettings):
    """Everything the orchestrator reads from its environment.

    Secrets have no usable default outside development: `SECRET_KEY` must be set when
    `APP_ENV` is not `development`, and an LLM provider needs its API key.
    """

    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    app_env: str = "development"
    database_url: str = f"sqlite:///{DEFAULT_SQLITE_PATH}"
    run_migrations_on_start: bool = True

    rasa_url: str = "http://127.0.0.1:5005"
    action_server_url: str = "http://127.0.0.1:5055"
    rasa_timeout_s: float = 30.0

    llm_provider: LLMProvider = "none"
    llm_timeout_s: float = 8.0
    openrouter_api_key: str | None = None
    openrouter_model: str = "openai/gpt-4o-mini"
    openrouter_base_url: str = "https://openrouter.ai/api/v1"
    gemini_api_key: str | None = None
    gemini_model: str = "gemini-2.5-flash"
    gemini_base_url: str | None = None

    # Media (docs/MEDIA.md): voice notes are transcribed and photos turned into a product
    # query by these providers, each call bounded by LLM_TIMEOUT_S; `none` asks the shopper
    # to write instead. `openai` is any OpenAI-compatible API (OPENAI_BASE_URL); `gemini`
    # uses GEMINI_API_KEY / GEMINI_BASE_URL.
    transcription_provider: MediaProvider = "none"
    transcription_model: str | None = None  # default: whisper-1 | GEMINI_MODEL
    vision_provider: MediaProvider = "none"
    vision_model: str | None = None  # default: gpt-4o-mini | GEMINI_MODEL
    openai_api_key: SecretStr | None = None
    openai_base_url: str = "https://api.openai.com/v1"
    # Media downloads: only from these hosts (with the Twilio credentials), at most
    # MEDIA_MAX_BYTES (WhatsApp's own limit is 16 MB), within MEDIA_DOWNLOAD_TIMEOUT_S.
    media_hosts: Annotated[list[str], NoDecode] = ["api.twilio.com"]
    media_max_bytes: int = Field(default=16 * 1024 * 1024, ge=1)
    media_download_timeout_s: float = Field(default=10.0, gt=0)

    twilio_account_sid: str | None = None
    twilio_auth_token: str | None = None
    twilio_whatsapp_from: str | None = None
    twilio_api_base: str | None = None
    twilio_validate_signature: bool = True
    twilio_send_retries: int = 4
    twilio_retry_backoff_s: float = 0.5

    public_base_url: str | None = None
    admin_token: str | None = None
    # Shared with the action server: verifies its signed download links (required outside
    # development; `make run` generates one under var/).
    secret_key: SecretStr | None = None
    export_dir: Path = ROOT / "var" / "exports"
    export_link_ttl_s: int = 3600
    # Sent to Rasa's REST channel and HTTP API (`rasa run --auth-token`).
    rasa_token: SecretStr | None = None
    # Bearer token of the local channels (`/chat`, web chat, `make chat`); without it they
    # are open in development and off everywhere else.
    chat_token: SecretStr | None = None
    # Bearer token of /metrics and of /health's details. Unset: both are open in
    # development, and /metrics is 404 (health details hidden) everywhere else.
    metrics_token: SecretStr | None = None

    # Request body limits in bytes, enforced before anything parses a body
    # (`orchestrator.body_limit`): the Twilio webhooks' forms are a few KB.
    max_body_bytes: int = Field(default=256 * 1024, ge=1)
    twilio_max_body_bytes: int = Field(default=64 * 1024, ge=1)

    # Turns in flight per worker. Rasa handles one message at a time (CPU-bound); 4 keeps it
    # busy while the orchestrator phrases/sends/logs, more only moves the wait from the
    # queue into Rasa (bench/RESULTS.md, "WORKER_CONCURRENCY sweep"). Scale Rasa first.
    worker_concurrency: int = 4
    worker_poll_interval_s: float = 1.0
    # Queued shop-initiated messages (`orchestrator.notifications`) are sent when an admin
    # change wakes the notifier, and looked for every NOTIFIER_POLL_S seconds.
    notifier_poll_s: float = Field(default=2.0, gt=0)
    # A claim whose heartbeat (renewed every WORKER_HEARTBEAT_S) is older than this goes
    # back to the queue: a crashed turn is retried within ~WORKER_STALE_AFTER_S + heartbeat.
    worker_stale_after_s: float = 10.0
    worker_heartbeat_s: float = 2.0
    worker_max_attempts: int = 3
    # Infrastructure failures (Rasa, action server, database) are retried with bounded
    # backoff for TURN_RETRY_WINDOW_S; after TURN_PATIENCE_S the shopper gets one "dame un
    # momento" message; the apology is the last resort.
    turn_retry_window_s: float = 120.0
    turn_patience_s: float = 8.0
    turn_max_backoff_s: float = 8.0
    # Where the turn log's intent/entities/actions come from: "api" (default) asks Rasa's
    # tracker API, keeping the rule that the orchestrator and Rasa talk only HTTP; "auto"
    # (opt-in) reads the turn's events from Rasa's SQL tracker store when it is in the app
    # database, saving one tracker load and replay per turn on Rasa's event loop.
    turn_detail_source: Literal["auto", "api"] = "api"
    # The webhook answers 503 (Twilio retries) when storing takes longer than this.
    webhook_store_timeout_s: float = 5.0

    # Human handoff (docs/HANDOFF.md): fallback turns in a row that hand the shopper to
    # staff (0: never), how long an open handoff may go without a staff message before
    # the bot takes over again, and how often the worker looks for such handoffs.
    handoff_after_fallbacks: int = Field(default=3, ge=0, le=50)
    handoff_idle_return_s: float = Field(default=7200.0, gt=0)
    handoff_check_s: float = Field(default=30.0, gt=0)

    log_level: str = "INFO"
    log_format: Literal["auto", "json", "console"] = "auto"

    @field_validator("media_hosts", mode="before")
    @classmethod
    def _comma_list(cls, value: object) -> object:
        # `MEDIA_HOSTS=api.twilio.com,media.example.com` as well as a JSON list.
        if isinstance(value, str) and not value.strip().startswith("["):
            return [h.strip().lower() for h in value.split(",") if h.strip()]
        return value

    @field_validator("metrics_token", "chat_token", "rasa_token", "openai_api_key", mode="before")
    @classmethod
    def _blank_is_unset(cls, value: object) -> object:
        # `METRICS_TOKEN=` (compose's `${METRICS_TOKEN:-}`) must not mean "the empty token",
        # which a request without any Authorization header would match.
        return None if isinstance(value, str) and not value.strip() else value

    @model_validator(mode="after")
    def _check(self) -> Settings:
        self.secret_key = require_secret(self.secret_key, name="SECRET_KEY", app_env=self.app_env)
        if self.app_env != "development" and is_placeholder(self.rasa_token):
            raise ValueError("RASA_TOKEN must be set outside development")
        if self.llm_provider == "openrouter" and not self.openrouter_api_key:
            raise ValueError("LLM_PROVIDER=openrouter needs OPENROUTER_API_KEY")
        if self.llm_provider == "gemini" and not self.gemini_api_key:
            raise ValueError("LLM_PROVIDER=gemini needs GEMINI_API_KEY")
        for name in ("transcription_provider", "vision_provider"):
            provider = getattr(self, name)
            if provider == "openai" and not self.openai_api_key:
                raise ValueError(f"{name.upper()}=openai needs OPENAI_API_KEY")
            if provider == "gemini" and not self.gemini_api_key:
                raise ValueError(f"{name.upper()}=gemini needs GEMINI_API_KEY")
        if self.worker_concurrency < 1:
            raise ValueError("WORKER_CONCURRENCY must be at least 1")
        if not 0 < self.worker_heartbeat_s < self.worker_stale_after_s:
            raise ValueError("WORKER_HEARTBEAT_S must be positive and below WORKER_STALE_AFTER_S")
        return self

    @property
    def signing_key(self) -> str:
        """`SECRET_KEY`'s value (always set after validation)."""
        assert self.secret_key is not None
        return self.secret_key.get_secret_value()

    @property
    def is_development(self) -> bool:
        """True for `APP_ENV=development`: API docs on, /metrics open without a token."""
        return self.app_env == "development"

    @property
    def db_url(self) -> str:
        """The normalized SQLAlchemy URL."""
        return normalize_url(self.database_url)

    @property
    def twilio_can_send(self) -> bool:
        """True when the Twilio REST API can be used (otherwise the outbox records replies)."""
        return bool(
            self.twilio_account_sid and self.twilio_auth_token and self.twilio_whatsapp_from
        )

    @property
    def llm_model(self) -> str | None:
        """The model name of the configured provider, or None without one."""
        return {"openrouter": self.openrouter_model, "gemini": self.gemini_model}.get(
            self.llm_provider
        )


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings, created once."""
    return Settings()
