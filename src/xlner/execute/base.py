"""What every executor shares: sources of sentences, sinks for finished batches, the backends
a step runs with, chunking, and the corpus-level alignment pass.

A :class:`Source` is one language's input, read once per run (with a corpus-level aligner,
pass 2 goes on from the batches pass 1 kept). A :class:`Sink` receives finished batches of
each language **in order** and writes predictions, scores and reports as they come, so
nothing holds a corpus.
"""

from __future__ import annotations

import itertools
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Literal, Protocol

from xlner.align.corpus import CorpusFiles, CorpusWriter, align_corpus, is_corpus_level
from xlner.backends import RoleBackends
from xlner.batch import Batch, Direction
from xlner.context import Context
from xlner.data import Sentence
from xlner.errors import XlnerError
from xlner.methods import Method
from xlner.step_functions import Backend
from xlner.steps import Plan, Role, Step, aligner_steps

if TYPE_CHECKING:
    from xlner.align.base import Aligner
    from xlner.align.corpus import CorpusAligner
    from xlner.execute.ray_options import RayOptions
    from xlner.project.base import Projector
    from xlner.tag.base import Tagger
    from xlner.translate.base import Translator

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


#: What runs a plan's steps (:class:`~xlner.stages.Stages`, :class:`GivenBackends`).
Backends = RoleBackends


@dataclass
class GivenBackends(RoleBackends):
    """Backend objects given directly (the Python API): ``backend(role)`` returns them (the
    model-transfer and candidate taggers default to the English tagger)."""

    translator: Translator | None = None
    source_tagger: Tagger | None = None
    mt_tagger: Tagger | None = None
    candidate_tagger: Tagger | None = None
    aligner: Aligner | None = None
    projectors: dict[Method, Projector | None] = field(default_factory=dict)

    def _backend(self, role: Role, methods: Iterable[Method]) -> Backend:
        if role == "projectors":
            return self.projectors
        if role == "data":
            return None
        found: Translator | Tagger | Aligner | None
        if role == "translator":
            found = self.translator
        elif role == "aligner":
            found = self.aligner
        elif role == "source_tagger":
            found = self.source_tagger
        elif role == "mt_tagger":
            found = self.mt_tagger or self.source_tagger
        else:
            found = self.candidate_tagger or self.mt_tagger or self.source_tagger
        if found is None:
            raise XlnerError(f"no {role.replace('_', ' ')} given; the methods need one")
        return found


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


def split_at_corpus_alignment(steps: Sequence[Step], aligner: object) -> int | None:
    """Where the steps split into the two passes of a corpus-level aligner: the index of the
    first aligner step (pass 1 runs the steps before it, pass 2 it and every later one);
    ``None`` when the aligner is not corpus-level (every step runs chunk by chunk)."""
    aligning = aligner_steps(steps)
    if not aligning or not is_corpus_level(aligner):
        return None
    return steps.index(aligning[0])


class CorpusPass:
    """Pass 1 of a corpus-level aligner, one language: each batch's pairs are streamed into
    one :class:`~xlner.align.corpus.CorpusWriter` per aligner step (:attr:`Step.aligned`),
    and the batch itself, with its translations, tags and seconds, is kept on disk
    (``keep``) for pass 2, which goes on from it: nothing of pass 1 is parsed, looked up,
    computed or timed again. :meth:`finish` aligns each corpus (or finds it aligned before)
    and returns ``{(stage, source index): links path}``; :attr:`seconds` holds the alignments'
    seconds."""

    def __init__(self, index: int, steps: Sequence[Step], work: Path, *, keep: bool = True) -> None:
        self.index = index
        self.steps = aligner_steps(steps)
        self.writers = {s.name: CorpusWriter(work / s.name) for s in self.steps}
        self.seconds: dict[str, float] = {}
        self._kept_path = work / "batches.jsonl"
        self._kept: IO[str] | None = self._kept_path.open("w", encoding="utf-8") if keep else None

    def add(self, batch: Batch) -> None:
        for step in self.steps:
            assert step.aligned is not None
            self.writers[step.name].add(*step.aligned(batch))
        if self._kept is not None:
            self._kept.write(batch.to_json() + "\n")

    def close(self) -> dict[str, CorpusFiles]:
        """The finished corpus of each aligner step."""
        if self._kept is not None:
            self._kept.close()
        return {stage: w.close() for stage, w in self.writers.items()}

    def batches(self) -> Iterator[Batch]:
        """Pass 1's batches, in order, as pass 1 left them."""
        with self._kept_path.open(encoding="utf-8") as fh:
            for line in fh:
                yield Batch.from_json(line)

    def finish(
        self, aligner: CorpusAligner, cache: Path, signature: str | None = None
    ) -> dict[tuple[str, int], str]:
        """Align every corpus here, in this process; ``{(stage, source index): links path}``
        (``signature``: the aligner's)."""
        out = {}
        for stage, files in self.close().items():
            start = time.perf_counter()
            out[(stage, self.index)] = str(align_corpus(aligner, files, cache, signature))
            self.seconds[stage] = self.seconds.get(stage, 0.0) + time.perf_counter() - start
        return out


def corpus_cache(ctx: Context, stack: ExitStack) -> Path:
    """The folder for corpus alignments: under the memo, else a temporary one."""
    if ctx.memo is not None:
        return ctx.memo.root / "align-corpus"
    return Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="xlner-align-")))


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
    ray_options: RayOptions | None = None,
    overlap: bool = False,
) -> None:
    """Run ``plan`` over every source, sending finished batches to ``sink`` in order.
    ``overlap``: the local executor runs each pass as a pipeline of stage threads and a
    language's corpus alignment beside the next language's pass 1 (same outputs; see
    :mod:`xlner.execute.local` and :mod:`xlner.execute.pipeline`)."""
    if executor == "ray":
        from xlner.execute.ray import run_ray

        run_ray(sources, plan, backends, ctx, sink, chunk_size, show_progress, ray_options)
        return
    if executor != "local":
        raise XlnerError(f"unknown executor {executor!r}; choose local or ray")
    from xlner.execute.local import run_local

    run_local(sources, plan, backends, ctx, sink, chunk_size, show_progress, overlap)
