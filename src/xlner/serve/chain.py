"""The local server's stage pipeline: a batch goes through its method's steps in the
:class:`~xlner.execute.pipeline.Segment`\\ s that ``xlner run`` cuts them into (translator |
English tagger | target taggers | aligner | projectors), each segment in a worker thread
while it holds the locks of the backends it uses. So while the aligner aligns batch *n*, the
translator translates batch *n + 1*: the overlap of ``xlner run``'s stage threads, for
batches that arrive over HTTP.

Every backend object is used by one batch at a time (one :class:`asyncio.Lock` per object,
taken in a fixed order, so two segments never wait on each other), every batch runs the
same steps in the same order as :meth:`Service.run_steps`, and so a batch's answer is the
same as when it runs alone. ``entered`` is called once the batch has left its first
segment: the micro-batcher forms the next batch then, while this one is still in work.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import partial

from xlner.batch import Batch
from xlner.context import Context
from xlner.data import Sentence
from xlner.execute.base import run_steps
from xlner.execute.pipeline import Segment, SharedBackends, segments
from xlner.serve.service import Key, Service
from xlner.steps import Role


class StageChain:
    """Runs batches of any served method through the service's backends, segment by segment,
    several batches at once (at most one per backend object)."""

    def __init__(self, service: Service) -> None:
        self.service = service
        # one SharedBackends per method: each builds its method's backends once, under a lock
        self.backends = {m: SharedBackends(service.stages) for m in service.plans}
        self.segments: dict[str, list[Segment]] = {}
        self.keys: dict[tuple[str, int], tuple[object, ...]] = {}
        order: dict[object, int] = {}
        for name, plan in service.plans.items():
            backends = self.backends[name]
            segs = segments(service.steps[name], partial(backends.backend, methods=plan.methods))
            self.segments[name] = segs
            for i, seg in enumerate(segs):
                roles = {step.role for step in seg.steps}
                keys = {self._key(r, backends.backend(r, plan.methods)) for r in roles}
                for k in keys:
                    order.setdefault(k, len(order))
                self.keys[(name, i)] = tuple(sorted(keys, key=order.__getitem__))
        self._order = order
        self._locks: dict[object, asyncio.Lock] = {}
        self._pool = ThreadPoolExecutor(max(1, len(order)), thread_name_prefix="xlner-stage")

    @staticmethod
    def _key(role: Role, backend: object) -> object:
        """What one lock guards: a backend object (a tagger serving two roles is one object),
        or, for steps without a model, the role's own work."""
        return role if role in ("data", "projectors") else id(backend)

    @property
    def depth(self) -> int:
        """Batches that may be in work at once: one per segment of the longest method."""
        return max(len(s) for s in self.segments.values())

    def _lock(self, key: object) -> asyncio.Lock:
        if key not in self._locks:
            self._locks[key] = asyncio.Lock()
        return self._locks[key]

    async def run(
        self, key: Key, sentences: list[Sentence], entered: Callable[[], None] | None = None
    ) -> Batch:
        _, method, min_score = key
        batch = self.service.batch(key, sentences)
        plan, backends = self.service.plans[method], self.backends[method]
        ctx = Context(None, min_score)
        loop = asyncio.get_running_loop()
        for i, seg in enumerate(self.segments[method]):
            locks = [self._lock(k) for k in self.keys[(method, i)]]
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
        self._pool.shutdown(wait=True)
