"""Rasa input channels of this project (the only part of assistant/ that imports rasa).

Rasa imports this package when it starts its server (credentials.yml names our channels), before it
loads the model into an Agent: that is where the fixes of the pinned Rasa are installed.
"""
from assistant.channels import rasa_fixes

rasa_fixes.install()
