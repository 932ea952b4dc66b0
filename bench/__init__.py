"""Benchmarks, one module each, run with `.venv/bin/python -m bench.<name>`; each prints a table."""
