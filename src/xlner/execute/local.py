"""The in-process executor: chunk by chunk, every step in turn, memory bounded by the chunk.

With a corpus-level aligner (eflomal) each language takes two passes: pass 1 runs the steps
before alignment on every chunk (their outputs go to the memo) and streams the pairs to the
aligner's files; the aligner aligns the whole corpus once; pass 2 runs every step on every
chunk — the steps of pass 1 are memo hits, the alignment is read back by position.

``overlap=True`` keeps the cores busy without changing any output: each pass runs as a
pipeline of stage threads (:mod:`xlner.execute.pipeline`: translator | taggers | aligner |
projectors, each in its own thread, batches handed on in order through bounded channels; one
pipeline for all the languages of a single pass, their starts and ends marked between the
batches), and
the corpus alignment of one language (an eflomal process) runs while the next language goes
through pass 1. Languages still reach the sink in order, one at a time, from the calling
thread. The stage seconds are then wall time under that concurrency (each batch is in one
thread at a time, so its timer needs no lock; the benchmarks run without overlap).
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path
from typing import Protocol

from xlner.batch import Batch, Direction
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
from xlner.steps import Context, Plan, Step


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


def _marked(
    sources: Sequence[tuple[int, Source]], size: int, direction: Direction
) -> Iterator[Batch | _Mark]:
    """Each source's batches between its start and end marks, one source after another."""
    for index, source in sources:
        yield _Mark(index, source, True)
        yield from batches(source, size, direction, index)
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

    def feed(
        self,
        sources: Sequence[tuple[int, Source]],
        steps: Sequence[Step],
        ctx: Context,
        to: _Receiver,
        suffix: str = "",
    ) -> None:
        """Each source's batches through ``steps`` to ``to``: start, every batch in order,
        finish, one language after another. Without overlap every step runs here, in turn;
        with it, in stage threads, one pipeline for all the sources (the next language is
        translated while this one is aligned)."""
        items = _marked(sources, self.chunk_size, self.plan.direction)
        bars = _Bars(self.show_progress, suffix)
        done: Iterator[Batch | _Mark]
        if self.overlap:

            def run(batch: Batch, slot: int, seg: Segment) -> Batch:
                on_step = partial(bars.stage, slot=slot)
                return run_steps(batch, seg.steps, self.backends, self.plan, ctx, on_step)

            done = pipelined(items, segments(steps), run)
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
            bars.close()


class _Corpus:
    """Pass 1's receiver: the batches' sentence pairs go to the corpus files."""

    def __init__(self, corpus: CorpusPass) -> None:
        self.corpus = corpus

    def start(self, lang: str) -> None:
        pass

    def add(self, batch: Batch) -> None:
        self.corpus.add(batch)

    def finish(self, lang: str) -> None:
        pass


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
    split = (
        split_at_corpus_alignment(steps, backends.backend("aligner"))
        if any(s.role == "aligner" for s in steps)
        else None
    )
    if overlap:  # one object per role, built once, whichever stage thread asks first
        backends = SharedBackends(backends)
    with ExitStack() as stack:
        run = _Run(plan, backends, sink, chunk_size, show_progress, overlap)
        if split is None:
            run.feed(list(enumerate(sources)), steps, ctx, sink)
            return
        run_ctx, cache = corpus_cache(ctx, stack)
        pre, align_steps = split
        aligner = backends.backend("aligner")
        # one aligner thread: language i's corpus aligns while language i+1 runs pass 1
        align_pool = stack.enter_context(ThreadPoolExecutor(1, thread_name_prefix="xlner-align"))
        previous: tuple[int, Source, CorpusPass, Future[dict[tuple[str, int], str]]] | None = None
        for index, source in enumerate(sources):
            work = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="xlner-corpus-")))
            corpus = CorpusPass(index, align_steps, work)
            run.feed([(index, source)], pre, run_ctx, _Corpus(corpus), " (pass 1/2)")
            if previous is not None:
                previous[3].result()  # one corpus alignment at a time
            future = align_pool.submit(corpus.finish, aligner, cache)
            if not overlap:
                future.result()
            if previous is not None:
                _pass_two(run, steps, run_ctx, *previous)
            previous = (index, source, corpus, future)
        if previous is not None:
            _pass_two(run, steps, run_ctx, *previous)


def _pass_two(
    run: _Run,
    steps: Sequence[Step],
    ctx: Context,
    index: int,
    source: Source,
    corpus: CorpusPass,
    links: Future[dict[tuple[str, int], str]],
) -> None:
    """Every step on every chunk of ``source``, its corpus alignment read back by position."""
    lang_ctx = replace(ctx, corpus={**ctx.corpus, **links.result()})
    run.feed([(index, source)], steps, lang_ctx, _PassTwo(run.sink, corpus.seconds), " (pass 2/2)")


@dataclass
class _PassTwo:
    """Pass 2's receiver: the sink, which gets pass 1's seconds (and the corpus alignment's)
    when the language starts."""

    sink: Sink
    seconds: dict[str, float]

    def start(self, lang: str) -> None:
        self.sink.start(lang)
        self.sink.add_seconds(lang, self.seconds)

    def add(self, batch: Batch) -> None:
        self.sink.add(batch)

    def finish(self, lang: str) -> None:
        self.sink.finish(lang)
