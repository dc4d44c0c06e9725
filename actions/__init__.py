"""Tendero's rasa-sdk action server package: `python -m rasa_sdk --actions actions`.

rasa-sdk imports this package and registers every `Action` subclass found in its modules.
"""
