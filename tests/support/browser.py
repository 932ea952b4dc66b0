"""The real browser every page test drives: Debian's Chromium, headless, through Playwright
(playwright-core's API; no browser download), with nothing reaching outside this machine."""

from __future__ import annotations

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
