"""Rasa input channels of this project (the only part of assistant/ that imports rasa).

Rasa imports this package when it starts its server (credentials.yml names our channels), which is
where the server-side fixes of the pinned Rasa are installed.
"""
from assistant.channels import fast_validation

fast_validation.install()
