"""An asyncio micro-batcher: sentences of concurrent requests are coalesced, per key (language,
method, threshold), into one batch that runs in a worker thread.

A key's batch leaves when it holds ``max_batch`` sentences or its oldest sentence has waited
``max_wait``; one batch runs at a time (the backends are shared and every stage is batched:
a busy worker is what lets the next batch fill), or ``concurrency`` batches at a time when
``run`` is a coroutine function that hands each batch on to a pool of workers (the Ray Serve
deployments of :mod:`xlner.serve.ray_serve`). With ``pipelined``, ``run(key, items,
entered)`` calls ``entered()`` when the batch has left the first stage of a pipeline
(:mod:`xlner.serve.chain`): the next batch forms then (or when one of ``entries`` first
stages, one per replica, is free), not before, so batches stay as full as the first stage's
pace allows while up to ``concurrency`` are in later stages. The queue, its
bound and the batches are the same either way. Admission is all or nothing per request: a
request whose sentences do not all fit in the queue raises :class:`Overloaded` before anything
is queued, so no request is half-run, lost or answered twice. A batch that raises is re-run
one request at a time, so a backend failing on one request fails that request only.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import math
import time
from collections import deque
from collections.abc import Awaitable, Callable, Hashable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

K = TypeVar("K", bound=Hashable)
T = TypeVar("T")


class Overloaded(Exception):
    """The queue is full: answer ``503`` with ``Retry-After: retry_after`` seconds."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"the server is at capacity; retry in {retry_after} s")
        self.retry_after = retry_after


@dataclass
class _Pending(Generic[T]):
    item: Any
    request: int
    future: asyncio.Future[tuple[T, int]]
    enqueued: float = field(default_factory=time.monotonic)


@dataclass
class Stats:
    """What the batcher did, for ``/metrics``."""

    batches: int = 0
    sentences: int = 0
    failed_batches: int = 0
    seconds_per_batch: float = 0.0  # exponential moving average


class MicroBatcher(Generic[K, T]):
    """``await submit([(key, item), ...])`` -> ``[(batch result, row), ...]`` in order, where
    ``run(key, items)`` returns the result of one batch (row ``i`` answers ``items[i]``): a
    function, run in a worker thread, or a coroutine function, awaited (``concurrency``
    batches at once)."""

    def __init__(
        self,
        run: Callable[[K, list[Any]], T]
        | Callable[[K, list[Any]], Awaitable[T]]
        | Callable[[K, list[Any], Callable[[], None]], Awaitable[T]],
        max_batch: int,
        max_wait_s: float,
        max_queue: int,
        on_batch: Callable[[int, float], None] | None = None,
        concurrency: int = 1,
        pipelined: bool = False,
        entries: int = 1,
    ) -> None:
        self.run = run
        self.is_async = inspect.iscoroutinefunction(run)
        if concurrency < 1 or (concurrency > 1 and not self.is_async):
            raise ValueError("concurrency must be 1, or at least 1 with a coroutine function")
        if pipelined and not self.is_async:
            raise ValueError("a pipelined run must be a coroutine function")
        self.concurrency = concurrency
        self.pipelined = pipelined
        self.entries = entries  # pipelined: batches in first stages at once (its replicas)
        self.max_batch = max_batch
        self.max_wait_s = max_wait_s
        self.max_queue = max_queue
        self.on_batch = on_batch
        self.stats = Stats()
        self.waiting = 0  # sentences queued, not yet in a batch
        self.running = 0  # sentences in the batches that run now
        self._queues: dict[K, deque[_Pending[T]]] = {}
        self._requests = 0
        self._wake: asyncio.Event | None = None
        self._task: asyncio.Task[None] | None = None
        self._pool: ThreadPoolExecutor | None = None
        self._slots: asyncio.Semaphore | None = None  # batches that may run at once
        self._entry: asyncio.Semaphore | None = None  # pipelined: the first stage is free
        self._batches: set[asyncio.Task[None]] = set()

    # ------------------------------------------------------------------ clients

    def retry_after(self, extra: int = 0) -> int:
        """Seconds until the queue has room for ``extra`` more sentences, at the pace of the
        recent batches (at least 1)."""
        batches = (self.waiting + self.running + extra) / self.max_batch / self.concurrency
        return max(1, math.ceil(batches * max(self.stats.seconds_per_batch, 0.05)))

    async def submit(self, items: Sequence[tuple[K, Any]]) -> list[tuple[T, int]]:
        """Queue one request's items (all, or none: :class:`Overloaded`); their results."""
        if self.waiting + len(items) > self.max_queue:
            raise Overloaded(self.retry_after(len(items)))
        self._start()
        assert self._wake is not None
        loop = asyncio.get_running_loop()
        self._requests += 1
        futures = []
        for key, item in items:
            fut: asyncio.Future[tuple[T, int]] = loop.create_future()
            self._queues.setdefault(key, deque()).append(_Pending(item, self._requests, fut))
            futures.append(fut)
        self.waiting += len(items)
        self._wake.set()
        return list(await asyncio.gather(*futures))

    # ------------------------------------------------------------------ the loop

    def _start(self) -> None:
        if self._task is None:
            self._wake = asyncio.Event()
            self._slots = asyncio.Semaphore(self.concurrency)
            self._entry = asyncio.Semaphore(self.entries)
            if not self.is_async:
                self._pool = ThreadPoolExecutor(1, thread_name_prefix="xlner-serve")
            self._task = asyncio.get_running_loop().create_task(self._loop())

    def _due(self) -> tuple[K | None, float]:
        """The key whose oldest sentence waited longest, and how long until it is due
        (0: now, because it waited ``max_wait`` or its batch is full)."""
        if not self._queues:
            return None, math.inf
        key = min(self._queues, key=lambda k: self._queues[k][0].enqueued)
        q = self._queues[key]
        if len(q) >= self.max_batch:
            return key, 0.0
        return key, max(0.0, q[0].enqueued + self.max_wait_s - time.monotonic())

    async def _loop(self) -> None:
        assert self._wake is not None and self._slots is not None and self._entry is not None
        while True:
            await self._slots.acquire()  # a free slot first: meanwhile the queues fill
            if self.pipelined:
                await self._entry.acquire()  # and the pipeline's first stage free
            key, wait = self._due()
            if key is None or wait > 0:
                self._slots.release()
                if self.pipelined:
                    self._entry.release()
                self._wake.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), None if key is None else wait)
                continue
            q = self._queues[key]
            take = [q.popleft() for _ in range(min(len(q), self.max_batch))]
            if not q:
                del self._queues[key]
            self.waiting -= len(take)
            self.running += len(take)
            task = asyncio.get_running_loop().create_task(self._batch(key, take))
            self._batches.add(task)
            task.add_done_callback(self._batches.discard)

    async def _batch(self, key: K, items: list[_Pending[T]]) -> None:
        assert self._slots is not None and self._entry is not None
        entry, entered = self._entry, [not self.pipelined]

        def enter() -> None:  # once per batch, however often run calls it
            if not entered[0]:
                entered[0] = True
                entry.release()

        try:
            await self._run(key, items, enter)
        finally:
            enter()
            self.running -= len(items)
            self._slots.release()

    async def _call(self, key: K, items: list[Any], enter: Callable[[], None]) -> T:
        if self.pipelined:
            return await self.run(key, items, enter)  # type: ignore[call-arg,misc]
        if self.is_async:
            return await self.run(key, items)  # type: ignore[call-arg,misc]
        assert self._pool is not None
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._pool, self.run, key, items)  # type: ignore[arg-type]

    async def _run(
        self,
        key: K,
        items: list[_Pending[T]],
        enter: Callable[[], None],
        isolate: bool = True,
    ) -> None:
        items = [p for p in items if not p.future.done()]  # a client that went away
        if not items:
            return
        start = time.monotonic()
        try:
            result = await self._call(key, [p.item for p in items], enter)
        except Exception as e:
            self.stats.failed_batches += 1
            requests = sorted({p.request for p in items})
            if isolate and len(requests) > 1:  # find the request that fails, run the others
                for r in requests:
                    await self._run(key, [p for p in items if p.request == r], enter, False)
                return
            for p in items:
                if not p.future.done():
                    p.future.set_exception(e)
            return
        self._record(len(items), time.monotonic() - start)
        for i, p in enumerate(items):
            if not p.future.done():
                p.future.set_result((result, i))

    def _record(self, size: int, seconds: float) -> None:
        s = self.stats
        s.batches += 1
        s.sentences += size
        s.seconds_per_batch = (
            seconds if s.batches == 1 else 0.8 * s.seconds_per_batch + 0.2 * seconds
        )
        if self.on_batch is not None:
            self.on_batch(size, seconds)

    # ------------------------------------------------------------------ shutdown

    async def close(self, timeout: float = 30.0) -> None:
        """Finish what is queued (up to ``timeout`` seconds), then stop the loop and the
        worker thread."""
        deadline = time.monotonic() + timeout
        while (self.waiting or self.running) and time.monotonic() < deadline:
            await asyncio.sleep(0.01)
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        for task in list(self._batches):  # past the deadline: the batches still running
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None
