"""Database settings, read from the environment and `.env`."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SQLITE_PATH = ROOT / "var" / "tendero.db"


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
