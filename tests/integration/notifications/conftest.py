"""The fake Twilio for the notification tests."""

from tests.fakes import fixtures as fake_fixtures

fake_twilio = fake_fixtures.fake_twilio
