"""Rasa input channels of this project (the only part of assistant/ that imports rasa)."""
