"""Fixtures of the security tests: the real app (`create_app`, lifespan and worker) on a fresh
migrated database (SQLite and PostgreSQL), the fakes of `tests/fakes`, and the admin tests'
known data set with its shop tokens.

Everything is reused from the integration suites; this file only registers it here.
"""

from __future__ import annotations

from tests.integration.admin.conftest import auth, known
from tests.integration.orchestrator.conftest import (
    app_client,
    fake_llm,
    fake_rasa,
    fake_twilio,
    shop,
)

__all__ = ["app_client", "auth", "fake_llm", "fake_rasa", "fake_twilio", "known", "shop"]
