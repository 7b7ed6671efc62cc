"""The server's limits (batching, queue, request sizes, shutdown) and, for
``--executor ray``, its Ray Serve deployments."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from xlner.errors import XlnerError
from xlner.execute.ray_options import PoolOptions


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


@dataclass(frozen=True)
class RayServeConfig:
    """``xlner serve --executor ray``: where Ray runs and how many replicas each stage pool's
    deployment has — ``replicas`` fixed, or autoscaled between ``min_replicas`` and
    ``max_replicas`` (either given) on ``target_ongoing`` batches per replica. ``pools``: the
    resources of one pool's replicas (``--ray-stage``, as ``xlner run --executor ray`` takes
    them; ``workers`` there is that pool's replicas)."""

    address: str | None = None  # None: start a local Ray instance (and stop it at exit)
    replicas: int = 1
    min_replicas: int | None = None
    max_replicas: int | None = None
    target_ongoing: float = 1.0  # batches per replica, queued or running (autoscaling)
    ingress_replicas: int = 1
    pools: dict[str, PoolOptions] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.replicas < 1 or self.ingress_replicas < 1:
            raise XlnerError("--replicas must be at least 1")
        if self.min_replicas is not None and self.min_replicas < 0:
            raise XlnerError("--min-replicas must not be negative")
        if self.max_replicas is not None and self.max_replicas < 1:
            raise XlnerError("--max-replicas must be at least 1")
        if self.autoscaling and self.lowest > self.highest:
            raise XlnerError(f"--min-replicas {self.lowest} is above --max-replicas {self.highest}")
        if self.target_ongoing <= 0:
            raise XlnerError("--target-ongoing must be positive")

    @property
    def autoscaling(self) -> bool:
        return self.min_replicas is not None or self.max_replicas is not None

    @property
    def lowest(self) -> int:
        return self.min_replicas if self.min_replicas is not None else 1

    @property
    def highest(self) -> int:
        return self.max_replicas if self.max_replicas is not None else max(self.lowest, 1)

    def pool(self, name: str) -> PoolOptions:
        """A pool's resources; its ``workers`` are its fixed replicas (``--replicas`` unless
        ``--ray-stage POOL:workers=N``)."""
        return self.pools.get(name, PoolOptions(workers=self.replicas))

    def most_replicas(self, pool: str) -> int:
        """The replicas a pool may have at most (what its CPUs are reserved for)."""
        return self.highest if self.autoscaling else self.pool(pool).workers

    def deployment_options(self, pool: str, default_cpus: float) -> dict[str, Any]:
        """``serve.deployment(...).options(**this)`` for one stage pool: its replicas (or
        autoscaling), its actors' resources, one batch at a time per replica."""
        po = self.pool(pool)
        out: dict[str, Any] = {
            "ray_actor_options": po.remote_args(default_cpus),
            "max_ongoing_requests": 1,  # a replica runs one batch at a time, as a local worker
        }
        if self.autoscaling:
            out["autoscaling_config"] = {
                "min_replicas": self.lowest,
                "max_replicas": self.highest,
                "initial_replicas": max(self.lowest, 1),
                "target_ongoing_requests": self.target_ongoing,
            }
        else:
            out["num_replicas"] = po.workers
        return out
