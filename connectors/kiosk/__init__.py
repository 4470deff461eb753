"""The voice kiosk's web channel: a touch-screen page that listens, shows big text and speaks slowly."""
