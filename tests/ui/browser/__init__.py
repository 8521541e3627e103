"""Real-browser tests (headless Debian Chromium via Playwright) of the Solara web app."""
