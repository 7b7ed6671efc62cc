"""The local server's stage pipeline: a batch goes through its method's steps in the
:class:`~xlner.execute.pipeline.Segment`\\ s that ``xlner run`` cuts them into (translator |
English tagger | target taggers | aligner | projectors), each segment in a worker thread
while it holds the locks of the backends it uses. So while the aligner aligns batch *n*, the
translator translates batch *n + 1*: the overlap of ``xlner run``'s stage threads, for
batches that arrive over HTTP.

With ``replicas`` (``xlner serve --replicas``), each replica is a second set of the models
(one :class:`~xlner.stages.Stages` each, sharing the translator): two batches can then be in
the aligner, or the tagger, at once, each on its own thread, so single-threaded encoders use
every core. A batch runs all its segments on one replica, the one whose first segment is free
(else the least busy).

Every backend object is used by one batch at a time (one :class:`asyncio.Lock` per object,
taken in a fixed order, so two segments never wait on each other), every batch runs the
same steps in the same order as :meth:`Service.run_steps`, and so a batch's answer is the
same as when it runs alone, on any replica. ``entered`` is called once the batch has left
its first segment: the micro-batcher forms the next batch then, while this one is still in
work.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import partial

from xlner.batch import Batch
from xlner.context import Context
from xlner.data import Sentence
from xlner.execute.base import Backends, run_steps
from xlner.execute.pipeline import Segment, SharedBackends, segments
from xlner.serve.service import Key, Service
from xlner.steps import Role


class StageChain:
    """Runs batches of any served method through the service's backends (and those of
    ``replicas``), segment by segment, several batches at once (at most one per backend
    object)."""

    def __init__(self, service: Service, replicas: Sequence[Backends] = ()) -> None:
        self.service = service
        sets = [service.stages, *replicas]
        # per replica and method a SharedBackends: each builds its backends once, under a lock
        self.backends = [{m: SharedBackends(b) for m in service.plans} for b in sets]
        self.segments: dict[str, list[Segment]] = {}
        self.keys: dict[tuple[int, str, int], tuple[object, ...]] = {}
        order: dict[object, int] = {}
        for r, backends in enumerate(self.backends):
            for name, plan in service.plans.items():
                get = partial(backends[name].backend, methods=plan.methods)
                segs = segments(service.steps[name], get)
                self.segments.setdefault(name, segs)
                for i, seg in enumerate(segs):
                    keys = {self._key(s.role, get(s.role), r) for s in seg.steps}
                    for k in keys:
                        order.setdefault(k, len(order))
                    self.keys[(r, name, i)] = tuple(sorted(keys, key=order.__getitem__))
        self._locks: dict[object, asyncio.Lock] = {}
        self._busy = [0] * len(sets)  # batches in work per replica
        self._threads = max(1, len(order))
        self._pool: ThreadPoolExecutor | None = None  # started by the first batch

    @staticmethod
    def _key(role: Role, backend: object, replica: int) -> object:
        """What one lock guards: a backend object (a tagger serving two roles is one object;
        a translator shared by the replicas is one), or, for steps without a model, the
        role's own work in that replica."""
        return (role, replica) if role in ("data", "projectors") else id(backend)

    @property
    def replicas(self) -> int:
        return len(self.backends)

    @property
    def depth(self) -> int:
        """Batches that may be in work at once: one per segment of the longest method, on
        every replica."""
        return max(len(s) for s in self.segments.values()) * self.replicas

    def _lock(self, key: object) -> asyncio.Lock:
        if key not in self._locks:
            self._locks[key] = asyncio.Lock()
        return self._locks[key]

    def _replica(self, method: str) -> int:
        """The replica for a new batch: its first segment free, then the least busy."""

        def load(r: int) -> tuple[bool, int]:
            first = self.keys[(r, method, 0)]
            return (any(self._lock(k).locked() for k in first), self._busy[r])

        return min(range(self.replicas), key=load)

    async def run(
        self, key: Key, sentences: list[Sentence], entered: Callable[[], None] | None = None
    ) -> Batch:
        r = self._replica(key[1])
        self._busy[r] += 1
        try:
            return await self._run(r, key, sentences, entered)
        finally:
            self._busy[r] -= 1

    async def _run(
        self, r: int, key: Key, sentences: list[Sentence], entered: Callable[[], None] | None
    ) -> Batch:
        _, method, min_score = key
        batch = self.service.batch(key, sentences)
        plan, backends = self.service.plans[method], self.backends[r][method]
        ctx = Context(None, min_score)
        loop = asyncio.get_running_loop()
        if self._pool is None:
            self._pool = ThreadPoolExecutor(self._threads, thread_name_prefix="xlner-stage")
        for i, seg in enumerate(self.segments[method]):
            locks = [self._lock(k) for k in self.keys[(r, method, i)]]
            for lock in locks:
                await lock.acquire()
            try:
                batch = await loop.run_in_executor(
                    self._pool, run_steps, batch, seg.steps, backends, plan, ctx
                )
            finally:
                for lock in reversed(locks):
                    lock.release()
            if i == 0 and entered is not None:
                entered()
        return batch

    def close(self) -> None:
        """Stop the worker threads (a later batch starts them again)."""
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None
