"""Process-wide resources of the action server, built on first use (never at import)."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from actions.settings import ActionsSettings, get_settings
from db.session import make_engine, make_session_factory


@dataclass
class Runtime:
    """The engine, session factory and lazily built catalog search of this process."""

    settings: ActionsSettings
    engine: Engine
    session_factory: sessionmaker[Session]
    _search: Any = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def search(self) -> Any:
        """The catalog search service (`actions.search`), built once on first use."""
        with self._lock:
            if self._search is None:
                from actions.search import build_catalog_search

                self._search = build_catalog_search(self.session_factory, self.settings.search)
            return self._search


_runtime: Runtime | None = None
_runtime_lock = threading.Lock()


def get_runtime() -> Runtime:
    """The runtime of this process, created on first call."""
    global _runtime
    with _runtime_lock:
        if _runtime is None:
            settings = get_settings()
            engine = make_engine(settings.database_url)
            _runtime = Runtime(settings, engine, make_session_factory(engine))
        return _runtime


def set_runtime(runtime: Runtime | None) -> None:
    """Install a runtime (tests point actions at their own database)."""
    global _runtime
    with _runtime_lock:
        _runtime = runtime
