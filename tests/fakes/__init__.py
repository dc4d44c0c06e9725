"""Fake HTTP servers on 127.0.0.1 for the internet services (Twilio, OpenRouter, Gemini) and,
for the error-handling tier only, Rasa. The real client libraries talk to them."""
