"""The in-process executor: chunk by chunk, every step in turn, memory bounded by the chunk.

With a corpus-level aligner (eflomal) each language takes two passes: pass 1 runs the steps
before alignment on every chunk (their outputs go to the memo) and streams the pairs to the
aligner's files; the aligner aligns the whole corpus once; pass 2 runs every step on every
chunk — the steps of pass 1 are memo hits, the alignment is read back by position.

``overlap=True`` keeps the cores busy without changing any output: each pass runs as a
pipeline of stage threads (:mod:`xlner.execute.pipeline`: translator | taggers | aligner |
projectors, each in its own thread, batches handed on in order through bounded channels), and
the corpus alignment of one language (an eflomal process) runs while the next language goes
through pass 1. Languages still reach the sink in order, one at a time, from the calling
thread. The stage seconds are then wall time under that concurrency (each batch is in one
thread at a time, so its timer needs no lock; the benchmarks run without overlap).
"""

from __future__ import annotations

import tempfile
from collections.abc import Generator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import ExitStack, closing
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path

from xlner.batch import Batch
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


@dataclass
class _Run:
    """What every pass of one run needs."""

    plan: Plan
    backends: Backends
    sink: Sink
    chunk_size: int
    show_progress: bool
    overlap: bool

    def stream(
        self, source: Source, index: int, steps: Sequence[Step], ctx: Context, desc: str
    ) -> Generator[Batch, None, None]:
        """``source``'s batches through ``steps``: in turn, or in stage threads (overlap)."""
        with StageBar(desc, source.count, self.show_progress) as bar:
            chunks = batches(source, self.chunk_size, self.plan.direction, index)
            if not self.overlap:
                for batch in chunks:
                    yield run_steps(batch, steps, self.backends, self.plan, ctx, bar.stage)
                    bar.advance(len(batch))
                return

            def run(batch: Batch, slot: int, seg: Segment) -> Batch:
                on_step = partial(bar.stage, slot=slot)
                return run_steps(batch, seg.steps, self.backends, self.plan, ctx, on_step)

            with closing(pipelined(chunks, segments(steps), run)) as done:
                for batch in done:
                    yield batch
                    bar.advance(len(batch))

    def single_pass(self, source: Source, index: int, steps: Sequence[Step], ctx: Context) -> None:
        self.sink.start(source.lang)
        with closing(self.stream(source, index, steps, ctx, source.lang)) as stream:
            for batch in stream:
                self.sink.add(batch)
        self.sink.finish(source.lang)


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
            for index, source in enumerate(sources):
                run.single_pass(source, index, steps, ctx)
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
            desc = f"{source.lang} (pass 1/2)"
            with closing(run.stream(source, index, pre, run_ctx, desc)) as stream:
                for batch in stream:
                    corpus.add(batch)
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
    run.sink.start(source.lang)
    run.sink.add_seconds(source.lang, corpus.seconds)
    desc = f"{source.lang} (pass 2/2)"
    with closing(run.stream(source, index, steps, lang_ctx, desc)) as stream:
        for batch in stream:
            run.sink.add(batch)
    run.sink.finish(source.lang)
