"""Sportello Vittime: domain logic (directory, comune resolution, knowledge, safety).

Nothing in this package imports rasa or rasa_sdk, except ``assistant.channels``.
"""
