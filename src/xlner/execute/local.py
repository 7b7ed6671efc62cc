"""The in-process executor: chunk by chunk, every step in turn, memory bounded by the chunk.

With a corpus-level aligner (eflomal) each language takes two passes: pass 1 reads the
language's sentences once and runs the steps before alignment on every chunk, keeping each
finished batch on disk and streaming its pairs to the aligner's files; the aligner aligns the
whole corpus once; pass 2 goes on from pass 1's batches — the alignment read back by
position, then the projection — so nothing of pass 1 is parsed, translated, looked up or
timed twice.

Every pass goes through one loop (:meth:`_Run.feed`): each language's batches between its
start and end marks, to the sink (or, in pass 1, to the corpus files). ``overlap=True`` keeps
the cores busy without changing any output: the pass runs as a pipeline of stage threads
(:mod:`xlner.execute.pipeline`: translator | taggers | aligner | projectors, each in its own
thread, batches handed on in order through bounded channels; one pipeline for all the
languages of a single pass), and the corpus alignment of one language (an eflomal process)
runs while the next language goes through pass 1. Languages still reach the sink in order,
one at a time, from the calling thread. The stage seconds are then wall time under that
concurrency (each batch is in one thread at a time, so its timer needs no lock; the
benchmarks run without overlap).
"""

from __future__ import annotations

import tempfile
from collections.abc import Generator, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path
from typing import Protocol, cast

from xlner.align.corpus import CorpusAligner
from xlner.batch import Batch
from xlner.context import Context
from xlner.execute.base import (
    Backends,
    CorpusPass,
    Sink,
    Source,
    batches,
    corpus_cache,
    run_steps,
    split_at_corpus_alignment,
)
from xlner.execute.pipeline import Segment, SharedBackends, pipelined, segments
from xlner.progress import StageBar
from xlner.steps import Plan, Step

Links = dict[tuple[str, int], str]
#: One language of a pass: its source index, the source, and the batches to run (read from
#: the source, or pass 1's kept batches in pass 2).
Language = tuple[int, Source, Iterable[Batch]]


@dataclass(frozen=True)
class _Mark:
    """Where a language starts (``start``) or ends in the stream of batches."""

    index: int
    source: Source
    start: bool


class _Receiver(Protocol):
    """What takes a pass's batches, language by language (a Sink, or pass 1's corpus)."""

    def start(self, lang: str) -> None: ...

    def add(self, batch: Batch) -> None: ...

    def finish(self, lang: str) -> None: ...


def _marked(languages: Sequence[Language]) -> Generator[Batch | _Mark, None, None]:
    """Each language's batches between its start and end marks, one after another."""
    for index, source, chunks in languages:
        yield _Mark(index, source, True)
        yield from chunks
        yield _Mark(index, source, False)


class _Bars:
    """The progress bar of the language at the receiver now (stage threads name their stages
    on it)."""

    def __init__(self, enabled: bool, suffix: str) -> None:
        self.enabled, self.suffix = enabled, suffix
        self.bar: StageBar | None = None

    def open(self, source: Source) -> None:
        self.bar = StageBar(source.lang + self.suffix, source.count, self.enabled)

    def stage(self, name: str, slot: int = 0) -> None:
        bar = self.bar
        if bar is not None:
            bar.stage(name, slot)

    def close(self) -> None:
        bar, self.bar = self.bar, None
        if bar is not None:
            bar.close()


@dataclass
class _Run:
    """What every pass of one run needs."""

    plan: Plan
    backends: Backends
    sink: Sink
    chunk_size: int
    show_progress: bool
    overlap: bool

    def read(self, index: int, source: Source) -> Language:
        """``source`` as a language of a pass, its batches read from it (once, when fed)."""
        return index, source, batches(source, self.chunk_size, self.plan.direction, index)

    def feed(
        self,
        languages: Sequence[Language],
        steps: Sequence[Step],
        ctx: Context,
        to: _Receiver,
        suffix: str = "",
    ) -> None:
        """Each language's batches through ``steps`` to ``to``: start, every batch in order,
        finish, one language after another. Without overlap every step runs here, in turn;
        with it, in stage threads, one pipeline for all the languages (the next language is
        translated while this one is aligned)."""
        items = _marked(languages)
        bars = _Bars(self.show_progress, suffix)
        done: Iterator[Batch | _Mark]
        if self.overlap:

            def run(batch: Batch, slot: int, seg: Segment) -> Batch:
                on_step = partial(bars.stage, slot=slot)
                return run_steps(batch, seg.steps, self.backends, self.plan, ctx, on_step)

            done = pipelined(items, segments(steps, self.backends.backend), run)
        else:
            done = (
                run_steps(x, steps, self.backends, self.plan, ctx, bars.stage)
                if isinstance(x, Batch)
                else x
                for x in items
            )
        try:
            for item in done:
                if isinstance(item, Batch):
                    to.add(item)
                    if bars.bar is not None:
                        bars.bar.advance(len(item))
                elif item.start:
                    bars.open(item.source)
                    to.start(item.source.lang)
                else:
                    bars.close()
                    to.finish(item.source.lang)
        finally:
            close = getattr(done, "close", None)
            if close is not None:
                close()  # the stage threads stop
            items.close()  # the reader's file (pass 2: the kept batches) closed now
            bars.close()


class _Corpus:
    """Pass 1's receiver: the batches' sentence pairs go to the corpus files, the batches are
    kept for pass 2."""

    def __init__(self, corpus: CorpusPass) -> None:
        self.corpus = corpus

    def start(self, lang: str) -> None:
        pass

    def add(self, batch: Batch) -> None:
        self.corpus.add(batch)

    def finish(self, lang: str) -> None:
        pass


@dataclass
class _PassTwo:
    """Pass 2's receiver: the sink, which gets the corpus alignments' seconds when the
    language ends (pass 1's are in its batches)."""

    sink: Sink
    seconds: dict[str, float]

    def start(self, lang: str) -> None:
        self.sink.start(lang)

    def add(self, batch: Batch) -> None:
        self.sink.add(batch)

    def finish(self, lang: str) -> None:
        self.sink.add_seconds(lang, self.seconds)
        self.sink.finish(lang)


def run_local(
    sources: Sequence[Source],
    plan: Plan,
    backends: Backends,
    ctx: Context,
    sink: Sink,
    chunk_size: int,
    show_progress: bool = False,
    overlap: bool = False,
) -> None:
    steps = plan.steps()
    if overlap:  # one object per role, built once, whichever stage thread asks first
        backends = SharedBackends(backends)
    aligner = backends.backend("aligner") if any(s.role == "aligner" for s in steps) else None
    split = split_at_corpus_alignment(steps, aligner)
    with ExitStack() as stack:
        run = _Run(plan, backends, sink, chunk_size, show_progress, overlap)
        if split is None:
            run.feed([run.read(i, s) for i, s in enumerate(sources)], steps, ctx, sink)
            return
        corpus_aligner = cast(CorpusAligner, aligner)  # corpus-level: it aligns files
        cache = corpus_cache(ctx, stack)
        pre, post = steps[:split], steps[split:]
        # one aligner thread: language i's corpus aligns while language i+1 runs pass 1
        align_pool = stack.enter_context(ThreadPoolExecutor(1, thread_name_prefix="xlner-align"))
        previous: tuple[int, Source, CorpusPass, Future[Links]] | None = None
        for index, source in enumerate(sources):
            work = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="xlner-corpus-")))
            corpus = CorpusPass(index, post, work)
            run.feed([run.read(index, source)], pre, ctx, _Corpus(corpus), " (pass 1/2)")
            if previous is not None:
                previous[3].result()  # one corpus alignment at a time
            signature = ctx.signatures.of(corpus_aligner)
            future = align_pool.submit(corpus.finish, corpus_aligner, cache, signature)
            if not overlap:
                future.result()
            if previous is not None:
                _pass_two(run, post, ctx, *previous)
            previous = (index, source, corpus, future)
        if previous is not None:
            _pass_two(run, post, ctx, *previous)


def _pass_two(
    run: _Run,
    steps: Sequence[Step],
    ctx: Context,
    index: int,
    source: Source,
    corpus: CorpusPass,
    links: Future[Links],
) -> None:
    """The aligner steps and the rest on pass 1's kept batches of ``source``, through the
    same loop as pass 1, its corpus alignment read back by position."""
    lang_ctx = replace(ctx, corpus={**ctx.corpus, **links.result()})
    language = (index, source, corpus.batches())
    run.feed([language], steps, lang_ctx, _PassTwo(run.sink, corpus.seconds), " (pass 2/2)")
