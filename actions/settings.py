"""Action server settings (one object, created once)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from actions.search.settings import SearchSettings
from db.settings import DEFAULT_SQLITE_PATH, ROOT, is_placeholder, require_secret


class ActionsSettings(BaseSettings):
    """Settings of the rasa-sdk action server.

    Attributes:
        app_env: anything but `development` requires real secrets.
        database_url: same database as the orchestrator.
        secret_key: signs download links (shared with the orchestrator).
        action_server_token: the bearer token Rasa must send (endpoints.yml); without
            one the action server refuses every action call.
        host / port: where the action server listens (loopback by default).
        public_base_url: where the orchestrator is reachable, for download links.
        search: catalog search settings (`SEARCH_*`, `INDEX_DIR`), the same ones
            `python -m actions.search` reads, so both use the same index folder.
        export_dir: where chat exports are written.
        export_link_ttl_s: lifetime of a signed download link.
    """

    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    app_env: str = "development"
    database_url: str = f"sqlite:///{DEFAULT_SQLITE_PATH}"
    secret_key: SecretStr | None = None
    action_server_token: SecretStr | None = None
    host: str = Field(default="127.0.0.1", validation_alias="ACTIONS_HOST")
    port: int = Field(default=5055, validation_alias="ACTIONS_PORT")
    public_base_url: str = "http://127.0.0.1:8000"
    search: SearchSettings = Field(default_factory=SearchSettings)
    export_dir: Path = ROOT / "var" / "exports"
    export_link_ttl_s: int = 3600

    @model_validator(mode="after")
    def _secrets(self) -> ActionsSettings:
        self.secret_key = require_secret(self.secret_key, name="SECRET_KEY", app_env=self.app_env)
        if self.app_env != "development" and is_placeholder(self.action_server_token):
            raise ValueError("ACTION_SERVER_TOKEN must be set outside development")
        return self

    @property
    def signing_key(self) -> str:
        """`SECRET_KEY`'s value (always set after validation)."""
        assert self.secret_key is not None
        return self.secret_key.get_secret_value()


@lru_cache
def get_settings() -> ActionsSettings:
    """The process-wide settings."""
    return ActionsSettings()
