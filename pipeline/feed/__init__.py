"""The live polisen.se feed: polling, event pages, light refresh, and a local fake of the API."""
