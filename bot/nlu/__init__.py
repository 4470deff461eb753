"""Rasa NLU components of the assistant, referenced by name in ``config.yml``."""
