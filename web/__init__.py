"""The web pages on port 8080: the voice kiosk page (and, under ``/operator``, the operator console)."""
