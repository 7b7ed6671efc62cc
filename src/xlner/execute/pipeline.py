"""Stage threads: the steps of one pass split by the kind of backend they use, each part in its
own thread, batches handed on through small bounded channels (the local executor's
``overlap=True``).

A pass's steps are cut into consecutive :class:`Segment`\\ s — translator | English tagger |
target taggers | aligner | projectors, as :data:`GROUPS` says — and each segment runs in one
thread: while the aligner aligns batch *n*, the taggers tag batch *n + 1* and the translator
translates batch *n + 2*.
Torch, spaCy's Cython parts, CTranslate2 and subprocesses (Apertium) release the GIL, so two
cores are used. Every batch goes through the same steps in the same order as without threads,
batches stay in order, and each backend is used by one thread at a time (a kind of backend
object met in two segments — the translator of ``translate`` and ``bt_translate``, a tagger
serving two roles — takes a lock), so outputs are the same byte for byte.

An error in any stage thread stops the threads before it and reaches the caller after the
batches finished before it; closing the generator early stops every thread (each finishes the
call it is in). Memory holds at most two batches per segment (one in work, one waiting).
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable, Generator, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import TypeVar, cast

from xlner.backends import RoleBackends
from xlner.batch import Batch
from xlner.execute.base import Backends
from xlner.methods import Method
from xlner.step_functions import Backend
from xlner.steps import Role, Step

M = TypeVar("M")  # what the caller sends along between batches

#: The thread a step of each role runs in (consecutive steps of one group share a thread).
GROUPS: dict[Role, str] = {
    "translator": "translate",
    "data": "tag",
    "source_tagger": "tag_en",
    "mt_tagger": "tag",
    "candidate_tagger": "tag",
    "aligner": "align",
    "projectors": "project",
}


@dataclass(frozen=True)
class Segment:
    """Consecutive steps of one group; ``lock`` when the group's backend serves another
    segment too (one thread at a time uses it)."""

    group: str
    steps: tuple[Step, ...]
    lock: threading.Lock | None = None


#: Roles whose steps may share one backend object when nothing says otherwise (a given model
#: transfer or candidate tagger defaults to the English tagger).
_SAME_OBJECT: dict[Role, str] = {
    "source_tagger": "tagger",
    "mt_tagger": "tagger",
    "candidate_tagger": "tagger",
}


def segments(
    steps: Sequence[Step], backend: Callable[[Role], object] | None = None
) -> list[Segment]:
    """``steps`` cut where the group of their role changes. Segments that use one backend
    object share a lock, so one thread at a time uses it: the translator of ``translate`` and
    ``bt_translate``; one tagger serving as the English and the target tagger. ``backend``
    gives each role's object; without it, every tagger role counts as one object."""
    runs: list[tuple[str, list[Step]]] = []
    for step in steps:
        group = GROUPS[step.role]
        if runs and runs[-1][0] == group:
            runs[-1][1].append(step)
        else:
            runs.append((group, [step]))
    owner: dict[object, int] = {}
    parent = list(range(len(runs)))

    def root(i: int) -> int:
        while parent[i] != i:
            i = parent[i]
        return i

    for i, (_, run) in enumerate(runs):
        for step in run:
            if step.role in ("data", "projectors"):
                key: object = step.role
            elif backend is not None:
                key = id(backend(step.role))
            else:
                key = _SAME_OBJECT.get(step.role, step.role)
            parent[root(i)] = root(owner.setdefault(key, i))
    roots = [root(i) for i in range(len(runs))]
    locks = {r: threading.Lock() for r in roots if roots.count(r) > 1}
    return [Segment(g, tuple(s), locks.get(r)) for (g, s), r in zip(runs, roots)]


class SharedBackends(RoleBackends):
    """Each role's backend asked of ``inner`` once, under a lock (the first thread that needs
    it builds it; the others wait and get the same object). A plan's methods are the same for
    every step, so the role alone is the key."""

    def __init__(self, inner: Backends) -> None:
        self.inner = inner
        self._lock = threading.Lock()
        self._built: dict[Role, Backend] = {}

    def _backend(self, role: Role, methods: Iterable[Method]) -> Backend:
        with self._lock:
            if role not in self._built:
                self._built[role] = self.inner.backend(role, methods)
            return self._built[role]


class _Failed:
    def __init__(self, error: BaseException) -> None:
        self.error = error


_END = object()  # the last batch has passed
_CLOSED = object()  # the channel was closed: stop


class _Channel:
    """A FIFO of at most ``depth`` items between two threads; :meth:`close` wakes both sides
    (``put`` returns False, ``get`` returns ``_CLOSED``)."""

    def __init__(self, depth: int) -> None:
        self._items: deque[object] = deque()
        self._depth = depth
        self._cond = threading.Condition()
        self._closed = False

    def put(self, item: object) -> bool:
        with self._cond:
            while len(self._items) >= self._depth and not self._closed:
                self._cond.wait()
            if self._closed:
                return False
            self._items.append(item)
            self._cond.notify_all()
            return True

    def get(self) -> object:
        with self._cond:
            while not self._items and not self._closed:
                self._cond.wait()
            if self._closed:
                return _CLOSED
            item = self._items.popleft()
            self._cond.notify_all()
            return item

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify_all()


def pipelined(
    items: Iterator[Batch | M],
    segs: Sequence[Segment],
    run: Callable[[Batch, int, Segment], Batch],
    depth: int = 1,
) -> Generator[Batch | M, None, None]:
    """``run(batch, i, segs[i])`` for every segment of every batch of ``items``, segment *i*
    in thread *i*; the finished batches in order, with the other items (the caller's marks:
    where a language starts, where it ends) passed on untouched in their place. Thread 0
    reads ``items``."""
    out = [_Channel(depth) for _ in segs]  # out[i]: what segment i has finished

    def work(i: int) -> None:
        try:
            while True:
                item = next(items, _END) if i == 0 else out[i - 1].get()
                if item is _CLOSED:
                    return
                if isinstance(item, Batch):
                    seg = segs[i]
                    if seg.lock is None:
                        item = run(item, i, seg)
                    else:
                        with seg.lock:
                            item = run(item, i, seg)
                if not out[i].put(item) or item is _END or isinstance(item, _Failed):
                    return
        except BaseException as e:  # handed on in order; the caller raises it
            for channel in out[:i]:
                channel.close()  # the threads before this one stop
            out[i].put(_Failed(e))
        finally:
            if i == 0 and isinstance(items, Generator):
                items.close()  # the sources' reader, closed by the thread that read it

    threads = [
        threading.Thread(target=work, args=(i,), name=f"xlner-{seg.group}", daemon=True)
        for i, seg in enumerate(segs)
    ]
    for thread in threads:
        thread.start()
    try:
        while True:
            item = out[-1].get()
            if isinstance(item, _Failed):
                raise item.error
            if item is _END or item is _CLOSED:
                return
            yield cast("Batch | M", item)
    finally:
        for channel in out:
            channel.close()
        for thread in threads:
            thread.join()
