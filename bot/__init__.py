"""The public-services assistant: settings, command line, language handling and tools.

Importing this package is cheap: heavy dependencies (Rasa, TensorFlow) are only
imported by the modules that need them.
"""

__version__ = "0.1.0"
