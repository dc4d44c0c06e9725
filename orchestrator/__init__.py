"""Tendero's orchestrator: the FastAPI service between Twilio, Rasa and the LLM.

`orchestrator.app:create_app()` builds the application; nothing connects at import time.
"""
