"""Custom actions of the assistant, served by the rasa-sdk action server.

``python -m rasa_sdk --actions actions`` imports every module of this package.
"""
