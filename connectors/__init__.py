"""Channels that bring citizens to the assistant besides the REST channel."""
