"""Batch jobs: ingest, geocode, retrain, refresh, backtest, backup."""
