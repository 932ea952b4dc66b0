"""Incident reports from the app: submission, moderation, clusters and cross-source statistics.

Their routers are listed in api/routers.py.
"""
