"""Stage threads (``overlap=True``, :mod:`xlner.execute.pipeline`): the same outputs as the
sequential path byte for byte, errors of any stage reach the caller, and stopping early stops
every thread."""

from __future__ import annotations

import copy
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from xlner_fakes import BoomTranslator, CapsTagger, DiagonalAligner, EchoTranslator

from xlner.batch import Batch
from xlner.data import Sentence, Span
from xlner.execute import GivenBackends, Source, execute
from xlner.execute.pipeline import pipelined, segments
from xlner.memo import StageMemo
from xlner.methods import Method
from xlner.pipelines import CollectSink
from xlner.project import PROJECTORS
from xlner.steps import Context, Plan

WORDS = ["Bola", "Tinubu", "ya", "ziyarci", "Abuja", "da", "Kano", "ranar", "Litinin", "."]
METHODS = ("model-transfer", "heuristic", "ngram", "ner:exact", "heuristic+bt")


def sentences(lang: str, n: int) -> list[Sentence]:
    """``n`` sentences of varied length and entities (some with ``BOOM`` where asked)."""
    out = []
    for i in range(n):
        words = [w.lower() if (i + j) % 3 == 0 else w for j, w in enumerate(WORDS[: 3 + i % 8])]
        out.append(Sentence(words, [Span(0, 1, "PER")], lang, str(i)))
    return out


def backends(methods: Sequence[Method], translator: Any = None, aligner: Any = None) -> Any:
    tagger = CapsTagger()
    return GivenBackends(
        translator or EchoTranslator(),
        tagger,
        tagger,
        tagger,
        aligner or DiagonalAligner(drop=["Abuja"]),
        {m: PROJECTORS.create(m.projector) if m.is_projection else None for m in methods},
    )


def run(
    sources: list[Source], overlap: bool, chunk: int = 3, memo: Path | None = None, **kw: Any
) -> dict[str, Any]:
    methods = [Method.parse(m) for m in METHODS]
    sink = CollectSink()
    plan = Plan(tuple(methods))
    ctx = Context(None if memo is None else StageMemo(memo))
    execute(sources, plan, backends(methods, **kw), ctx, sink, chunk_size=chunk, overlap=overlap)
    out: dict[str, Any] = {"order": [(b.lang, b.start) for b in sink.batches]}
    for m in methods:
        res = sink.result(m)
        out[m.name] = (res.predictions, res.lost, res.translations)
    return out


def no_stage_threads() -> bool:
    deadline = time.monotonic() + 5
    while any(t.name.startswith("xlner-") for t in threading.enumerate()):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


def test_stage_threads_give_the_sequential_outputs(tmp_path: Path) -> None:
    sources = [Source.of("hau", sentences("hau", 41)), Source.of("yor", sentences("yor", 17))]
    sequential = run(sources, overlap=False)
    assert len(sequential["order"]) == 14 + 6
    for chunk in (1, 3, 1000):
        assert run(sources, overlap=True, chunk=chunk) == run(sources, overlap=False, chunk=chunk)
    # with a stage memo: filled by the stage threads, then read back by them
    for _ in range(2):
        assert run(sources, overlap=True, memo=tmp_path / "memo") == sequential
    assert no_stage_threads()


class CorpusAligner:
    """A corpus-level aligner (word i to word i, except the words in ``drop``)."""

    corpus_level = True
    signature = "corpus-diag"

    def __init__(self, drop: Sequence[str] = ()) -> None:
        self.drop = set(drop)

    def align_files(self, src: Path, tgt: Path, out: Path) -> None:
        with src.open() as fs, tgt.open() as ft, out.open("w") as fo:
            for s, t in zip(fs, ft):
                sw, tw = s.split(), t.split()
                pairs = [f"{i}-{i}" for i in range(min(len(sw), len(tw))) if sw[i] not in self.drop]
                fo.write(" ".join(pairs) + "\n")


def test_stage_threads_with_a_corpus_level_aligner_give_the_sequential_outputs() -> None:
    sources = [Source.of(lang, sentences(lang, 23 + i)) for i, lang in enumerate(("a", "b", "c"))]
    aligner = CorpusAligner(drop=["Abuja"])
    sequential = run(sources, overlap=False, aligner=aligner)
    assert sequential == run(sources, overlap=True, aligner=aligner)
    # the corpus links were used: the dropped word's entity is lost as in the chunked aligner
    assert sequential["heuristic"][:2] == run(sources, overlap=False)["heuristic"][:2]


def test_a_translator_in_two_stage_threads_is_used_by_one_at_a_time() -> None:
    class Watched(EchoTranslator):
        def __init__(self) -> None:
            self.busy = 0
            self.most = 0

        def translate(self, texts: Sequence[str], src_lang: str, tgt_lang: str) -> list[str]:
            self.busy += 1
            self.most = max(self.most, self.busy)
            time.sleep(0.002)
            self.busy -= 1
            return list(texts)

    translator = Watched()
    assert run([Source.of("hau", sentences("hau", 30))], True, 2, translator=translator)
    assert translator.most == 1


def test_an_error_in_any_stage_thread_reaches_the_caller_after_the_batches_before_it() -> None:
    text = sentences("hau", 20)
    text[13] = Sentence(["BOOM", "Kano"], [], "hau", "13")
    methods = [Method.parse(m) for m in METHODS]
    seen = []
    for overlap in (False, True):
        sink = CollectSink()
        with pytest.raises(RuntimeError, match="cannot translate BOOM"):
            execute(
                [Source.of("hau", text)],
                Plan(tuple(methods)),
                backends(methods, translator=BoomTranslator()),
                Context(),
                sink,
                chunk_size=3,
                overlap=overlap,
            )
        seen.append([b.start for b in sink.batches])
    assert seen[0] == seen[1] == [0, 3, 6, 9]
    assert no_stage_threads()


class FailingAligner(DiagonalAligner):
    def align(self, src: Any, tgt: Any) -> Any:
        if any("Litinin" in s for s in src):
            raise ValueError("aligner failed")
        return super().align(src, tgt)


def test_a_failing_later_stage_and_a_failing_sink_stop_every_thread() -> None:
    with pytest.raises(ValueError, match="aligner failed"):
        run([Source.of("hau", sentences("hau", 40))], True, 1, aligner=FailingAligner())
    assert no_stage_threads()

    class BadSink(CollectSink):
        def add(self, batch: Batch) -> None:
            if batch.start >= 6:
                raise OSError("disk full")
            super().add(batch)

    methods = [Method.parse(m) for m in METHODS]
    with pytest.raises(OSError, match="disk full"):
        execute(
            [Source.of("hau", sentences("hau", 60))],
            Plan(tuple(methods)),
            backends(methods),
            Context(),
            BadSink(),
            chunk_size=2,
            overlap=True,
        )
    assert no_stage_threads()


def test_closing_the_stream_early_stops_the_threads() -> None:
    methods = [Method.parse(m) for m in METHODS]
    plan, given = Plan(tuple(methods)), backends(methods)
    segs = segments(plan.steps())
    groups = [s.group for s in segs]
    assert groups == ["translate", "tag_en", "tag", "translate", "align", "project"]
    assert segs[0].lock is segs[3].lock is not None
    # without the objects, the English and the target taggers may be one: one lock
    assert segs[1].lock is segs[2].lock is not None and segs[4].lock is None
    read = []

    def chunks() -> Any:
        for i in range(1000):
            read.append(i)
            yield Batch("hau", i, sentences("hau", 2), "test", 0)

    def step(batch: Batch, slot: int, seg: Any) -> Batch:
        from xlner.execute.base import run_steps

        return run_steps(batch, seg.steps, given, plan, Context())

    out = pipelined(chunks(), segs, step)
    first = [next(out).start for _ in range(3)]
    out.close()
    assert first == [0, 1, 2]
    assert no_stage_threads()
    assert len(read) < 20  # bounded channels: the reader stopped a few batches ahead


def test_a_run_writes_the_same_files_with_and_without_stage_threads(
    plugin: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`xlner run` (which runs with overlap) against the sequential path, chunks of 2: the
    predictions, lost-entity files and scores (seconds aside) are the same bytes."""
    from tests.test_reproducibility import _files, _scores_without_seconds
    from xlner import runner
    from xlner.cli import main
    from xlner.io import write_conll

    for lang in ("hau", "yor"):
        write_conll(sentences(lang, 25), tmp_path / "data" / "masakhaner2" / lang / "test.txt")
    args = ["run", "--dataset", "masakhaner2", "--langs", "hau,yor"]
    args += ["--data-dir", str(tmp_path / "data"), "--methods", ",".join(METHODS)]
    args += ["--translator", "echo", "--tagger", "caps", "--aligner", "diag", "--chunk-size", "2"]
    runs, real = [], runner.execute
    for overlap in (True, False):

        def forced(*a: Any, overlap: bool = overlap, **kw: Any) -> None:
            real(*a, **{**kw, "overlap": overlap})

        monkeypatch.setattr(runner, "execute", forced)
        out = tmp_path / f"run-{overlap}"
        assert main([*args, "--out", str(out), "--quiet"]) == 0
        runs.append(_scores_without_seconds(_files(out)))
    assert runs[0] == runs[1]
    assert len(runs[0]) == 2 * (5 + 4 + 5)  # predictions, lost entities, scores


class LogSink(CollectSink):
    """Every call the sink gets, in order."""

    def __init__(self) -> None:
        super().__init__()
        self.log: list[tuple[str, ...]] = []

    def start(self, lang: str) -> None:
        self.log.append(("start", lang))

    def add(self, batch: Batch) -> None:
        self.log.append(("add", batch.lang, str(batch.start)))
        super().add(batch)

    def finish(self, lang: str) -> None:
        self.log.append(("finish", lang))


@pytest.mark.parametrize("fails", ["none", "translator", "reader"])
def test_the_sink_gets_the_same_calls_as_without_stage_threads(fails: str) -> None:
    """One pipeline runs every language (the next is translated while this one is aligned),
    yet the sink sees each language start, its batches and its end as without threads — a
    language finished before another fails is finished (its unit done) either way."""
    text = sentences("yor", 10)
    if fails == "translator":
        text[4] = Sentence(["BOOM"], [], "yor", "4")

    def read() -> Any:
        yield from text[:7]
        if fails == "reader":
            raise OSError("unreadable")
        yield from text[7:]

    sources = [
        Source.of("hau", sentences("hau", 9)),
        Source("yor", read, 10),
        Source.of("twi", []),  # no sentences: started and finished all the same
        Source.of("ewe", sentences("ewe", 4)),
    ]
    methods = [Method.parse(m) for m in METHODS]
    logs = []
    for overlap in (False, True):
        sink = LogSink()
        given = backends(methods, translator=BoomTranslator())
        try:
            execute(
                sources, Plan(tuple(methods)), given, Context(), sink, chunk_size=3, overlap=overlap
            )
        except (RuntimeError, OSError) as e:
            sink.log.append(("error", str(e)))
        logs.append(sink.log)
    assert logs[0] == logs[1]
    assert logs[0][:5] == [
        ("start", "hau"),
        *[("add", "hau", str(i)) for i in (0, 3, 6)],
        ("finish", "hau"),
    ]
    assert (logs[0][-1][0] == "error") == (fails != "none")
    assert no_stage_threads()


def test_taggers_in_two_threads_share_a_lock_only_when_they_are_one_object() -> None:
    methods = [Method.parse(m) for m in METHODS]
    plan = Plan(tuple(methods))
    one = backends(methods)  # the model-transfer and candidate taggers default to the English
    segs = segments(plan.steps(), one.backend)
    assert [s.group for s in segs][1:3] == ["tag_en", "tag"]
    assert segs[1].lock is segs[2].lock is not None
    two = backends(methods)
    two.mt_tagger = two.candidate_tagger = copy.copy(two.source_tagger)
    segs = segments(plan.steps(), two.backend)
    assert segs[1].lock is None and segs[2].lock is None
    assert segs[0].lock is segs[3].lock is not None  # translate and bt_translate: one object
