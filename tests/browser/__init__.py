"""Browser tests: the admin portal in headless Chromium against the real app, emulator and Azurite."""
