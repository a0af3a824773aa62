"""Thin rasa_sdk adapters: read the tracker, call assistant/, send the reply."""
