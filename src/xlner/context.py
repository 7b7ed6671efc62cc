"""What every step needs besides its backend (:class:`Context`): the stage memo, the
confidence threshold, the corpus alignments of a corpus-level aligner, and what a run
computes once and keeps — each backend's signature, each corpus links index.

:meth:`Context.step` times a step and, with a memo, caches its output by content (backend
signature + inputs), so methods sharing stages compute them once and a re-run recomputes
nothing. Translations are cached once, in the translator's SQLite cache.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol, TypeVar

from xlner.batch import (
    Batch,
    alignments_from_json,
    alignments_to_json,
    spans_from_json,
    spans_to_json,
)
from xlner.data import Alignment, Span
from xlner.memo import Codec, StageMemo, fingerprint

if TYPE_CHECKING:
    from xlner.align.base import Aligner
    from xlner.align.corpus import LinksFile

T = TypeVar("T")

SPANS: Codec[list[list[Span]]] = Codec("spans", spans_to_json, spans_from_json)
ALIGNMENTS: Codec[list[Alignment]] = Codec("alignments", alignments_to_json, alignments_from_json)


class Signed(Protocol):
    @property
    def signature(self) -> str: ...


class Signatures:
    """Each backend's signature, computed once: a backend's signature is fixed when it is
    built (it names the model, settings and versions), and some are costly (spaCy's looks up
    installed distributions). Keyed by the object, which is kept. Stage threads
    (``overlap``) ask together: one computes, under the lock."""

    def __init__(self) -> None:
        self._known: dict[int, tuple[Signed, str]] = {}
        self.lock = threading.Lock()

    def of(self, backend: Signed) -> str:
        with self.lock:
            got = self._known.get(id(backend))
            if got is None or got[0] is not backend:
                got = self._known[id(backend)] = (backend, backend.signature)
            return got[1]


@dataclass
class Context:
    """What every step needs besides its backend: the memo, the confidence threshold, and the
    corpus alignments of a corpus-level aligner (keyed by ``(stage, source index)``).
    ``signatures`` and the open links indexes are shared by the copies of a context
    (:func:`dataclasses.replace`) made during a run."""

    memo: StageMemo | None = None
    min_score: float = 0.0
    corpus: dict[tuple[str, int], str] = field(default_factory=dict)  # -> links file path
    signatures: Signatures = field(default_factory=Signatures, repr=False, compare=False)
    links: dict[str, LinksFile] = field(default_factory=dict, repr=False, compare=False)

    @contextmanager
    def timed(self, batch: Batch, stage: str) -> Iterator[None]:
        start = time.perf_counter()
        try:
            yield
        finally:
            batch.seconds[stage] = batch.seconds.get(stage, 0.0) + time.perf_counter() - start

    def step(
        self,
        batch: Batch,
        stage: str,
        backend: Signed,
        codec: Codec[T],
        compute: Callable[[], T],
        *inputs: object,
    ) -> T:
        """``compute()``, timed as ``stage`` and memoised by ``backend.signature`` + inputs
        (in the memo's folder of the codec: the same tagger on the same words is one entry,
        whether it tagged for model transfer or for candidates)."""
        with self.timed(batch, stage):
            if self.memo is None:
                return compute()
            key = fingerprint(self.signatures.of(backend), *inputs)
            return self.memo.get_or_compute(codec.name, key, codec, compute)

    def links_file(self, path: str) -> LinksFile:
        """The links index of a corpus alignment, loaded once per run (under the lock shared
        by the copies of this context)."""
        from xlner.align.corpus import LinksFile

        with self.signatures.lock:
            if path not in self.links:
                self.links[path] = LinksFile(path)
            return self.links[path]

    def align(
        self,
        batch: Batch,
        stage: str,
        aligner: Aligner,
        src: Sequence[Sequence[str]],
        tgt: Sequence[Sequence[str]],
    ) -> list[Alignment]:
        path = self.corpus.get((stage, batch.source))
        if path is not None:  # aligned with the whole corpus beforehand: read by position
            with self.timed(batch, stage):
                return self.links_file(path).read(batch.start, len(batch))
        return self.step(
            batch, stage, aligner, ALIGNMENTS, lambda: aligner.align(src, tgt), src, tgt
        )
