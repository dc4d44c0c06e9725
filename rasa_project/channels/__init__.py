"""Rasa input channels of Tendero (not part of the trained model: outside its hash)."""
