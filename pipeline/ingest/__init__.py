"""Ingestion: boundaries, the gazetteer, polisen.se events and generic incident point files."""
