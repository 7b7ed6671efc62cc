"""What every executor shares: sources of sentences, sinks for finished batches, the backends
a step runs with, chunking, and the corpus-level alignment pass.

A :class:`Source` is one language's input, readable more than once (a corpus-level aligner
needs two passes). A :class:`Sink` receives finished batches of each language **in order**
and writes predictions, scores and reports as they come, so nothing holds a corpus.
"""

from __future__ import annotations

import itertools
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Protocol

from xlner.align.corpus import CorpusFiles, CorpusWriter, align_corpus, is_corpus_level
from xlner.batch import Batch, Direction
from xlner.data import Sentence
from xlner.errors import XlnerError
from xlner.memo import StageMemo
from xlner.methods import Method
from xlner.steps import Context, Plan, Role, Step

DEFAULT_CHUNK = 1000
Executor = Literal["local", "ray"]


@dataclass
class Source:
    """One language's sentences: ``read()`` streams them (each call from the start)."""

    lang: str
    read: Callable[[], Iterator[Sentence]]
    count: int | None = None  # for progress bars, when known

    @classmethod
    def of(cls, lang: str, sentences: Sequence[Sentence]) -> Source:
        return cls(lang, lambda: iter(sentences), len(sentences))


class Sink(Protocol):
    def start(self, lang: str) -> None: ...

    def add(self, batch: Batch) -> None: ...

    def add_seconds(self, lang: str, seconds: dict[str, float]) -> None:
        """Seconds spent on the whole corpus at once (a corpus-level aligner)."""
        ...

    def finish(self, lang: str) -> None: ...


class Backends(Protocol):
    def backend(self, role: Role, methods: Iterable[Method] = ()) -> Any: ...


@dataclass
class GivenBackends:
    """Backend objects given directly (the Python API): ``backend(role)`` returns them."""

    translator: Any = None
    source_tagger: Any = None
    mt_tagger: Any = None
    candidate_tagger: Any = None
    aligner: Any = None
    projectors: dict[Method, Any] = field(default_factory=dict)

    def backend(self, role: Role, methods: Iterable[Method] = ()) -> Any:
        if role == "projectors":
            return self.projectors
        if role == "data":
            return None
        if role == "candidate_tagger":
            return self.candidate_tagger or self.mt_tagger or self.source_tagger
        if role == "mt_tagger":
            return self.mt_tagger or self.source_tagger
        return getattr(self, role)


def batches(source: Source, size: int, direction: Direction, index: int = 0) -> Iterator[Batch]:
    """The chunks of ``source`` (the ``index``-th source of the run) as batches."""
    it = source.read()
    start = 0
    while chunk := list(itertools.islice(it, size)):
        yield Batch(source.lang, start, chunk, direction, index)
        start += len(chunk)


def run_steps(
    batch: Batch,
    steps: Sequence[Step],
    backends: Backends,
    plan: Plan,
    ctx: Context,
    on_step: Callable[[str], None] | None = None,
) -> Batch:
    for step in steps:
        if on_step is not None:
            on_step(step.name)
        step.run(batch, backends.backend(step.role, plan.methods), ctx)
    return batch


#: Which word sequences an aligner step aligns, read off a batch.
ALIGNED_PAIRS: dict[str, Callable[[Batch], tuple[list[list[str]], list[list[str]]]]] = {
    "align": lambda b: (b.src_words or [], b.tgt_words or []),
    "bt_align": lambda b: ((b.bt.words if b.bt else []), b.tgt_words or []),
}


def split_at_corpus_alignment(
    steps: Sequence[Step], aligner: Any
) -> tuple[list[Step], list[Step]] | None:
    """``(steps before the first aligner step, the aligner steps)`` when the aligner is
    corpus-level; ``None`` when every step can run chunk by chunk."""
    align_steps = [s for s in steps if s.role == "aligner"]
    if not align_steps or not is_corpus_level(aligner):
        return None
    return list(steps[: steps.index(align_steps[0])]), align_steps


class CorpusPass:
    """Pass 1 of a corpus-level aligner: the batches' pre-alignment outputs are streamed into
    one :class:`~xlner.align.corpus.CorpusWriter` per aligner step; :meth:`finish` aligns each
    corpus (or finds it aligned before) and returns ``{(stage, source index): links path}``."""

    def __init__(self, index: int, align_steps: Sequence[Step], work: Path) -> None:
        self.index = index
        self.writers = {s.name: CorpusWriter(work / s.name) for s in align_steps}
        self.seconds: dict[str, float] = {}

    def add(self, batch: Batch) -> None:
        for stage, writer in self.writers.items():
            writer.add(*ALIGNED_PAIRS[stage](batch))
        for k, v in batch.seconds.items():
            self.seconds[k] = self.seconds.get(k, 0.0) + v

    def close(self) -> dict[str, CorpusFiles]:
        """The finished corpus of each aligner step."""
        return {stage: w.close() for stage, w in self.writers.items()}

    def finish(self, aligner: Any, cache: Path) -> dict[tuple[str, int], str]:
        """Align every corpus here, in this process; ``{(stage, source index): links path}``."""
        out = {}
        for stage, files in self.close().items():
            start = time.perf_counter()
            out[(stage, self.index)] = str(align_corpus(aligner, files, cache))
            self.seconds[stage] = self.seconds.get(stage, 0.0) + time.perf_counter() - start
        return out


def corpus_cache(ctx: Context, stack: ExitStack) -> tuple[Context, Path]:
    """A context with a memo (a temporary one when the caller has none: the second pass must
    not recompute the first), and the folder for corpus alignments and their work files."""
    if ctx.memo is None:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="xlner-memo-")))
        ctx = Context(StageMemo(tmp), ctx.min_score, dict(ctx.corpus))
    root = ctx.memo.root if ctx.memo is not None else Path(tempfile.gettempdir())
    return ctx, root / "align-corpus"


def execute(
    sources: Sequence[Source],
    plan: Plan,
    backends: Backends,
    ctx: Context,
    sink: Sink,
    *,
    executor: Executor = "local",
    chunk_size: int = DEFAULT_CHUNK,
    show_progress: bool = False,
    ray_options: Any = None,
    overlap: bool = False,
) -> None:
    """Run ``plan`` over every source, sending finished batches to ``sink`` in order.
    ``overlap``: the local executor runs translation and corpus alignment beside the other
    steps (same outputs; see :mod:`xlner.execute.local`)."""
    if executor == "ray":
        from xlner.execute.ray import run_ray

        run_ray(sources, plan, backends, ctx, sink, chunk_size, show_progress, ray_options)
        return
    if executor != "local":
        raise XlnerError(f"unknown executor {executor!r}; choose local or ray")
    from xlner.execute.local import run_local

    run_local(sources, plan, backends, ctx, sink, chunk_size, show_progress, overlap)
