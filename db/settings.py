"""Database settings, read from the environment and `.env`."""

from __future__ import annotations

import logging
import secrets
from functools import lru_cache
from pathlib import Path

from pydantic import SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SQLITE_PATH = ROOT / "var" / "tendero.db"
# Values that must never sign or authenticate anything: the repository's old default key
# and the usual placeholders people leave in a copied .env.
PLACEHOLDER_SECRETS = frozenset(
    {"", "dev-insecure-secret-change-me", "change-me", "changeme", "secret", "test"}
)

log = logging.getLogger(__name__)


def is_placeholder(value: SecretStr | str | None) -> bool:
    """True for a missing secret or a well-known placeholder."""
    text = value.get_secret_value() if isinstance(value, SecretStr) else (value or "")
    return text.strip().lower() in PLACEHOLDER_SECRETS or len(text.strip()) < 16


def require_secret(value: SecretStr | None, *, name: str, app_env: str) -> SecretStr:
    """The one production-secret check of every service.

    Outside development a missing, short (< 16 characters) or placeholder secret is an
    error. In development it is replaced by a random one for this process (`make run`
    instead generates one under `var/` and hands it to every process).
    """
    if value is not None and not is_placeholder(value):
        return value
    if app_env != "development":
        raise ValueError(
            f"{name} must be set to a real secret (16+ characters) outside development"
        )
    log.warning("%s not set: using a random one for this process only", name)
    return SecretStr(secrets.token_urlsafe(32))


def normalize_url(url: str) -> str:
    """Return a SQLAlchemy URL with an explicit driver for PostgreSQL (psycopg 3)."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


class DBSettings(BaseSettings):
    """Where the database lives.

    Attributes:
        database_url: SQLAlchemy URL. Defaults to an embedded SQLite file under `var/`.
        sql_echo: log every SQL statement (debugging only).
    """

    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    database_url: str = f"sqlite:///{DEFAULT_SQLITE_PATH}"
    sql_echo: bool = False

    @property
    def url(self) -> str:
        """The normalized SQLAlchemy URL."""
        return normalize_url(self.database_url)


@lru_cache
def get_db_settings() -> DBSettings:
    """The process-wide settings object, created once."""
    return DBSettings()
