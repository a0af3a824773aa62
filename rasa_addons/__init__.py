"""The Rasa side of the project: everything that imports rasa (the action server's adapters are in
``actions``; the domain logic in ``assistant`` imports no Rasa at all).

- ``channels``: the input channels named in credentials.yml, their guard, limits and webhook dedup;
- ``components``: the NLU component named in config.yml (``components.overrides.SafetyOverrides``);
- ``rasa_fixes``: fixes of the pinned Rasa, installed when Rasa imports the channels;
- ``retention``: the purge and erase commands, holding Rasa's conversation locks.
"""
