"""The orchestrator-on-fakes fixtures of tests/integration/orchestrator, for attacks that
need no trained model (the whole-stack fixtures come from tests/conftest.py)."""

from tests.fakes import fixtures as fake_fixtures
from tests.integration.orchestrator.conftest import app_client, shop  # noqa: F401

fake_rasa = fake_fixtures.fake_rasa
