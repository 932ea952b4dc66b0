"""Sentry error reporting and traces, on only when SENTRY_DSN is set."""

from __future__ import annotations

import logging

from config.settings import Settings

log = logging.getLogger("halo.sentry")


def init_sentry(settings: Settings, release: str | None = None) -> bool:
    """Start the Sentry client from the settings; False (and nothing sent) without a DSN."""
    dsn = settings.monitoring.sentry_dsn
    if dsn is None or not dsn.get_secret_value():
        return False
    import sentry_sdk

    sentry_sdk.init(
        dsn=dsn.get_secret_value(),
        environment=settings.env,
        release=release,
        traces_sample_rate=settings.monitoring.sentry_traces_sample_rate,
        # Reports describe events, not people: no user data, cookies, bodies, query strings
        # (they may hold a location) or local variables go to Sentry.
        data_collection={
            "user_info": False,
            "cookies": {"mode": "off"},
            "http_bodies": [],
            "url_query_params": {"mode": "off"},
            "stack_frame_variables": False,
        },
    )
    log.info(
        "sentry enabled (traces sample rate %s)", settings.monitoring.sentry_traces_sample_rate
    )
    return True
