"""The server's limits: batching, queue, request sizes, shutdown."""

from __future__ import annotations

from dataclasses import dataclass

from xlner.errors import XlnerError


@dataclass(frozen=True)
class ServeConfig:
    """How requests are batched and bounded.

    ``max_queue`` counts sentences waiting for a batch (not the one running): a request whose
    sentences do not all fit is answered ``503`` with ``Retry-After`` at once, so latency stays
    bounded by the queue, never by the load.
    """

    max_batch: int = 32  # sentences per batch
    max_wait_ms: float = 10.0  # how long the oldest waiting sentence may wait for others
    max_queue: int = 256  # sentences waiting, all languages and methods together
    max_body_bytes: int = 1_000_000
    max_documents: int = 64  # documents per request
    max_words: int = 1000  # words per document
    drain_seconds: float = 30.0  # SIGTERM: how long in-flight requests may take to finish

    def __post_init__(self) -> None:
        for name in ("max_batch", "max_queue", "max_body_bytes", "max_documents", "max_words"):
            if getattr(self, name) < 1:
                raise XlnerError(f"{name.replace('_', '-')} must be at least 1")
        if self.max_wait_ms < 0 or self.drain_seconds < 0:
            raise XlnerError("max-wait-ms and drain-seconds must not be negative")

    @property
    def max_wait_s(self) -> float:
        return self.max_wait_ms / 1000.0
