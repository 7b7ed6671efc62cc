"""Tag a file (``xlner tag``) and make translate-train data (``xlner project-train``), streamed.

Both are a :class:`~xlner.steps.Plan` run by an executor with a sink that writes sentences as
their chunk finishes; every check a user can fail (output writable, input readable and not
empty, language supported) happens before a model loads.
"""

from __future__ import annotations

import itertools
import sys
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Literal

from xlner.batch import Batch
from xlner.data import Sentence
from xlner.errors import XlnerError
from xlner.execute import Source, execute
from xlner.execute.base import DEFAULT_CHUNK, Executor
from xlner.io.atomic import atomic_open, check_writable
from xlner.io.formats import SentenceWriter, detect_format, iter_sentences
from xlner.languages import PIVOT
from xlner.lost import write_lost
from xlner.memo import StageMemo
from xlner.methods import Method
from xlner.pipelines import silver_sentences
from xlner.stages import StageConfig, Stages
from xlner.steps import Context, Plan

OnThreshold = Literal["drop-sentence", "keep"]


@dataclass
class RunOptions:
    """How to run: executor, chunk size, cache, progress."""

    executor: Executor = "local"
    chunk_size: int = DEFAULT_CHUNK
    ray: Any = None
    memo: Path | None = None  # stage memo folder (None: no memo)
    show_progress: bool = False

    def execute(
        self, source: Source, plan: Plan, stages: Stages, min_score: float, sink: Any
    ) -> None:
        memo = StageMemo(self.memo) if self.memo else None
        execute(
            [source],
            plan,
            stages,
            Context(memo, min_score),
            sink,
            executor=self.executor,
            chunk_size=self.chunk_size,
            show_progress=self.show_progress,
            ray_options=self.ray,
        )


def _nonempty(read: Callable[[], Iterator[Sentence]], what: str) -> None:
    if next(iter(read()), None) is None:
        raise XlnerError(f"{what}: no sentences (empty input)")


class _Writer:
    """A sink that writes each batch's output of one method as sentences."""

    def __init__(
        self,
        method: Method,
        writer: SentenceWriter,
        lost_file: IO[str] | None,
        to_sentences: Callable[[Batch], list[Sentence]],
    ) -> None:
        self.method, self.writer, self.lost_file, self.to_sentences = (
            method,
            writer,
            lost_file,
            to_sentences,
        )
        self.sentences = 0
        self.source_entities = 0
        self.entities = 0
        self.lost: Counter[str] = Counter()
        self.seconds: dict[str, float] = {}

    def start(self, lang: str) -> None:
        pass

    def add(self, batch: Batch) -> None:
        for sent in self.to_sentences(batch):
            self.writer.write(sent)
            self.sentences += 1
            self.entities += len(sent.spans or [])
        self.add_seconds(batch.lang, batch.seconds)
        if self.method.is_projection:
            self.source_entities += sum(len(s) for s in batch.src_spans or [])
            self.lost.update(write_lost(self.lost_file, batch, self.method.name))

    def add_seconds(self, lang: str, seconds: dict[str, float]) -> None:
        for k, v in seconds.items():
            self.seconds[k] = self.seconds.get(k, 0.0) + v

    def finish(self, lang: str) -> None:
        pass


def lost_path(output: Path) -> Path:
    """Where the lost entities of an output file go: ``<name>.lost.jsonl`` beside it."""
    return output.with_name(output.name + ".lost.jsonl")


@dataclass
class TagConfig:
    input: Path
    output: Path
    method: Method
    lang: str | None = None
    input_format: str = "auto"
    output_format: str = "auto"
    stages: StageConfig = field(default_factory=StageConfig)
    min_score: float = 0.0
    scores_column: bool = False
    run: RunOptions = field(default_factory=RunOptions)


def tag_file(cfg: TagConfig) -> _Writer:
    """Tag every sentence of ``cfg.input`` with ``cfg.method``; the finished sink (counts)."""
    check_writable(cfg.output)
    in_fmt = detect_format(cfg.input, cfg.input_format)
    out_fmt = cfg.output_format
    if out_fmt == "auto" and cfg.output.suffix.lower() not in (".conll", ".jsonl", ".json"):
        out_fmt = "jsonl" if in_fmt == "text" else "conll"

    def read() -> Iterator[Sentence]:
        return iter_sentences(cfg.input, in_fmt, cfg.lang)

    _nonempty(read, str(cfg.input))
    stages = Stages(cfg.stages)
    plan = Plan((cfg.method,))
    stages.signatures(plan.roles())  # checks the options before any model loads
    if cfg.method.is_projection:
        if not cfg.lang:
            raise XlnerError(f"{cfg.method.name} needs --lang (the language of the input)")
        stages.translator.check_languages(cfg.lang, PIVOT)
    with ExitStack() as stack:
        writer = stack.enter_context(SentenceWriter(cfg.output, out_fmt, cfg.scores_column))
        lost = (
            stack.enter_context(atomic_open(lost_path(cfg.output)))
            if cfg.method.is_projection
            else None
        )

        def to_sentences(b: Batch) -> list[Sentence]:
            return [s.with_spans(p) for s, p in zip(b.sentences, b.outputs[cfg.method.name])]

        sink = _Writer(cfg.method, writer, lost, to_sentences)
        cfg.run.execute(Source(cfg.lang or "und", read), plan, stages, cfg.min_score, sink)
    return sink


@dataclass
class SilverConfig:
    """translate-train data: ``dataset`` (English, labelled) into ``tgt_lang``."""

    tgt_lang: str
    output: Path
    method: Method
    dataset: str = "conll03-en"
    split: str = "train"
    data_dir: str | None = None
    labels: list[str] | None = None
    limit: int | None = None
    output_format: str = "auto"
    stages: StageConfig = field(default_factory=StageConfig)
    min_score: float = 0.0
    on_threshold: OnThreshold = "drop-sentence"
    scores_column: bool = False
    run: RunOptions = field(default_factory=RunOptions)


def make_silver(cfg: SilverConfig) -> _Writer:
    """Translate the labelled English sentences and project their gold labels. Sentences that
    lost an entity to ``--min-score`` are dropped whole (``drop-sentence``) or kept with the
    remaining spans (``keep``; the lost entities are listed in ``<output>.lost.jsonl`` either
    way), so no sentence is kept with an entity silently missing."""
    from xlner.data import filter_spans
    from xlner.datasets import dataset_reader

    m = cfg.method
    if not m.is_projection or m.backtranslate:
        raise XlnerError(f"translate-train projects gold labels: {m.name} is not a projection")
    check_writable(cfg.output)
    read_all = dataset_reader(cfg.dataset, None, cfg.split, cfg.data_dir)

    def read() -> Iterator[Sentence]:
        it = read_all()
        if cfg.limit:
            it = itertools.islice(it, cfg.limit)
        for s in it:
            yield s if cfg.labels is None else s.with_spans(filter_spans(s.spans or [], cfg.labels))

    _nonempty(read, f"{cfg.dataset} {cfg.split}")
    stages = Stages(cfg.stages)
    plan = Plan((m,), "train")
    stages.signatures(plan.roles())  # what it runs: no English tagger
    stages.translator.check_languages(PIVOT, cfg.tgt_lang)

    def to_sentences(b: Batch) -> list[Sentence]:
        drop: set[int] = set()
        if cfg.on_threshold == "drop-sentence" and cfg.min_score > 0:
            drop = {
                i for i, lost in enumerate(b.lost[m.name]) if "below_threshold" in lost.values()
            }
        return silver_sentences(b, m, drop)

    with ExitStack() as stack:
        writer = stack.enter_context(
            SentenceWriter(cfg.output, cfg.output_format, cfg.scores_column)
        )
        lost = stack.enter_context(atomic_open(lost_path(cfg.output)))
        sink = _Writer(m, writer, lost, to_sentences)
        cfg.run.execute(Source(cfg.tgt_lang, read), plan, stages, cfg.min_score, sink)
    return sink


def summary(sink: _Writer, what: str, output: Path) -> None:
    times = ", ".join(f"{k} {v:.2f}s" for k, v in sink.seconds.items())
    line = f"{what}: {sink.sentences} sentences, {sink.entities} entities -> {output} ({times})"
    if sink.method.is_projection:
        lost = sum(sink.lost.values())
        reasons = ", ".join(f"{k} {v}" for k, v in sorted(sink.lost.items()))
        line += (
            f"; {sink.source_entities - lost} of {sink.source_entities} source entities "
            f"projected" + (f" (lost: {reasons}; see {lost_path(output)})" if lost else "")
        )
    print(line, file=sys.stderr)
    written = [output, lost_path(output)] if sink.method.is_projection else [output]
    for path in written:
        print(f"wrote {path}", file=sys.stderr)
