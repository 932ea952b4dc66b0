"""Halo's HTTP API: a thin FastAPI layer over SQL functions and views."""
