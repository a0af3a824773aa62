"""Rasa input channels of this project (credentials.yml names them).

Rasa imports this package when it starts its server, before it loads the model into an Agent: that
is where the fixes of the pinned Rasa are installed.
"""

from rasa_addons import rasa_fixes

rasa_fixes.install()
