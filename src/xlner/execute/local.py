"""The in-process executor: chunk by chunk, every step in turn, memory bounded by the chunk.

With a corpus-level aligner (eflomal) each language takes two passes: pass 1 runs the steps
before alignment on every chunk (their outputs go to the memo) and streams the pairs to the
aligner's files; the aligner aligns the whole corpus once; pass 2 runs every step on every
chunk — the steps of pass 1 are memo hits, the alignment is read back by position.
"""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from contextlib import ExitStack
from dataclasses import replace
from pathlib import Path

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
from xlner.progress import StageBar
from xlner.steps import Context, Plan


def run_local(
    sources: Sequence[Source],
    plan: Plan,
    backends: Backends,
    ctx: Context,
    sink: Sink,
    chunk_size: int,
    show_progress: bool = False,
) -> None:
    steps = plan.steps()
    split = (
        split_at_corpus_alignment(steps, backends.backend("aligner"))
        if any(s.role == "aligner" for s in steps)
        else None
    )
    with ExitStack() as stack:
        run_ctx = ctx
        if split is not None:
            run_ctx, cache = corpus_cache(ctx, stack)
        for index, source in enumerate(sources):
            sink.start(source.lang)
            lang_ctx = run_ctx
            if split is not None:
                pre, align_steps = split
                work = Path(
                    stack.enter_context(tempfile.TemporaryDirectory(prefix="xlner-corpus-"))
                )
                corpus = CorpusPass(index, align_steps, work)
                with StageBar(f"{source.lang} (pass 1/2)", source.count, show_progress) as bar:
                    for batch in batches(source, chunk_size, plan.direction, index):
                        corpus.add(run_steps(batch, pre, backends, plan, run_ctx, bar.stage))
                        bar.advance(len(batch))
                    bar.stage("align (whole corpus)")
                    links = corpus.finish(backends.backend("aligner"), cache)
                lang_ctx = replace(run_ctx, corpus={**run_ctx.corpus, **links})
                sink.add_seconds(source.lang, corpus.seconds)
            desc = source.lang if split is None else f"{source.lang} (pass 2/2)"
            with StageBar(desc, source.count, show_progress) as bar:
                for batch in batches(source, chunk_size, plan.direction, index):
                    sink.add(run_steps(batch, steps, backends, plan, lang_ctx, bar.stage))
                    bar.advance(len(batch))
            sink.finish(source.lang)
