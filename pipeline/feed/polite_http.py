"""Polite GETs for the feed: User-Agent, paced calls, one clear error per failure kind."""

from __future__ import annotations

from dataclasses import dataclass

from pipeline.ingest.polisen_api import CallPacer, HttpResponse, Transport, retry_after_s


class FeedFetchError(RuntimeError):
    """A call that failed; `retry_after_s` when the server said how long to wait."""

    def __init__(self, message: str, retry_after_s: float | None = None, status: int = 0):
        super().__init__(message)
        self.retry_after_s = retry_after_s
        self.status = status


@dataclass
class PoliteGetter:
    """One paced GET at a time, with the User-Agent polisen.se requires."""

    transport: Transport
    pacer: CallPacer
    user_agent: str
    timeout_s: float
    accept: str = "application/json"

    def get(self, url: str) -> HttpResponse:
        """The answer, or FeedFetchError for network errors, timeouts, 429 and 5xx."""
        self.pacer.wait_turn()
        headers = {"User-Agent": self.user_agent, "Accept": self.accept}
        try:
            response = self.transport(url, headers, self.timeout_s)
        except OSError as exc:  # refused, reset, DNS, timeouts
            raise FeedFetchError(f"network error: {exc or type(exc).__name__}") from None
        if response.status == 429 or response.status >= 500:
            raise FeedFetchError(
                f"HTTP {response.status}", retry_after_s(response), status=response.status
            )
        return response
