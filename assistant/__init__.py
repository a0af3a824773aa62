"""Sportello Vittime: domain logic (directory, comune resolution, knowledge, safety).

Nothing in this package imports rasa, rasa_sdk or rasa_addons (tests/unit/test_layers.py checks it):
the Rasa-side code is in ``rasa_addons``, the action server's adapters in ``actions``.
"""
