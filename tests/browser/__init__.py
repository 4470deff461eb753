"""Browser tests: a headless Chromium driver and accessibility audits for pages served on loopback."""
