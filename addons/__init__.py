"""Rasa graph components of this project (they may import rasa; assistant/ does not)."""
