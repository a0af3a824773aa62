"""Rasa graph components of this project (config.yml names them)."""
